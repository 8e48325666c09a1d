// `swoosh propose`: build, sign and send one proposal against a running replica, retrying on a stale hash.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Json } from '../core/canonical-json.ts';
import { propose } from '../sdk/client.ts';
import { parseKeyFile } from '../sdk/proposal-signer.ts';
import { intOption, printJson, readJsonFile, UsageError } from './cli-io.ts';

async function parseInputs(text: string): Promise<Json> {
  const source = text.startsWith('@') ? await readFile(text.slice(1), 'utf8').catch(() => { throw new UsageError(`cannot read ${text.slice(1)}`); }) : text;
  try {
    return JSON.parse(source) as Json;
  } catch {
    throw new UsageError('--inputs must be JSON (or @FILE holding JSON)');
  }
}

export async function proposeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      key: { type: 'string' },
      url: { type: 'string' },
      transition: { type: 'string' },
      inputs: { type: 'string' },
      'window-id': { type: 'string' },
      evidence: { type: 'string', multiple: true },
      'idem-key': { type: 'string' },
      attempts: { type: 'string' },
    },
  });
  if (values.key === undefined || values.transition === undefined || values.inputs === undefined) {
    throw new UsageError("usage: swoosh propose --key FILE --url URL --transition NAME --inputs JSON|@FILE [--window-id W] [--evidence LINK]... [--idem-key K]");
  }
  const key = parseKeyFile(await readJsonFile(values.key, 'key file'));
  if (!key.ok) throw new UsageError(`${values.key}: ${key.reason}`);
  const url = values.url ?? process.env['SWOOSH_URL'] ?? 'http://127.0.0.1:7070';
  const result = await propose({
    url,
    secretKey: key.secret,
    transition: values.transition,
    inputs: await parseInputs(values.inputs),
    windowId: values['window-id'] ?? null,
    evidence: values.evidence ?? [`ucxl://swoosh-cli:proposer@cli:${values.transition}/*^/propose`],
    idemKey: values['idem-key'] ?? `cli:${values.transition}:${randomUUID()}`,
    maxAttempts: intOption(values.attempts, 'attempts', 20),
  }).catch((e: Error) => {
    throw new UsageError(`cannot reach ${url}: ${e.message}`);
  });
  printJson({ http_status: result.status, attempts: result.attempts, idem_key: result.proposal.idem_key, ...result.body });
  return result.status === 202 ? 0 : 1;
}
