// The external-system contracts as JSON Schemas (docs/integrations/schemas/<type>.json), compiled once each.
// Adapters check what they receive, and the fakes what they are sent, against the same files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

export type ContractCheck = { ok: true } | { ok: false; reasons: string[] };

export const CONTRACT_SCHEMA_DIR = join(import.meta.dirname, '..', '..', 'docs', 'integrations', 'schemas');

const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();
let known: Set<string> | undefined;

/** The message types that have a schema (`kaching.verdict.v1`, …), from the file names. */
export function contractTypes(): string[] {
  known ??= new Set(
    readdirSync(CONTRACT_SCHEMA_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length)),
  );
  return [...known].sort();
}

function validatorFor(type: string): ValidateFunction | undefined {
  let fn = compiled.get(type);
  if (fn !== undefined) return fn;
  if (!contractTypes().includes(type)) return undefined;
  const schema = JSON.parse(readFileSync(join(CONTRACT_SCHEMA_DIR, `${type}.json`), 'utf8')) as Record<string, unknown>;
  fn = ajv.compile(schema);
  compiled.set(type, fn);
  return fn;
}

function describe(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 16).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** Checks `value` against the schema of message type `type`; an unknown type is a failure, not a throw. */
export function validateContract(type: string, value: unknown): ContractCheck {
  const fn = validatorFor(type);
  if (fn === undefined) return { ok: false, reasons: [`no contract schema for message type ${JSON.stringify(type)}`] };
  return fn(value) ? { ok: true } : { ok: false, reasons: describe(fn.errors) };
}
