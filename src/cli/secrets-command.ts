// `swoosh secrets keygen|encrypt|show|check`: the age-encrypted secrets file (docs/secrets.md).
// Nothing here prints a secret: `show` prints the redacted view, `check` and `encrypt` print names only.
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  encryptSecrets,
  formatIdentityFile,
  generateAgeIdentity,
  loadSecretsFile,
  parseSecretsFile,
  redactSecretsForDisplay,
  SecretsError,
  summarizeSecrets,
} from '../secrets/age-secrets.ts';
import { readJsonFile, UsageError } from './cli-io.ts';

/** Output and environment, injectable so tests can run the command in-process. */
export interface SecretsCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: SecretsCommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

const USAGE = [
  'usage: swoosh secrets keygen --out FILE                 new age identity file (mode 0600); prints its recipient',
  '       swoosh secrets encrypt --recipient age1... [--recipient ...] --in PLAIN.json --out FILE [--force]',
  '       swoosh secrets show --file FILE [--identity FILE]   the decrypted file with every secret redacted',
  '       swoosh secrets check --file FILE [--identity FILE]  decrypt and validate; prints ok or the error code',
  '  identity: --identity FILE, else SWOOSH_AGE_IDENTITY (the key itself), else SWOOSH_AGE_IDENTITY_FILE',
].join('\n');

export async function secretsCommand(argv: string[], io: SecretsCommandIo = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2) + '\n');
  try {
    switch (sub) {
      case 'keygen':
        return await keygen(rest, json);
      case 'encrypt':
        return await encrypt(rest, json);
      case 'show':
        return await show(rest, io, json);
      case 'check':
        return await check(rest, io, json);
      default:
        throw new UsageError(sub === undefined ? USAGE : `unknown secrets command '${sub}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof SecretsError) {
      io.err(`swoosh secrets ${sub}: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

type Print = (value: unknown) => void;

async function keygen(argv: string[], json: Print): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
  if (values.out === undefined) throw new UsageError('usage: swoosh secrets keygen --out FILE');
  const { identity, recipient } = await generateAgeIdentity();
  // 0600 and exclusive create: an identity is never group/world-readable and never silently replaced.
  try {
    await writeFile(values.out, formatIdentityFile(identity, recipient), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new UsageError(`cannot write ${values.out}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'file exists' : ((e as NodeJS.ErrnoException).code ?? 'error')}`);
  }
  json({ recipient, identity_file: values.out });
  return 0;
}

async function encrypt(argv: string[], json: Print): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { recipient: { type: 'string', multiple: true }, in: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
  });
  const recipients = values.recipient ?? [];
  if (recipients.length === 0 || values.in === undefined || values.out === undefined) {
    throw new UsageError('usage: swoosh secrets encrypt --recipient age1... [--recipient ...] --in PLAIN.json --out FILE [--force]');
  }
  if (values.force !== true && (await exists(values.out))) throw new UsageError(`${values.out} exists (pass --force to replace it)`);
  const secrets = parseSecretsFile(await readJsonFile(values.in, 'secrets plaintext'));
  const armored = await encryptSecrets(secrets, recipients);
  // Write beside the target, then rename: a reader never sees half a file.
  const tmp = `${values.out}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, armored, { mode: 0o644, flag: 'wx' });
    await rename(tmp, values.out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new UsageError(`cannot write ${values.out}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  json({ file: values.out, recipients, ...summarizeSecrets(secrets) });
  return 0;
}

function fileAndIdentity(argv: string[], sub: string): { file: string; identity: string | undefined } {
  const { values } = parseArgs({ args: argv, options: { file: { type: 'string' }, identity: { type: 'string' } } });
  if (values.file === undefined) throw new UsageError(`usage: swoosh secrets ${sub} --file FILE [--identity FILE]`);
  return { file: values.file, identity: values.identity };
}

async function show(argv: string[], io: SecretsCommandIo, json: Print): Promise<number> {
  const { file, identity } = fileAndIdentity(argv, 'show');
  json(redactSecretsForDisplay(await loadSecretsFile(file, { identityFile: identity, env: io.env })));
  return 0;
}

async function check(argv: string[], io: SecretsCommandIo, json: Print): Promise<number> {
  const { file, identity } = fileAndIdentity(argv, 'check');
  try {
    const secrets = await loadSecretsFile(file, { identityFile: identity, env: io.env });
    json({ ok: true, file, ...summarizeSecrets(secrets) });
    return 0;
  } catch (e) {
    if (!(e instanceof SecretsError)) throw e;
    json({ ok: false, file, code: e.code, message: e.message });
    return 1;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
