// Contracts that must stay written down: every reason code is documented in the proposal contract.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REASON_CODES } from '../../src/core/reason-codes.ts';

test('docs/proposal-contract.md names every reason code', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'proposal-contract.md'), 'utf8');
  const missing = Object.keys(REASON_CODES).filter((code) => !doc.includes('`' + code + '`'));
  assert.deepEqual(missing, []);
});

test('openapi.yaml lists exactly the reason codes the reducer uses', async () => {
  const { parse } = await import('yaml');
  const spec = parse(readFileSync(join(import.meta.dirname, '..', '..', 'openapi.yaml'), 'utf8')) as { components: { schemas: { ReasonCode: { enum: string[] } } } };
  assert.deepEqual([...spec.components.schemas.ReasonCode.enum].sort(), Object.keys(REASON_CODES).sort());
});
