// SHHH redaction rules: the default secret detectors, their effect on decision records (inputs, justification,
// reasons, guard outcomes) and on log lines, and how Policy_Update replaces or keeps them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Json } from '../../src/core/canonical-json.ts';
import { decisionRecordIdOf, type DecisionRecord } from '../../src/core/decision-record.ts';
import { digestJson } from '../../src/core/digest.ts';
import { genesisState, parseGenesis } from '../../src/core/genesis.ts';
import { reduce } from '../../src/core/reducer.ts';
import { DEFAULT_REDACTION_RULES, REDACTED, invalidRedactionPatterns, redactJson, redactText, type RedactionRule } from '../../src/core/redaction.ts';
import { createLogger } from '../../src/node/logger.ts';
import { Driver, h, keys, testGenesis } from '../support/fixtures.ts';

// Fake secrets, one per class the defaults must catch (none of them is a real credential).
const SECRETS = {
  'api key (sk-)': 'sk-live_4f9aB2cD8eF0gH1iJ3kL',
  'api key (assignment)': 'API_KEY=9f8e7d6c5b4a3210',
  'AWS access key id': 'AKIAIOSFODNN7EXAMPLE',
  'bearer token': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
  'OAuth token (Google)': 'ya29.a0AfH6SMBx3dQ-example_token',
  'OAuth token (GitHub)': 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8',
  'PEM private key': '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----',
} as const;

// A fragment of each secret that must not survive redaction (the part after any keyword the rule keeps context of).
const CORE: Record<keyof typeof SECRETS, string> = {
  'api key (sk-)': '4f9aB2cD8eF0gH1iJ3kL',
  'api key (assignment)': '9f8e7d6c5b4a3210',
  'AWS access key id': 'IOSFODNN7EXAMPLE',
  'bearer token': 'eyJhbGciOiJIUzI1NiJ9',
  'OAuth token (Google)': 'a0AfH6SMBx3dQ',
  'OAuth token (GitHub)': 'A1b2C3d4E5f6G7h8I9j0',
  'PEM private key': 'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
};

test('the default rules catch each secret class, inside surrounding text, and keep the text around it', () => {
  for (const [kind, secret] of Object.entries(SECRETS) as [keyof typeof SECRETS, string][]) {
    const text = `before ${secret} after`;
    const out = redactText(text, DEFAULT_REDACTION_RULES);
    assert.ok(!out.includes(CORE[kind]), `${kind}: the secret survived: ${out}`);
    assert.ok(out.includes(REDACTED), `${kind}: no ${REDACTED} marker in ${out}`);
    assert.ok(out.startsWith('before ') && out.endsWith(' after'), `${kind}: the surrounding text was not kept: ${out}`);
  }
  // Case-insensitive rules (flags i).
  assert.equal(redactText('authorization: BEARER abcdefgh12345678', DEFAULT_REDACTION_RULES), `authorization: ${REDACTED}`, 'bearer is case-insensitive');
  // A PEM header whose END line was cut off still takes its body with it.
  const cut = redactText('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC', DEFAULT_REDACTION_RULES);
  assert.ok(!cut.includes('MIIEvQIBADAN'), `an unterminated PEM block leaked: ${cut}`);
});

test('the default rules leave ordinary text alone', () => {
  const ordinary = [
    'Ingestion finished: 3 records, schema ok, classification internal',
    'task-1234567890abcdefghij was approved by reviewer r1',
    'the bearer of this note may enter',
    'see ucxl://chorus:spec@council/*^/evidence and sha256-' + '0'.repeat(64),
    'hmmm:pubkey:AEePr-z4NI3V6sUeYI1rVPjo0S64cH_LCRmzBQM6edk',
    'BEGIN PUBLIC KEY and the key ring',
    'the apikey field is documented in docs/api.md',
    '',
  ];
  for (const text of ordinary) assert.equal(redactText(text, DEFAULT_REDACTION_RULES), text, `ordinary text was changed: ${JSON.stringify(text)}`);
  const value: Json = { a: ['plain', { b: 'text', n: 1, t: true, z: null }] };
  assert.equal(redactJson(value, DEFAULT_REDACTION_RULES), value, 'redactJson returns the value itself when nothing matched');
});

test('redactJson walks strings in nested objects and arrays, keeps keys and non-strings, and does not mutate', () => {
  const value: Json = { header: `Authorization: ${SECRETS['bearer token']}`, list: [1, SECRETS['AWS access key id'], { deep: [SECRETS['OAuth token (GitHub)']] }], ok: true, none: null };
  const before = JSON.stringify(value);
  const out = redactJson(value, DEFAULT_REDACTION_RULES);
  assert.deepEqual(out, { header: `Authorization: ${REDACTED}`, list: [1, REDACTED, { deep: [REDACTED] }], ok: true, none: null }, 'every string was scrubbed');
  assert.equal(JSON.stringify(value), before, 'the input was not mutated');
  // A `__proto__` key from JSON.parse stays a key of the copy.
  const parsed = JSON.parse(`{"__proto__": "${SECRETS['AWS access key id']}", "x": 1}`) as Json;
  const copy = redactJson(parsed, DEFAULT_REDACTION_RULES) as Record<string, Json>;
  assert.ok(Object.prototype.hasOwnProperty.call(copy, '__proto__'), 'the __proto__ key was lost');
  assert.equal(copy['__proto__'], REDACTED, 'the __proto__ value was not scrubbed');
});

test('a rule that can match the empty string does not insert markers between characters', () => {
  const rules: RedactionRule[] = [{ id: 'digits', pattern: '[0-9]*', severity: 'low' }];
  assert.equal(redactText('ab12c', rules), `ab${REDACTED}c`, 'only the non-empty match is replaced');
});

// ---------------------------------------------------------------------------------------------- decision records

function assertNoSecret(dr: DecisionRecord, fragment: string, what: string): void {
  assert.ok(!JSON.stringify(dr).includes(fragment), `${what}: the DR still contains ${fragment}: ${JSON.stringify(dr)}`);
}

test('a DR of a transition whose inputs carry a bearer token or a PEM key has them redacted; inputs_hash is unchanged', () => {
  const d = new Driver();
  const rationale = `token leaked: Authorization: ${SECRETS['bearer token']}`;
  const proposal = d.proposal(keys.shhh, 'Policy_Quarantine', { rule_id: 'leak', rationale });
  const r = d.submit(proposal);
  assert.equal(r.outcome.status, 'accepted', `Policy_Quarantine: ${r.outcome.code} ${r.outcome.reasons.join('; ')}`);
  const dr = r.decisionRecord!;
  assert.deepEqual(dr.inputs, { rule_id: 'leak', rationale: `token leaked: Authorization: ${REDACTED}` }, 'the bearer token in inputs was redacted');
  assert.equal(dr.inputs_hash, proposal.inputs_hash, 'the DR keeps the proposal inputs_hash');
  assert.equal(dr.inputs_hash, digestJson({ rule_id: 'leak', rationale }), 'inputs_hash commits to the unredacted inputs');
  assert.equal(decisionRecordIdOf(dr), dr.id, 'the DR id covers the redacted form');
  assertNoSecret(dr, CORE['bearer token'], 'bearer token');

  const justification = `released; the key was ${SECRETS['PEM private key']} and it is rotated`;
  const release = d.proposal(keys.human, 'Policy_HumanRelease', { justification });
  const rr = d.submit(release);
  assert.equal(rr.outcome.status, 'accepted', `Policy_HumanRelease: ${rr.outcome.code} ${rr.outcome.reasons.join('; ')}`);
  assert.deepEqual(rr.decisionRecord!.inputs, { justification: `released; the key was ${REDACTED} and it is rotated` }, 'the PEM block was redacted');
  assert.equal(rr.decisionRecord!.inputs_hash, digestJson({ justification }), 'inputs_hash commits to the unredacted inputs');
  assertNoSecret(rr.decisionRecord!, CORE['PEM private key'], 'PEM key');
  assertNoSecret(rr.decisionRecord!, 'PRIVATE KEY', 'PEM key header');
});

test('redaction is deterministic: the same entry on the same state gives the same DR', () => {
  const d = new Driver();
  const proposal = d.proposal(keys.shhh, 'Policy_Quarantine', { rule_id: 'leak', rationale: `key ${SECRETS['AWS access key id']}` });
  const entry = { index: 1, stamp: '2026-01-01T00:00:01.000+00:00#1', proposal };
  const a = reduce(d.state, entry);
  const b = reduce(genesisState(testGenesis()), entry);
  assert.equal(a.outcome.status, 'accepted', `${a.outcome.code} ${a.outcome.reasons.join('; ')}`);
  assert.deepEqual(b.decisionRecord, a.decisionRecord, 'two reductions of the same entry disagree');
  assert.equal((a.decisionRecord!.inputs as Record<string, Json>)['rationale'], `key ${REDACTED}`, 'the AWS key was redacted');
});

test('justification, reasons and guard outcome reasons of a quarantine DR are redacted; the outcome says the same', () => {
  const rationale = `restricted data; escalate with api_key=${CORE['api key (assignment)']}`;
  const d = new Driver(
    testGenesis({ policy: { version: 1, rules: [{ id: 'no-restricted', when: { transition: 'Ingestion_SchemaOk', input: 'classification', equals: 'restricted' }, rationale }] } }),
  );
  d.ok(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  d.ok(keys.ing, 'Ingestion_SourcesResolved', { sources: ['ucxl://a:b@c/*^/d'] });
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
  const r = d.do(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('s'), records: 1, classification: 'restricted' });
  assert.equal(r.outcome.status, 'quarantined');
  const dr = r.decisionRecord!;
  assert.equal(dr.justification, `quarantined by policy rule no-restricted: restricted data; escalate with ${REDACTED}`, 'justification');
  assert.deepEqual(dr.reasons, [`no-restricted: restricted data; escalate with ${REDACTED}`], 'reasons');
  const policyOutcome = dr.guard_outcomes.find((g) => g.guard === 'policy');
  assert.ok(policyOutcome !== undefined, 'the DR has the policy guard outcome');
  assert.ok(policyOutcome.reasons.length > 0 && policyOutcome.reasons.every((x) => x.endsWith(`escalate with ${REDACTED}`)), `guard reasons: ${policyOutcome.reasons.join('; ')}`);
  assert.deepEqual(r.outcome.reasons, dr.reasons, 'the outcome carries the redacted reasons');
  assertNoSecret(dr, CORE['api key (assignment)'], 'api key');
  // The state is not a DR: the policy section keeps the rationale as given.
  assert.equal(d.state.policy.rationale, rationale);
});

test('a rejection DR is redacted too', () => {
  const d = new Driver();
  const id = 'sk-abcdefghijklmnopqrstuvwx';
  const r = d.do(keys.shhh, 'Policy_Update', { version: 2, rules: [], redaction_rules: [{ id, pattern: '(', severity: 'high' }] });
  assert.equal(r.outcome.status, 'rejected');
  assert.deepEqual(r.decisionRecord!.reasons, [`redaction rule ${REDACTED}: invalid regular expression`], 'reasons of a rejection are scrubbed');
  assert.deepEqual(r.outcome.reasons, r.decisionRecord!.reasons, 'the outcome carries the redacted reasons');
});

test('genesis without redaction_rules uses the defaults; with them, uses them; invalid patterns are refused', () => {
  assert.deepEqual(genesisState(testGenesis()).policy.redaction_rules, DEFAULT_REDACTION_RULES, 'defaults when absent');
  const custom: RedactionRule[] = [{ id: 'ticket', pattern: 'TICKET-[0-9]+', severity: 'low' }];
  const base = testGenesis();
  assert.deepEqual(genesisState(testGenesis({ policy: { ...base.policy, redaction_rules: custom } })).policy.redaction_rules, custom, 'the genesis rules');
  assert.deepEqual(genesisState(testGenesis({ policy: { ...base.policy, redaction_rules: [] } })).policy.redaction_rules, [], 'an explicit empty list turns detection off');
  const bad = parseGenesis({ ...base, policy: { ...base.policy, redaction_rules: [{ id: 'bad', pattern: '[', severity: 'high' }] } });
  assert.deepEqual(bad, { ok: false, reasons: ['genesis.policy: redaction rule bad: invalid regular expression'] });
});

test('a Policy_Update with new redaction_rules changes redaction of later DRs; omitting them keeps the current ones', () => {
  const d = new Driver();
  const leaky = (text: string) => d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: text }).decisionRecord!.inputs as Record<string, Json>;
  const release = () => d.ok(keys.human, 'Policy_HumanRelease', { justification: 'ok' });

  // Before: defaults. A ticket number is not a secret.
  assert.equal(leaky(`see TICKET-4711, ${SECRETS['bearer token']}`)['rationale'], `see TICKET-4711, ${REDACTED}`);
  release();

  // The update's own DR is redacted with the rules in force before it (the defaults), even though it turns them off.
  const rules: RedactionRule[] = [{ id: 'ticket', pattern: 'ticket-[0-9]+', flags: 'i', severity: 'medium' }];
  const update = d.ok(keys.shhh, 'Policy_Update', {
    version: 2,
    rules: [{ id: 'r1', when: { transition: 'Control_Pause' }, rationale: `old key AKIAIOSFODNN7EXAMPLE was rotated` }],
    redaction_rules: rules,
  });
  assertNoSecret(update.decisionRecord!, 'AKIAIOSFODNN7EXAMPLE', 'the update DR (pre-state rules)');
  assert.deepEqual(d.state.policy.redaction_rules, rules, 'the update replaced the detectors');

  // After: the new rule applies, the old ones do not.
  assert.equal(leaky(`see TICKET-4711, ${SECRETS['bearer token']}`)['rationale'], `see ${REDACTED}, ${SECRETS['bearer token']}`);
  release();

  // An update without redaction_rules keeps the ones in force.
  d.ok(keys.admin, 'Policy_Update', { version: 3, rules: [] });
  assert.deepEqual(d.state.policy.redaction_rules, rules, 'omitting redaction_rules keeps the current ones');
  assert.equal(leaky('see ticket-1')['rationale'], `see ${REDACTED}`);
  release();

  // An explicit empty list turns the detectors off.
  d.ok(keys.admin, 'Policy_Update', { version: 4, rules: [], redaction_rules: [] });
  assert.equal(leaky('see ticket-1')['rationale'], 'see ticket-1');
});

test('an invalid redaction pattern is refused with a reason and changes nothing', () => {
  const d = new Driver();
  const before = d.state.policy;
  // Valid without the u flag, invalid with it (\q is an identity escape): patterns are checked in Unicode mode.
  for (const pattern of ['(', 'a\\qb', '[z-a]']) {
    const r = d.do(keys.shhh, 'Policy_Update', { version: 2, rules: [], redaction_rules: [{ id: 'ok', pattern: 'fine', severity: 'low' }, { id: 'broken', pattern, severity: 'high' }] });
    assert.equal(r.outcome.status, 'rejected', `pattern ${pattern} was not refused`);
    assert.equal(r.outcome.code, 'precondition_failed', `pattern ${pattern}: code`);
    assert.deepEqual(r.outcome.reasons, ['redaction rule broken: invalid regular expression'], `pattern ${pattern}: reasons`);
  }
  assert.equal(d.state.policy, before, 'the policy section is unchanged');
  // Flags other than '' and 'i', and patterns over 256 characters, fail the schema.
  assert.equal(d.do(keys.shhh, 'Policy_Update', { version: 2, rules: [], redaction_rules: [{ id: 'g', pattern: 'x', flags: 'g', severity: 'low' }] }).outcome.code, 'inputs_schema_invalid', 'flags g');
  assert.equal(d.do(keys.shhh, 'Policy_Update', { version: 2, rules: [], redaction_rules: [{ id: 'long', pattern: 'x'.repeat(257), severity: 'low' }] }).outcome.code, 'inputs_schema_invalid', 'a 257-character pattern');
  assert.equal(d.do(keys.shhh, 'Policy_Update', { version: 2, rules: [], redaction_rules: [{ id: 's', pattern: 'x', severity: 'urgent' }] }).outcome.code, 'inputs_schema_invalid', 'severity urgent');
  // The same check, directly, on the Policy_UpdateRelease path.
  d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: 'x' });
  const rel = d.do(keys.shhh, 'Policy_UpdateRelease', { version: 2, rules: [], redaction_rules: [{ id: 'broken', pattern: '(?<', severity: 'high' }] });
  assert.deepEqual([rel.outcome.code, rel.outcome.reasons], ['precondition_failed', ['redaction rule broken: invalid regular expression']], 'Policy_UpdateRelease');
  assert.equal(d.state.configuration.top, 'QUARANTINED', 'a refused release leaves the machine quarantined');
  assert.deepEqual(invalidRedactionPatterns(DEFAULT_REDACTION_RULES), [], 'the defaults compile');
});

// ---------------------------------------------------------------------------------------------- logs

function capture(): { lines: () => Record<string, unknown>[]; raw: () => string; destination: { write(s: string): void } } {
  const chunks: string[] = [];
  return {
    destination: { write: (s: string) => void chunks.push(s) },
    raw: () => chunks.join(''),
    lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('the logger scrubs a bearer token in an arbitrary field, nested values, the message and child bindings', () => {
  const out = capture();
  const log = createLogger({ destination: out.destination });
  const token = SECRETS['bearer token'];
  log.info({ upstream: { request: { headers: [`Authorization: ${token}`] } }, note: token, count: 3 }, `calling upstream with ${token}`);
  log.info('format %s', token);
  log.error(new Error(`request failed: ${token}`));
  log.child({ session: token }).warn('child');
  log.info({ token: 'raw', signature: 'sig' }, 'path-based redaction still applies');
  const raw = out.raw();
  assert.ok(!raw.includes(CORE['bearer token']), `a log line leaked the token: ${raw}`);
  const [first, second, third, fourth, fifth] = out.lines();
  assert.deepEqual(first!['upstream'], { request: { headers: [`Authorization: ${REDACTED}`] } }, 'nested field');
  assert.equal(first!['note'], REDACTED, 'arbitrary field');
  assert.equal(first!['count'], 3, 'numbers are kept');
  assert.equal(first!['msg'], `calling upstream with ${REDACTED}`, 'message');
  assert.equal(second!['msg'], `format ${REDACTED}`, 'format argument');
  assert.equal(third!['msg'], `request failed: ${REDACTED}`, 'error message');
  assert.equal((third!['err'] as Record<string, unknown>)['type'], 'Error', 'the error is still serialized as an error');
  assert.equal(fourth!['session'], REDACTED, 'child binding');
  assert.deepEqual([fifth!['token'], fifth!['signature']], [REDACTED, REDACTED], 'REDACT_PATHS');
});
