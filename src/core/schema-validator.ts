// JSON Schema validation of transition inputs (Ajv, compiled once per schema): pure and deterministic.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { TRANSITIONS, type TransitionName } from '../generated/statechart.ts';

const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();

export type SchemaCheck = { ok: true } | { ok: false; reasons: string[] };

function describe(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 16).map((e) => `inputs${e.instancePath || ''} ${e.message ?? 'is invalid'}`);
}

export function validateAgainst(key: string, schema: Readonly<Record<string, unknown>>, value: unknown): SchemaCheck {
  let fn = compiled.get(key);
  if (fn === undefined) {
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn(value) ? { ok: true } : { ok: false, reasons: describe(fn.errors) };
}

export function validateInputs(name: TransitionName, inputs: unknown): SchemaCheck {
  return validateAgainst(`transition:${name}`, TRANSITIONS[name].inputs_schema, inputs);
}
