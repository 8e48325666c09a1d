// The age-encrypted secrets file: round trip, strict validation, identity sources and permissions,
// error codes without secret material, the Secret wrapper against every logging path, and the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import { after, test } from 'node:test';
import { armor, Encrypter } from 'age-encryption';
import { createLogger } from '../../src/node/logger.ts';
import { generateKeyFile } from '../../src/sdk/proposal-signer.ts';
import {
  decryptSecrets,
  encryptSecrets,
  formatIdentityFile,
  generateAgeIdentity,
  loadSecrets,
  loadSecretsFile,
  openSecrets,
  parseSecretsFile,
  redactSecretsForDisplay,
  SecretsError,
  type SecretsErrorCode,
  type SecretsFile,
} from '../../src/secrets/age-secrets.ts';
import { Secret } from '../../src/secrets/secret-value.ts';
import { secretsCommand } from '../../src/cli/secrets-command.ts';
import { UsageError } from '../../src/cli/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
const tmp = (name: string) => join(dir, `${++fileCounter}-${name}`);

const LICENSE = 'kaching-license-PLAINTEXT-7f3a9c';
const CREDENTIAL = 'hmmm-api-token-PLAINTEXT-41be02';
const adapterKey = generateKeyFile();

function sample(): SecretsFile {
  return {
    type: 'swoosh.secrets.v1',
    kaching: { license_key: LICENSE },
    adapter_keys: { 'license-adapter': adapterKey },
    credentials: { hmmm_token: CREDENTIAL },
  };
}

/** Every secret value in the sample, for "must not appear" checks. */
const SECRET_VALUES = [LICENSE, CREDENTIAL, adapterKey.secret_key];

function assertNoSecrets(text: string, where: string, extra: string[] = []): void {
  for (const s of [...SECRET_VALUES, ...extra]) assert.ok(!text.includes(s), `${where} must not contain secret material (found ${s.slice(0, 12)}...)`);
}

/** Encrypts arbitrary plaintext, bypassing encryptSecrets' validation, to test the decrypt-side checks. */
async function rawEncrypt(plaintext: string, recipient: string): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(plaintext);
}

async function rejectsWith(p: Promise<unknown>, code: SecretsErrorCode, what: string, forbidden: string[] = []): Promise<SecretsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SecretsError, `${what}: expected a SecretsError, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: error code (message: ${e.message})`);
    assertNoSecrets(e.message + (e.stack ?? ''), `${what}: error message`, forbidden);
    return e;
  }
  assert.fail(`${what}: expected a rejection with ${code}, but it resolved`);
}

function writeIdentity(identity: string, recipient: string, mode = 0o600): string {
  const path = tmp('identity.txt');
  writeFileSync(path, formatIdentityFile(identity, recipient), { mode });
  chmodSync(path, mode); // the umask may have cleared bits that the test wants set
  return path;
}

test('encrypt then decrypt gives the same document back; the output is armored age without plaintext', async () => {
  const { identity, recipient } = await generateAgeIdentity();
  assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]+$/, 'identity is an X25519 age secret key');
  assert.match(recipient, /^age1[0-9a-z]+$/, 'recipient is an age1 public key');
  const ciphertext = await encryptSecrets(sample(), [recipient]);
  const text = new TextDecoder().decode(ciphertext);
  assert.ok(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n'), 'ciphertext is ASCII-armored');
  assert.ok(text.trimEnd().endsWith('-----END AGE ENCRYPTED FILE-----'), 'armor is closed');
  assertNoSecrets(text, 'ciphertext');
  assert.deepEqual(await decryptSecrets(ciphertext, [identity]), sample(), 'round trip from bytes');
  assert.deepEqual(await decryptSecrets(text, [identity]), sample(), 'round trip from an armored string');
  const binary = armor.decode(text);
  assert.deepEqual(await decryptSecrets(binary, [identity]), sample(), 'binary (unarmored) age is accepted too');
});

test('a file encrypted to two recipients opens with either identity; a minimal file round-trips', async () => {
  const a = await generateAgeIdentity();
  const b = await generateAgeIdentity();
  const ciphertext = await encryptSecrets(sample(), [a.recipient, b.recipient]);
  assert.deepEqual(await decryptSecrets(ciphertext, [a.identity]), sample(), 'first recipient decrypts');
  assert.deepEqual(await decryptSecrets(ciphertext, [b.identity]), sample(), 'second recipient decrypts');
  const minimal: SecretsFile = { type: 'swoosh.secrets.v1' };
  assert.deepEqual(await decryptSecrets(await encryptSecrets(minimal, [a.recipient]), [a.identity]), minimal, 'type-only file round-trips');
});

test('the wrong identity, a damaged file and a bad identity string are secrets_decrypt_failed / _identity_invalid, without key material', async () => {
  const right = await generateAgeIdentity();
  const wrong = await generateAgeIdentity();
  const ciphertext = await encryptSecrets(sample(), [right.recipient]);
  await rejectsWith(decryptSecrets(ciphertext, [wrong.identity]), 'secrets_decrypt_failed', 'wrong identity', [wrong.identity, right.identity]);

  const binary = armor.decode(new TextDecoder().decode(ciphertext));
  const tampered = binary.slice();
  tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01;
  await rejectsWith(decryptSecrets(tampered, [right.identity]), 'secrets_decrypt_failed', 'tampered payload', [right.identity]);
  await rejectsWith(decryptSecrets(new TextEncoder().encode('not age at all'), [right.identity]), 'secrets_decrypt_failed', 'not an age file');
  await rejectsWith(decryptSecrets('plain text', [right.identity]), 'secrets_decrypt_failed', 'string without armor');

  // The age library's bech32 decoder quotes the whole string on a bad checksum; ours must not.
  const last = right.identity.at(-1) === 'Q' ? 'P' : 'Q';
  const badChecksum = right.identity.slice(0, -1) + last;
  const e = await rejectsWith(decryptSecrets(ciphertext, [badChecksum]), 'secrets_identity_invalid', 'bad checksum identity', [badChecksum, right.identity]);
  assert.match(e.message, /identity #1/, 'the message says which identity is bad');
  await rejectsWith(decryptSecrets(ciphertext, []), 'secrets_identity_missing', 'no identities');
});

test('malformed plaintext, unknown fields and bad key files are secrets_malformed, naming the field but no value', async () => {
  const { identity, recipient } = await generateAgeIdentity();
  const notJson = `{"kaching": {"license_key": "${LICENSE}"`;
  await rejectsWith(decryptSecrets(await rawEncrypt(notJson, recipient), [identity]), 'secrets_malformed', 'truncated JSON');
  // V8's JSON.parse messages quote the text around an unexpected token; that text must not come through.
  const unquoted = '{"kaching": {"license_key": s3cr3t}}';
  await rejectsWith(decryptSecrets(await rawEncrypt(unquoted, recipient), [identity]), 'secrets_malformed', 'unquoted value', ['s3cr3t']);

  const unknown = { ...sample(), licence: LICENSE };
  const e1 = await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(unknown), recipient), [identity]), 'secrets_malformed', 'unknown top-level field');
  assert.match(e1.message, /"licence"/, 'the unknown field is named');

  const wrongType = { ...sample(), type: 'swoosh.secrets.v2' };
  await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(wrongType), recipient), [identity]), 'secrets_malformed', 'wrong type');

  const other = generateKeyFile();
  const mismatched = { ...sample(), adapter_keys: { 'window-adapter': { ...adapterKey, signer: other.signer } } };
  const e2 = await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(mismatched), recipient), [identity]), 'secrets_malformed', 'signer mismatch');
  assert.match(e2.message, /adapter_keys\.window-adapter/, 'the bad adapter is named');
  assert.match(e2.message, /signer does not match/, 'parseKeyFile reason is given');

  const short = { ...sample(), adapter_keys: { a: { ...adapterKey, secret_key: 'AAAA' } } };
  await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(short), recipient), [identity]), 'secrets_malformed', 'short secret_key');

  const extraKeyField = { ...sample(), adapter_keys: { a: { ...adapterKey, comment: 'x' } } };
  await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(extraKeyField), recipient), [identity]), 'secrets_malformed', 'unknown field in a key file');

  const badCredential = { ...sample(), credentials: { token: 42 } };
  await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(badCredential), recipient), [identity]), 'secrets_malformed', 'non-string credential');

  const badKaching = { ...sample(), kaching: { license_key: LICENSE, extra: 1 } };
  await rejectsWith(decryptSecrets(await rawEncrypt(JSON.stringify(badKaching), recipient), [identity]), 'secrets_malformed', 'unknown kaching field');

  // The encrypt side refuses the same documents before anything is written.
  await rejectsWith(encryptSecrets(unknown as unknown as SecretsFile, [recipient]), 'secrets_malformed', 'encrypting an unknown field');
  await rejectsWith(encryptSecrets(sample(), []), 'secrets_recipient_invalid', 'no recipients');
  await rejectsWith(encryptSecrets(sample(), [identity]), 'secrets_recipient_invalid', 'an identity passed as recipient', [identity]);
  await rejectsWith(encryptSecrets(sample(), ['age1notarecipient']), 'secrets_recipient_invalid', 'bad recipient');
});

test('identities come from a file, SWOOSH_AGE_IDENTITY or SWOOSH_AGE_IDENTITY_FILE; group/other-readable files are refused', async () => {
  const { identity, recipient } = await generateAgeIdentity();
  const secretsPath = tmp('secrets.age');
  writeFileSync(secretsPath, await encryptSecrets(sample(), [recipient]));

  const good = writeIdentity(identity, recipient, 0o600);
  assert.deepEqual(await loadSecretsFile(secretsPath, good), sample(), 'identity file path (string form)');
  assert.deepEqual(await loadSecretsFile(secretsPath, { identityFile: good, env: {} }), sample(), 'identity file path (object form)');
  assert.deepEqual(await loadSecretsFile(secretsPath, { env: { SWOOSH_AGE_IDENTITY: identity } }), sample(), 'SWOOSH_AGE_IDENTITY');
  assert.deepEqual(await loadSecretsFile(secretsPath, { env: { SWOOSH_AGE_IDENTITY_FILE: good } }), sample(), 'SWOOSH_AGE_IDENTITY_FILE');

  const loose = writeIdentity(identity, recipient, 0o644);
  const e = await rejectsWith(loadSecretsFile(secretsPath, loose), 'secrets_identity_permissions', 'mode 0644 identity file', [identity]);
  assert.match(e.message, /0644/, 'the message shows the mode');
  await rejectsWith(loadSecretsFile(secretsPath, { env: { SWOOSH_AGE_IDENTITY_FILE: loose } }), 'secrets_identity_permissions', 'mode 0644 via env', [identity]);
  const groupOnly = writeIdentity(identity, recipient, 0o640);
  await rejectsWith(loadSecretsFile(secretsPath, groupOnly), 'secrets_identity_permissions', 'mode 0640 identity file');

  await rejectsWith(loadSecretsFile(secretsPath, { env: {} }), 'secrets_identity_missing', 'no identity anywhere');
  await rejectsWith(loadSecretsFile(secretsPath, join(dir, 'nope.txt')), 'secrets_identity_missing', 'identity file does not exist');
  const empty = tmp('empty-identity.txt');
  writeFileSync(empty, '# only a comment\n', { mode: 0o600 });
  await rejectsWith(loadSecretsFile(secretsPath, empty), 'secrets_identity_missing', 'identity file without identities');
  await rejectsWith(loadSecretsFile(join(dir, 'missing.age'), good), 'secrets_file_missing', 'secrets file does not exist');
  await rejectsWith(loadSecretsFile(secretsPath, { env: { SWOOSH_AGE_IDENTITY: 'hunter2' } }), 'secrets_identity_invalid', 'garbage identity', ['hunter2']);
});

test('Secret never shows its value through String, JSON, inspect or format', async () => {
  const s = new Secret(LICENSE);
  assert.equal(s.reveal(), LICENSE, 'reveal returns the value');
  assert.equal(String(s), '[REDACTED]', 'String()');
  assert.equal(s.toString(), '[REDACTED]', 'toString()');
  assert.equal(`${s}`, '[REDACTED]', 'template literal');
  assert.equal('' + s, '[REDACTED]', 'string concatenation');
  assert.equal(JSON.stringify({ s }), '{"s":"[REDACTED]"}', 'JSON.stringify');
  assert.equal(inspect(s), '[REDACTED]', 'util.inspect');
  assert.ok(!inspect({ deep: { s } }, { depth: 10, showHidden: true }).includes(LICENSE), 'util.inspect, nested, showHidden');
  assert.ok(!format('%s %o %O %j', s, s, s, s).includes(LICENSE), 'util.format (console.log)');
  assert.deepEqual(Object.keys(s), [], 'no enumerable property holds the value');
});

test('a pino logger from createLogger never writes the values of loaded secrets', () => {
  const loaded = openSecrets(sample());
  assert.equal(loaded.kaching?.license_key.reveal(), LICENSE, 'the license key is revealed on demand');
  assert.equal(loaded.credentials.get('hmmm_token')?.reveal(), CREDENTIAL, 'credentials are revealed on demand');
  const adapter = loaded.adapterKeys.get('license-adapter');
  assert.equal(adapter?.signer, adapterKey.signer, 'the signer is plain');
  assert.equal(adapter?.secret.reveal().length, 32, 'the adapter secret is the 32-byte seed');
  const seedBytes = Array.from(adapter?.secret.reveal() ?? []).join(',');

  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (msg: string) => void lines.push(msg) } });
  logger.info({ license_key: loaded.kaching?.license_key, secrets: loaded, credential: loaded.credentials.get('hmmm_token') }, 'loaded secrets');
  logger.info({ adapter }, `adapter ${adapter?.secret} ready`);
  logger.warn(`license ${loaded.kaching?.license_key}`);
  const logged = lines.join('');
  assert.equal(lines.length, 3, 'the logger wrote three lines');
  assertNoSecrets(logged, 'pino output');
  assert.ok(!logged.includes(seedBytes), 'pino output must not contain the seed bytes');
  assert.ok(logged.includes('[REDACTED]'), 'pino output shows the redaction marker');
  assert.ok(!inspect(loaded, { depth: 10 }).includes(LICENSE), 'inspect of the loaded secrets');
});

test('redactSecretsForDisplay keeps names and signers and hides every value', () => {
  const red = redactSecretsForDisplay(sample());
  const text = JSON.stringify(red);
  assertNoSecrets(text, 'redacted view');
  assert.equal(red.kaching?.license_key, '[REDACTED]', 'license key redacted');
  assert.equal(red.adapter_keys?.['license-adapter']?.signer, adapterKey.signer, 'signer visible');
  assert.equal(red.adapter_keys?.['license-adapter']?.secret_key, '[REDACTED]', 'secret key redacted');
  assert.equal(red.credentials?.['hmmm_token'], '[REDACTED]', 'credential redacted');
  assert.deepEqual(redactSecretsForDisplay({ type: 'swoosh.secrets.v1' }), { type: 'swoosh.secrets.v1' }, 'absent sections stay absent');
  assert.throws(() => parseSecretsFile([]), (e: unknown) => e instanceof SecretsError && e.code === 'secrets_malformed', 'an array is malformed');
});

function cliIo(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env }, out, err, json: () => JSON.parse(out.join('')) as Record<string, unknown> };
}

test('CLI: keygen, encrypt, show and check in-process', async () => {
  const identityFile = tmp('cli-identity.txt');
  const k = cliIo();
  assert.equal(await secretsCommand(['keygen', '--out', identityFile], k.io), 0, 'keygen exits 0');
  const recipient = k.json()['recipient'] as string;
  assert.match(recipient, /^age1[0-9a-z]+$/, 'keygen prints the recipient');
  assert.equal(statSync(identityFile).mode & 0o777, 0o600, 'identity file is mode 0600');
  const identityText = readFileSync(identityFile, 'utf8');
  assert.match(identityText, new RegExp(`^# public key: ${recipient}$`, 'm'), 'identity file names its recipient like age-keygen');
  const identity = identityText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';
  assert.ok(!k.out.join('').includes(identity), 'keygen does not print the identity');
  await assert.rejects(secretsCommand(['keygen', '--out', identityFile], cliIo().io), UsageError, 'keygen refuses to overwrite');

  const plain = tmp('plain.json');
  writeFileSync(plain, JSON.stringify(sample()));
  const secretsPath = tmp('cli-secrets.age');
  const e = cliIo();
  assert.equal(await secretsCommand(['encrypt', '--recipient', recipient, '--in', plain, '--out', secretsPath], e.io), 0, `encrypt exits 0: ${e.err.join('')}`);
  assertNoSecrets(e.out.join(''), 'encrypt output');
  assert.deepEqual(e.json()['credentials'], ['hmmm_token'], 'encrypt summarizes credential names');
  assert.ok(readFileSync(secretsPath, 'utf8').startsWith('-----BEGIN AGE ENCRYPTED FILE-----'), 'the written file is armored');
  await assert.rejects(secretsCommand(['encrypt', '--recipient', recipient, '--in', plain, '--out', secretsPath], cliIo().io), UsageError, 'encrypt refuses to overwrite without --force');
  assert.equal(await secretsCommand(['encrypt', '--recipient', recipient, '--in', plain, '--out', secretsPath, '--force'], cliIo().io), 0, 'encrypt --force replaces');

  const s = cliIo();
  assert.equal(await secretsCommand(['show', '--file', secretsPath, '--identity', identityFile], s.io), 0, `show exits 0: ${s.err.join('')}`);
  assertNoSecrets(s.out.join(''), 'show output');
  assert.deepEqual(s.json(), redactSecretsForDisplay(sample()), 'show prints the redacted view');
  const sEnv = cliIo({ SWOOSH_AGE_IDENTITY: identity });
  assert.equal(await secretsCommand(['show', '--file', secretsPath], sEnv.io), 0, 'show takes the identity from SWOOSH_AGE_IDENTITY');

  const c = cliIo();
  assert.equal(await secretsCommand(['check', '--file', secretsPath, '--identity', identityFile], c.io), 0, 'check exits 0');
  assert.equal(c.json()['ok'], true, 'check prints ok');
  assertNoSecrets(c.out.join(''), 'check output');

  const other = tmp('other-identity.txt');
  assert.equal(await secretsCommand(['keygen', '--out', other], cliIo().io), 0, 'second keygen');
  const bad = cliIo();
  assert.equal(await secretsCommand(['check', '--file', secretsPath, '--identity', other], bad.io), 1, 'check with the wrong identity exits 1');
  assert.equal(bad.json()['code'], 'secrets_decrypt_failed', 'check prints the error code');

  chmodSync(identityFile, 0o644);
  const perm = cliIo();
  assert.equal(await secretsCommand(['check', '--file', secretsPath, '--identity', identityFile], perm.io), 1, 'check with a 0644 identity exits 1');
  assert.equal(perm.json()['code'], 'secrets_identity_permissions', 'check reports the permission problem');
  const permShow = cliIo();
  assert.equal(await secretsCommand(['show', '--file', secretsPath, '--identity', identityFile], permShow.io), 1, 'show with a 0644 identity exits 1');
  assert.match(permShow.err.join(''), /secrets_identity_permissions/, 'show names the error code on stderr');
  chmodSync(identityFile, 0o600);

  const badPlain = tmp('bad-plain.json');
  writeFileSync(badPlain, JSON.stringify({ ...sample(), extra: true }));
  const m = cliIo();
  assert.equal(await secretsCommand(['encrypt', '--recipient', recipient, '--in', badPlain, '--out', tmp('never.age')], m.io), 1, 'encrypt of a malformed file exits 1');
  assert.match(m.err.join(''), /secrets_malformed: unknown field "extra"/, 'encrypt names the unknown field');
  assert.ok(!existsSync(join(dir, `${fileCounter}-never.age`)), 'nothing is written for a malformed file');

  await assert.rejects(secretsCommand([], cliIo().io), UsageError, 'no subcommand is a usage error');
  await assert.rejects(secretsCommand(['frob'], cliIo().io), UsageError, 'unknown subcommand is a usage error');
  await assert.rejects(secretsCommand(['show'], cliIo().io), UsageError, 'show without --file is a usage error');
});

const hasAge = spawnSync('age', ['--version'], { encoding: 'utf8' }).status === 0;

test('interop: the reference age tool decrypts our files and we decrypt its files', { skip: hasAge ? false : 'the age binary is not installed' }, async () => {
  const { identity, recipient } = await generateAgeIdentity();
  const identityFile = writeIdentity(identity, recipient, 0o600);
  const secretsPath = tmp('interop.age');
  writeFileSync(secretsPath, await encryptSecrets(sample(), [recipient]));
  const d = spawnSync('age', ['-d', '-i', identityFile, secretsPath], { encoding: 'utf8' });
  assert.equal(d.status, 0, `age -d exits 0: ${d.stderr}`);
  assert.deepEqual(JSON.parse(d.stdout), sample(), 'age -d yields the same document');

  const theirs = tmp('theirs.age');
  const en = spawnSync('age', ['-e', '-r', recipient, '-o', theirs], { input: JSON.stringify(sample()) });
  assert.equal(en.status, 0, `age -e exits 0: ${String(en.stderr)}`);
  assert.deepEqual(await loadSecretsFile(theirs, identityFile), sample(), 'a binary file from age -e decrypts');
  const loaded = await loadSecrets(theirs, identityFile);
  assert.equal(loaded.kaching?.license_key.reveal(), LICENSE, 'loadSecrets reveals the license key from an age -e file');
});
