// Reducer behaviour, one rule per test: admission codes, duplicates, guards, quarantine, governance, upgrades.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { reduce } from '../../src/core/reducer.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { REASON_CODES } from '../../src/core/reason-codes.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { Driver, driveToExecution, h, keys, votesFor } from '../support/fixtures.ts';

function booted(): Driver {
  const d = new Driver();
  d.ok(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  return d;
}

test('a valid proposal is accepted, advances exactly its epochs and emits a DR with guard rationale', () => {
  const d = new Driver();
  const pre = stateHash(d.state);
  const r = d.ok(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  assert.equal(r.outcome.status, 'accepted');
  assert.equal(r.outcome.duplicate, false);
  assert.notEqual(r.outcome.state_post_hash, pre);
  assert.equal(r.state.boot.phase, 'LICENSE_CHECK.VERIFYING');
  assert.equal(r.state.epoch.boot, 1);
  assert.equal(r.state.epoch.ingestion, 0);
  assert.equal(r.decisionRecord?.state_pre_hash, pre);
  assert.equal(r.decisionRecord?.state_post_hash, r.outcome.state_post_hash);
  assert.match(r.decisionRecord!.id, /^bubble:\/\/dr\/sha256-[0-9a-f]{64}$/);
  assert.equal(r.outcome.decision_record_id, r.decisionRecord!.id);
});

test('a repeated idem_key returns the original outcome with duplicate: true and changes nothing', () => {
  const d = new Driver();
  const p = d.proposal(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  const first = d.submit(p);
  const before = stateHash(d.state);
  const again = d.submit(p);
  assert.equal(again.outcome.duplicate, true);
  assert.equal(again.outcome.status, 'accepted');
  assert.equal(again.outcome.index, first.outcome.index);
  assert.equal(again.outcome.hlc, first.outcome.hlc);
  assert.equal(again.outcome.state_post_hash, first.outcome.state_post_hash);
  assert.equal(again.outcome.decision_record_id, first.outcome.decision_record_id);
  assert.equal(again.decisionRecord, null);
  assert.equal(stateHash(d.state), before);
  // A retry after a re-read (new hash, new hlc) is still the same operation.
  const retry = d.submit(d.proposal(keys.op, 'Boot_ConfigOk', { config_hash: h('config') }, { idem_key: p.idem_key }));
  assert.equal(retry.outcome.duplicate, true);
});

test('the same idem_key for a different operation is idem_key_conflict', () => {
  const d = new Driver();
  const p = d.proposal(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  d.submit(p);
  const r = d.do(keys.lic, 'License_RecordVerdict', { verdict: 'valid', verdict_hash: h('v'), valid_until: d.hlcAt(1e6), grace_ms: 0 }, { idem_key: p.idem_key });
  assert.equal(r.outcome.code, 'idem_key_conflict');
});

test('dedupe rows expire by HLC after the retention, then the key is fresh again', () => {
  const d = booted(); // retention is one day in the test genesis
  const p = d.proposal(keys.lic, 'License_RecordVerdict', { verdict: 'valid', verdict_hash: h('v'), valid_until: d.hlcAt(9e7), grace_ms: 0 });
  d.submit(p);
  assert.equal(d.submit(p).outcome.duplicate, true);
  d.now += 86_400_000;
  const later = d.submit(d.proposal(keys.lic, 'License_RecordVerdict', { verdict: 'valid', verdict_hash: h('v'), valid_until: d.hlcAt(9e7), grace_ms: 0 }, { idem_key: p.idem_key }));
  assert.equal(later.outcome.status, 'accepted');
  assert.equal(later.outcome.duplicate, false);
  assert.equal(d.state.dedupe.size, 1, 'both day-old rows were swept; only the new verdict remains');
});

test('a stale current_state_hash is rejected and the outcome carries HEAD', () => {
  const d = booted();
  const r = d.do(keys.lic, 'License_RecordVerdict', { verdict: 'valid', verdict_hash: h('v'), valid_until: d.hlcAt(1e6), grace_ms: 0 }, { current_state_hash: h('old') });
  assert.equal(r.outcome.code, 'stale_state_hash');
  assert.equal(r.outcome.state_post_hash, stateHash(d.state));
  assert.equal(r.decisionRecord?.outcome, 'rejected');
});

test('hostile inputs are rejected with stable codes and never throw', () => {
  const d = booted();
  const good = d.proposal(keys.op, 'Control_Terminate', { reason: 'x' });
  const cases: [unknown, string][] = [
    [undefined, 'malformed_proposal'],
    [null, 'malformed_proposal'],
    [[], 'malformed_proposal'],
    ['{}', 'malformed_proposal'],
    [{ ...good, transition: 7 }, 'malformed_proposal'],
    [{ ...good, extra: 1 }, 'malformed_proposal'],
    [{ ...good, inputs: { reason: 1.5 } }, 'malformed_proposal'],
    [{ ...good, inputs: JSON.parse('{"reason":"x","__proto__":{"polluted":true}}') as never }, 'malformed_proposal'],
    [{ ...good, signer: 'hmmm:pubkey:short' }, 'malformed_proposal'],
    [{ ...good, idem_key: 'x'.repeat(257) }, 'oversized_field'],
    [{ ...good, evidence: Array(17).fill('ucxl://a:b@c/*^/d') }, 'oversized_field'],
    [{ ...good, inputs: { reason: 'y'.repeat(70_000) } }, 'oversized_field'],
    [{ ...good, signature: 'A'.repeat(86) }, 'bad_signature'],
    [keys.op.signProposal({ ...good, transition: 'Nope_Nope' }), 'unknown_transition'],
    [keys.stranger.signProposal({ ...good, signer: keys.stranger.signer }), 'unknown_signer'],
    [keys.human.signProposal({ ...good, signer: keys.human.signer }), 'signer_not_authorized'],
    [keys.op.signProposal({ ...good, inputs_hash: h('other') }), 'inputs_hash_mismatch'],
    [keys.op.signProposal({ ...good, inputs: { reason: '' }, inputs_hash: digestJson({ reason: '' }) }), 'inputs_schema_invalid'],
    [keys.op.signProposal({ ...good, evidence: ['bubble://dr/x'] }), 'evidence_invalid'],
    [keys.op.signProposal({ ...good, evidence: ['ucxl://no-role@x'] }), 'evidence_invalid'],
    [keys.op.signProposal({ ...good, hlc: '2025-01-01T00:00:00.000+00:00#0' }), 'hlc_time_travel'],
    [keys.op.signProposal({ ...good, hlc: 'yesterday' }), 'malformed_proposal'],
  ];
  for (const [proposal, code] of cases) {
    const before = stateHash(d.state);
    const r = d.submit(proposal);
    assert.equal(r.outcome.status, 'rejected', `expected ${code}`);
    assert.equal(r.outcome.code, code, `${JSON.stringify(proposal)?.slice(0, 80)}: ${r.outcome.reasons.join('; ')}`);
    assert.ok(code in REASON_CODES, 'code in REASON_CODES');
    assert.equal(stateHash(d.state), before);
  }
});

test('a stamp that does not move forward, or precedes the proposal hlc, is stamp_invalid', () => {
  const d = booted();
  const p = d.proposal(keys.op, 'Control_Terminate', { reason: 'x' });
  const back = reduce(d.state, { index: 9, stamp: d.state.hlc_last!, proposal: p });
  assert.equal(back.outcome.code, 'stamp_invalid');
  const early = reduce(d.state, { index: 9, stamp: d.hlcAt(2000), proposal: d.proposal(keys.op, 'Control_Terminate', { reason: 'x' }, { hlc: d.hlcAt(5000) }) });
  assert.equal(early.outcome.code, 'stamp_invalid');
});

test('a transition not enabled in the current state is invalid_source_state', () => {
  const d = new Driver();
  const r = d.do(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
  assert.equal(r.outcome.code, 'invalid_source_state');
  assert.match(r.outcome.reasons[0]!, /BOOT\.UNINITIALIZED/);
});

test('LICENSE_CHECK passes only on a valid verdict; grace carries a running cluster until expiry', () => {
  const d = booted();
  assert.equal(d.do(keys.lic, 'Boot_Licensed', { verdict_hash: h('none') }).outcome.code, 'license_invalid');
  d.license('valid', 10_000);
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  assert.equal(d.state.configuration.top, 'PROJECT_LIFECYCLE');
  d.license('unavailable');
  d.now += 20_000; // past valid_until, inside the one-hour grace
  const inGrace = d.ok(keys.ing, 'Ingestion_SourcesResolved', { sources: ['ucxl://a:b@c/*^/d'] });
  assert.match(inGrace.decisionRecord!.guard_outcomes[0]!.reasons[0]!, /grace/);
  d.now += 3_600_000;
  const expired = d.do(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
  assert.equal(expired.outcome.code, 'license_grace_expired');
  assert.equal(expired.outcome.failing_guard, 'license');
  d.license('valid');
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
});

test('quorum certificates: forged, duplicate, foreign-set and ineligible votes are rejected; a quorum passes', () => {
  const d = booted();
  d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  d.ok(keys.council, 'Council_ProfilesLoaded', { election_id: 'E-1', roles: [{ role: 'reviewer', seats: 2 }] });
  const members = [keys.r1.signer, keys.r2.signer];
  const [v1, v2] = votesFor('E-1', members, [keys.v1, keys.v2]) as Record<string, string>[];
  const cert = (votes: unknown[]) => d.do(keys.council, 'Council_QuorumCert', { election_id: 'E-1', members, votes: votes as never });
  const forged = { ...v2!, signature: v1!.signature };
  assert.equal(cert([v1, forged]).outcome.code, 'quorum_certificate_invalid');
  assert.equal(cert([v1, v1]).outcome.code, 'quorum_certificate_invalid');
  const otherSet = votesFor('E-1', [keys.r1.signer], [keys.v2])[0];
  assert.equal(cert([v1, otherSet]).outcome.code, 'quorum_certificate_invalid');
  const outsider = votesFor('E-1', members, [keys.r1])[0];
  assert.equal(cert([v1, outsider]).outcome.code, 'quorum_certificate_invalid');
  const short = cert([v1]);
  assert.equal(short.outcome.code, 'quorum_certificate_invalid');
  assert.match(short.outcome.reasons[0]!, /quorum is 2 of 3/);
  const ok = cert([v1, v2]);
  assert.equal(ok.outcome.status, 'accepted');
  assert.equal(d.state.council.quorum_cert?.member_set_hash, d.state.council.member_set_hash);
  assert.deepEqual(d.state.council.quorum_cert?.voters, [keys.v1.signer, keys.v2.signer].sort());
});

test('recorded votes count toward the certificate; a second vote by the same voter is refused', () => {
  const d = booted();
  d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  d.ok(keys.council, 'Council_ProfilesLoaded', { election_id: 'E-9', roles: [{ role: 'reviewer', seats: 1 }] });
  const members = [keys.r1.signer];
  const [v1, v3] = votesFor('E-9', members, [keys.v1, keys.v3]);
  d.ok(keys.v1, 'Council_RecordVote', { vote: v1! });
  assert.equal(d.do(keys.v1, 'Council_RecordVote', { vote: v1! }).outcome.code, 'quorum_certificate_invalid');
  d.ok(keys.council, 'Council_QuorumCert', { election_id: 'E-9', members, votes: [v3!] });
  assert.equal(d.state.council.quorum_cert?.voters.length, 2);
});

test('EXECUTION needs all regions READY with matching pins, and a new index version needs a plan change', () => {
  const d = new Driver();
  driveToExecution(d);
  assert.equal(d.state.configuration.top, 'EXECUTION');
  const pins = { ...d.state.execution.pins! };
  d.ok(keys.ing, 'Ingestion_NewVersion', { reason: 'new corpus' });
  assert.equal(d.state.configuration.top, 'PROJECT_LIFECYCLE');
  assert.equal(d.do(keys.exec, 'Execution_Start', { pins }).outcome.code, 'lifecycle_not_ready');
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('content-v2'), bytes: 10 });
  d.ok(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('schema'), records: 3 });
  d.ok(keys.ing, 'Ingestion_CorpusBuilt', { index_hash: h('index-v2') });
  const stalePins = d.do(keys.exec, 'Execution_Start', { pins });
  assert.equal(stalePins.outcome.code, 'lifecycle_not_ready');
  assert.equal(stalePins.outcome.failing_guard, 'lifecycle_ready');
  const v2 = { ...pins, ingestion_version: 2, content_hash: h('content-v2') };
  assert.equal(d.do(keys.exec, 'Execution_Start', { pins: v2 }).outcome.code, 'plan_change_required');
  d.ok(keys.exec, 'Execution_Start', { pins: v2, plan_change: 'adopt index v2' });
  assert.equal(d.state.execution.pins?.ingestion_version, 2);
});

test('the EXECUTION loop runs only in windows that open each class; REVERB needs approvals', () => {
  const d = new Driver();
  driveToExecution(d);
  const review = d.window('review', 'W-review-early', 5_000);
  assert.equal(d.do(keys.exec, 'Execution_LockPlan', { plan_hash: h('p'), work_item: 't' }, { window_id: review }).outcome.code, 'window_closed');
  assert.equal(d.do(keys.exec, 'Execution_LockPlan', { plan_hash: h('p'), work_item: 't' }).outcome.code, 'window_closed');
  assert.equal(d.do(keys.exec, 'Execution_LockPlan', { plan_hash: h('p'), work_item: 't' }, { window_id: 'W-unknown' }).outcome.code, 'window_closed');
  d.now += 10_000;
  const plan = d.window('plan', 'W-plan-1');
  d.ok(keys.exec, 'Execution_LockPlan', { plan_hash: h('p'), work_item: 't' }, { window_id: plan });
  assert.equal(d.do(keys.exec, 'Execution_ReviewGate', { result_hash: h('r') }, { window_id: review }).outcome.code, 'window_closed', 'the review window has closed');
  d.now += 60_000;
  const rev = d.window('review', 'W-review-1');
  d.ok(keys.exec, 'Execution_ReviewGate', { result_hash: h('r') }, { window_id: rev });
  d.ok(keys.r1, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve', comment: 'token=secret' }, { window_id: rev });
  assert.equal(d.last!.decisionRecord!.inputs && (d.last!.decisionRecord!.inputs as Record<string, unknown>)['comment'], '[REDACTED]');
  assert.equal(d.do(keys.r1, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve' }, { window_id: rev }).outcome.code, 'precondition_failed');
  const early = d.do(keys.r1, 'Execution_Reverb', { result_hash: h('r'), submission_hash: h('s') }, { window_id: rev });
  assert.equal(early.outcome.code, 'approvals_insufficient');
  d.ok(keys.r2, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve' }, { window_id: rev });
  d.ok(keys.r2, 'Execution_Reverb', { result_hash: h('r'), submission_hash: h('s') }, { window_id: rev });
  d.now += 60_000;
  assert.equal(d.do(keys.exec, 'Execution_NextWindow', { summary_hash: h('n') }, { window_id: plan }).outcome.code, 'window_closed');
  const plan2 = d.window('plan', 'W-plan-2');
  d.ok(keys.exec, 'Execution_NextWindow', { summary_hash: h('n') }, { window_id: plan2 });
  assert.equal(d.state.execution.phase, 'PLAN');
  assert.equal(d.state.execution.loop, 1);
});

test('a policy breach quarantines with rationale; QUARANTINED is sticky; only allowed roles release', () => {
  const d = booted();
  d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  d.ok(keys.ing, 'Ingestion_SourcesResolved', { sources: ['ucxl://a:b@c/*^/d'] });
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
  const breach = d.do(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('s'), records: 1, classification: 'restricted' });
  assert.equal(breach.outcome.status, 'quarantined');
  assert.equal(breach.outcome.code, 'policy_breach');
  assert.equal(d.state.configuration.top, 'QUARANTINED');
  assert.equal(d.state.policy.rule_id, 'no-restricted');
  assert.equal(d.state.ingestion.phase, 'VALIDATE', 'the breaching transition itself did not happen');
  assert.equal(breach.decisionRecord?.outcome, 'quarantined');
  assert.equal(d.do(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('s'), records: 1 }).outcome.code, 'quarantined');
  assert.equal(d.do(keys.op, 'Control_Terminate', { reason: 'x' }).outcome.code, 'quarantined');
  assert.equal(d.do(keys.op, 'Policy_HumanRelease', { justification: 'ok' }).outcome.code, 'signer_not_authorized');
  assert.equal(d.do(keys.admin, 'Policy_HumanRelease', { justification: 'ok' }).outcome.code, 'signer_not_authorized');
  d.ok(keys.human, 'Policy_HumanRelease', { justification: 'reviewed' });
  assert.equal(d.state.configuration.top, 'PROJECT_LIFECYCLE');
  assert.equal(d.state.ingestion.phase, 'VALIDATE');
});

test('a policy update releases quarantine; a human can confirm a block, which is terminal', () => {
  const d = booted();
  d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: 'suspicious' });
  assert.equal(d.state.configuration.top, 'QUARANTINED');
  assert.equal(d.do(keys.shhh, 'Policy_UpdateRelease', { version: 1, rules: [] }).outcome.code, 'precondition_failed');
  d.ok(keys.shhh, 'Policy_UpdateRelease', { version: 2, rules: [] });
  assert.equal(d.state.configuration.top, 'BOOT');
  assert.equal(d.state.boot.phase, 'LICENSE_CHECK.VERIFYING');
  d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: 'again' });
  d.ok(keys.human, 'Policy_ConfirmBlock', { justification: 'confirmed' });
  assert.equal(d.state.configuration.top, 'TERMINATED');
  assert.equal(d.do(keys.admin, 'Governance_UpdateQuorum', { min_votes: 2, approvals_threshold: 2 }).outcome.code, 'terminated');
});

test('Policy_UpdateRelease needs policy_engine or admin; Policy_HumanRelease needs human_operator, even for SHHH', () => {
  // (Policy_HumanRelease by operator/admin and Policy_UpdateRelease by policy_engine are covered above.)
  const d = booted();
  d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: 'suspicious' });
  for (const [name, key] of [['operator', keys.op], ['human_operator', keys.human], ['ingestion_worker', keys.ing]] as const) {
    const r = d.do(key, 'Policy_UpdateRelease', { version: 2, rules: [] });
    assert.equal(r.outcome.code, 'signer_not_authorized', `Policy_UpdateRelease signed by ${name}`);
    assert.equal(d.state.configuration.top, 'QUARANTINED', `still QUARANTINED after the refused release by ${name}`);
  }
  assert.equal(d.do(keys.shhh, 'Policy_HumanRelease', { justification: 'ok' }).outcome.code, 'signer_not_authorized', 'Policy_HumanRelease signed by policy_engine');
  d.ok(keys.admin, 'Policy_UpdateRelease', { version: 2, rules: [] });
  assert.equal(d.state.configuration.top, 'BOOT', 'an admin policy update releases');
  assert.equal(d.state.policy.version, 2);
});

test('pause and quarantine nest and unwind through $history', () => {
  const d = new Driver();
  driveToExecution(d);
  d.ok(keys.op, 'Control_Pause', { reason: 'maintenance' });
  assert.deepEqual([d.state.configuration.top, d.state.control.phase], ['CONTROL', 'PAUSED']);
  d.ok(keys.shhh, 'Policy_Quarantine', { rule_id: 'r', rationale: 'x' });
  d.ok(keys.human, 'Policy_HumanRelease', { justification: 'ok' });
  assert.deepEqual([d.state.configuration.top, d.state.control.phase], ['CONTROL', 'PAUSED']);
  d.ok(keys.op, 'Control_Resume', { reason: 'done' });
  assert.deepEqual([d.state.configuration.top, d.state.control.phase, d.state.execution.phase], ['EXECUTION', null, 'PLAN']);
});

test('governance: signers are added, rotated by themselves ($subject), weak keys and last-admin removal refused', () => {
  const d = booted();
  const newcomer = keys.stranger;
  const successor = SigningKey.derive('test|successor');
  d.ok(keys.admin, 'Governance_AddSigner', { signer: newcomer.signer, roles: ['reviewer'] });
  assert.deepEqual(d.state.boot.identities[newcomer.signer]?.roles, ['reviewer']);
  assert.equal(d.do(keys.r2, 'Governance_RotateSigner', { old_signer: newcomer.signer, new_signer: successor.signer }).outcome.code, 'signer_not_authorized');
  // All-zero bytes decode to a point of order 4: refused, as @noble's strict mode and libsodium would.
  const smallOrder = 'hmmm:pubkey:' + 'A'.repeat(43);
  assert.equal(d.do(newcomer, 'Governance_RotateSigner', { old_signer: newcomer.signer, new_signer: smallOrder }).outcome.code, 'precondition_failed');
  assert.equal(d.do(keys.admin, 'Governance_AddSigner', { signer: smallOrder, roles: ['reviewer'] }).outcome.code, 'precondition_failed');
  d.ok(newcomer, 'Governance_RotateSigner', { old_signer: newcomer.signer, new_signer: successor.signer });
  assert.equal(d.state.boot.identities[newcomer.signer], undefined);
  assert.deepEqual(d.state.boot.identities[successor.signer]?.roles, ['reviewer']);
  assert.equal(d.do(keys.admin, 'Governance_RemoveSigner', { signer: keys.admin.signer }).outcome.code, 'precondition_failed');
  assert.equal(d.do(newcomer, 'Control_Terminate', { reason: 'x' }).outcome.code, 'unknown_signer');
});

test('upgrades only move to a definition this build knows; other versions are refused', () => {
  const d = booted();
  const r = d.do(keys.admin, 'Meta_Upgrade', { to_version: 2, statechart_hash: h('v2') });
  assert.equal(r.outcome.code, 'unsupported_machine_version');
  const same = d.do(keys.admin, 'Meta_Upgrade', { to_version: 1, statechart_hash: d.state.meta.statechart_hash });
  assert.equal(same.outcome.code, 'precondition_failed');
});

test('a state written under another statechart is not reduced by this build', () => {
  const d = booted();
  const foreign = { ...d.state, meta: { ...d.state.meta, statechart_hash: h('other-definition') as never } };
  const r = reduce(foreign, { index: 99, stamp: d.hlcAt(5000), proposal: d.proposal(keys.op, 'Control_Terminate', { reason: 'x' }, { current_state_hash: stateHash(foreign) }) });
  assert.equal(r.outcome.code, 'unsupported_machine_version');
});
