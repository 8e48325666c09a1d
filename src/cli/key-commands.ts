// `swoosh keygen` and `swoosh sign`: portable key handling with @noble/ed25519.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Json } from '../core/canonical-json.ts';
import { generateKeyFile, parseKeyFile, signProposal } from '../sdk/proposal-signer.ts';
import { printJson, readJsonFile, UsageError } from './cli-io.ts';

export async function keygenCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
  if (values.out === undefined) throw new UsageError('usage: swoosh keygen --out FILE');
  const key = generateKeyFile();
  // 0600 and exclusive create: a key is never world-readable and never silently overwritten.
  try {
    await writeFile(values.out, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new UsageError(`cannot write ${values.out}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'file exists' : String(e)}`);
  }
  printJson({ signer: key.signer, key_file: values.out });
  return 0;
}

const DRAFT_FIELDS = ['current_state_hash', 'transition', 'idem_key', 'hlc', 'window_id', 'evidence', 'inputs'] as const;

export async function signCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { key: { type: 'string' }, proposal: { type: 'string' } } });
  if (values.key === undefined || values.proposal === undefined) throw new UsageError('usage: swoosh sign --key FILE --proposal FILE');
  const key = parseKeyFile(await readJsonFile(values.key, 'key file'));
  if (!key.ok) throw new UsageError(`${values.key}: ${key.reason}`);
  const draft = (await readJsonFile(values.proposal, 'proposal')) as Record<string, Json> | null;
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft)) throw new UsageError('the proposal file must hold a JSON object');
  const missing = DRAFT_FIELDS.filter((f) => !(f in draft));
  if (missing.length > 0) throw new UsageError(`the proposal lacks ${missing.join(', ')} (signer, inputs_hash and signature are filled in)`);
  const signed = signProposal(
    {
      current_state_hash: draft['current_state_hash'] as never,
      transition: draft['transition'] as string,
      idem_key: draft['idem_key'] as string,
      hlc: draft['hlc'] as string,
      window_id: (draft['window_id'] ?? null) as string | null,
      evidence: draft['evidence'] as string[],
      inputs: draft['inputs'] as Json,
    },
    key.secret,
  );
  printJson(signed);
  return 0;
}
