// The chaos checkers: each passes on a correct history built by the real reducer and fails on a crafted violation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sealDecisionRecord, type DecisionRecord } from '../../src/core/decision-record.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import type { ReduceResult } from '../../src/core/reducer.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { storeDir } from '../../src/storage/data-dir.ts';
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { checkConvergence } from '../../chaos/checkers/convergence.ts';
import { checkDecisionRecords } from '../../chaos/checkers/decision-records.ts';
import { checkAppliedOnce, checkNoLostAcks } from '../../chaos/checkers/durability.ts';
import type { CheckResult, HistoryOp, ReplicaFinal } from '../../chaos/checkers/history.ts';
import { checkDoctor, runCheckers } from '../../chaos/checkers/index.ts';
import { indexKey, KEYS } from '../../src/storage/storage-keys.ts';
import { checkCasLinearizable } from '../../chaos/checkers/linearizability.ts';
import { checkWalInvariants } from '../../chaos/checkers/wal-invariants.ts';
import { genesisState } from '../../src/core/genesis.ts';
import { reduce } from '../../src/core/reducer.ts';
import { generateWorkload } from '../../src/workload/generator.ts';
import { Driver, driveToExecution, h, keys } from '../support/fixtures.ts';
import { acceptMany } from '../support/replica-driver.ts';
import { cleanup, initDataDir, openReplica, TestClock, tempDir } from '../support/replica-harness.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

/** A Driver that keeps every entry it reduced, with its proposal and result. */
class RecordingDriver extends Driver {
  readonly entries: { index: number; proposal: Proposal; result: ReduceResult }[] = [];

  override submit(proposal: unknown): ReduceResult {
    const r = super.submit(proposal);
    this.entries.push({ index: this.index, proposal: proposal as Proposal, result: r });
    return r;
  }
}

interface Scenario {
  readonly history: HistoryOp[];
  readonly decisions: DecisionEntryRecord[];
  readonly finals: ReplicaFinal[];
  /** Positions in `history` of named operations. */
  readonly at: Record<'lockPlan' | 'reviewGate' | 'r1Approve' | 'r2Stale' | 'r2Approve' | 'duplicate' | 'reverb' | 'last', number>;
}

/**
 * A full lifecycle into EXECUTION and through PLAN, REVIEW and REVERB, by the real reducer. Every entry becomes a
 * history op (invoked every 100 ms, answered 150 ms later, so neighbours overlap); accepted entries and one logged
 * rejection (a cluster leader's overtaken pre-check) become DRs; a stale proposal is refused and retried under the
 * same idem_key; one applied op's answer was lost (unknown); one retry is answered as a duplicate.
 */
function scenario(): Scenario {
  const d = new RecordingDriver();
  driveToExecution(d);
  d.now += 10_000;
  const plan = d.window('plan', 'W-plan-1');
  d.ok(keys.exec, 'Execution_LockPlan', { plan_hash: h('p'), work_item: 't' }, { window_id: plan });
  const lockPlanIndex = d.index;
  d.now += 60_000;
  const rev = d.window('review', 'W-review-1');
  d.ok(keys.exec, 'Execution_ReviewGate', { result_hash: h('r') }, { window_id: rev });
  const reviewGateIndex = d.index;
  d.ok(keys.r1, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve' }, { window_id: rev });
  const r1ApproveIndex = d.index;
  const stale = d.do(keys.r2, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve' }, { window_id: rev, idem_key: 'r2-approve', current_state_hash: h('stale') });
  assert.equal(stale.outcome.code, 'stale_state_hash', 'the fixture needs a stale refusal');
  const r2StaleIndex = d.index;
  const early = d.do(keys.r1, 'Execution_Reverb', { result_hash: h('r'), submission_hash: h('s') }, { window_id: rev });
  assert.equal(early.outcome.code, 'approvals_insufficient', 'the fixture needs a guard rejection');
  const loggedRejectionIndex = d.index;
  const r2Approve = d.proposal(keys.r2, 'Execution_Approve', { result_hash: h('r'), verdict: 'approve' }, { window_id: rev, idem_key: 'r2-approve' });
  assert.equal(d.submit(r2Approve).outcome.status, 'accepted', 'the retry under the same idem_key is accepted');
  const r2ApproveIndex = d.index;
  d.ok(keys.r2, 'Execution_Reverb', { result_hash: h('r'), submission_hash: h('s') }, { window_id: rev });
  const reverbIndex = d.index;
  const dup = d.submit(r2Approve);
  assert.equal(dup.outcome.duplicate, true, 'the resent proposal is a duplicate');
  assert.equal(dup.decisionRecord, null, 'a duplicate emits no DR');
  const duplicateIndex = d.index;
  d.license('valid');

  const history: HistoryOp[] = [];
  const decisions: DecisionEntryRecord[] = [];
  const posOf: Record<number, number> = {};
  for (const e of d.entries) {
    const o = e.result.outcome;
    const refused = o.status === 'rejected';
    const id = history.length;
    posOf[e.index] = id;
    history.push({
      id,
      client: `c${id % 3}`,
      transition: e.proposal.transition,
      signer: e.proposal.signer,
      idem_key: e.proposal.idem_key,
      expected_hash: e.proposal.current_state_hash,
      invoke_ms: 100 * id,
      complete_ms: 100 * id + 150,
      result: refused ? 'fail' : 'ok',
      status: refused ? 400 : 202,
      outcome: o.status,
      duplicate: o.duplicate,
      index: refused ? null : o.index,
      state_post_hash: refused ? null : o.state_post_hash,
      code: o.code,
    });
    const dr = e.result.decisionRecord;
    if (dr !== null && (!refused || e.index === loggedRejectionIndex)) decisions.push({ index: e.index, timestamp: 0, decision: dr });
  }
  // The answer to r1's approval was lost (it was applied): unknown.
  const r1 = posOf[r1ApproveIndex]!;
  history[r1] = { ...history[r1]!, result: 'unknown', complete_ms: null, status: 503, outcome: null, index: null, state_post_hash: null, code: 'unavailable' };
  // And one request that timed out and was never applied.
  const t = 100 * history.length;
  history.push({
    id: history.length, client: 'c0', transition: 'License_RecordVerdict', signer: keys.lic.signer, idem_key: 'never-applied', expected_hash: h('whatever'),
    invoke_ms: t, complete_ms: null, result: 'unknown', status: null, outcome: null, duplicate: false, index: null, state_post_hash: null, code: null,
  });

  const finals = ['r1', 'r2', 'r3'].map((id) => ({ id, applied_index: d.index, state_hash: stateHash(d.state), decisions: decisions.map((x) => ({ ...x })) }));
  return {
    history,
    decisions,
    finals,
    at: {
      lockPlan: posOf[lockPlanIndex]!,
      reviewGate: posOf[reviewGateIndex]!,
      r1Approve: r1,
      r2Stale: posOf[r2StaleIndex]!,
      r2Approve: posOf[r2ApproveIndex]!,
      duplicate: posOf[duplicateIndex]!,
      reverb: posOf[reverbIndex]!,
      last: posOf[d.index]!,
    },
  };
}

function show(r: CheckResult): string {
  return `${r.checker}: ${JSON.stringify(r.problems, null, 1)} stats ${JSON.stringify(r.stats)}`;
}

function assertOk(r: CheckResult): void {
  assert.equal(r.ok, true, `expected ${r.checker} to pass: ${show(r)}`);
  assert.equal(r.problems.length, 0, `a passing checker lists no problems: ${show(r)}`);
}

function assertFails(r: CheckResult, pattern: RegExp): void {
  assert.equal(r.ok, false, `expected ${r.checker} to fail: ${show(r)}`);
  assert.ok(r.problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}: ${show(r)}`);
}

/** Re-seals a DR with changes, so its id is a valid content hash again: only the intended check may fail. */
function reseal(dr: DecisionRecord, changes: Partial<Omit<DecisionRecord, 'id'>>): DecisionRecord {
  const { id: _id, ...body } = dr;
  return sealDecisionRecord({ ...body, ...changes });
}

function replaceAt(list: readonly DecisionEntryRecord[], index: number, decision: DecisionRecord | null): DecisionEntryRecord[] {
  const out: DecisionEntryRecord[] = [];
  for (const x of list) {
    if (x.index !== index) out.push(x);
    else if (decision !== null) out.push({ ...x, decision });
  }
  return out;
}

function drAt(s: Scenario, pos: number): DecisionEntryRecord {
  const index = s.history[pos]!.index!;
  const r = s.decisions.find((x) => x.index === index);
  assert.ok(r !== undefined, `the fixture has a DR at index ${index}`);
  return r;
}

function withFinal(finals: readonly ReplicaFinal[], id: string, f: (x: ReplicaFinal) => ReplicaFinal): ReplicaFinal[] {
  return finals.map((x) => (x.id === id ? f(x) : x));
}

function withOp(history: readonly HistoryOp[], pos: number, changes: Partial<HistoryOp>): HistoryOp[] {
  return history.map((op, i) => (i === pos ? { ...op, ...changes } : op));
}

test('every checker passes on a correct history built by the real reducer', async () => {
  const s = scenario();
  const results = await runCheckers({ history: s.history, finals: s.finals, dataDirs: [] });
  assert.deepEqual(results.map((r) => r.checker), ['no-lost-acks', 'applied-once', 'cas-linearizable', 'decision-records', 'convergence', 'doctor'], 'runCheckers runs every checker');
  for (const r of results) assertOk(r);
  const by = Object.fromEntries(results.map((r) => [r.checker, r.stats]));
  const acked = s.history.filter((o) => o.result === 'ok').length;
  const appliedDrs = s.decisions.filter((x) => x.decision.outcome !== 'rejected').length;
  assert.ok(acked >= 20, `the fixture acknowledges many ops (${acked})`);
  assert.equal(by['no-lost-acks']!['acked'], acked, 'every ack is checked');
  assert.equal(by['no-lost-acks']!['acked_duplicates'], 1, 'the duplicate ack is checked');
  assert.equal(by['no-lost-acks']!['unknown_applied'], 1, 'the unknown-but-applied op is found');
  assert.equal(by['no-lost-acks']!['unknown_not_applied'], 1, 'the never-applied op is not found');
  assert.equal(by['applied-once']!['applied_drs'], appliedDrs * 3, 'every applied DR on every replica is counted');
  assert.equal(by['cas-linearizable']!['applied_ops'], appliedDrs, 'every applied DR is an effect of the history');
  assert.equal(by['cas-linearizable']!['acked_checked'], acked, 'every ack is matched to its DR');
  assert.equal(by['decision-records']!['rejected'], 1, 'the logged rejection is checked');
  assert.equal(by['decision-records']!['entered_review'], 1, 'the REVIEW entry is checked');
  assert.equal(by['decision-records']!['entered_reverb'], 1, 'the REVERB entry is checked');
  assert.ok(by['decision-records']!['time_gated']! >= 5, 'every time-gated DR is checked');
});

test('the checkers accept a seeded workload with hostile, duplicate and stale proposals (no false positives)', async () => {
  const w = generateWorkload({ seed: TEST_SEED, count: 1500, hostilePermille: 150 });
  let state = genesisState(w.genesis);
  const history: HistoryOp[] = [];
  const decisions: DecisionEntryRecord[] = [];
  for (const e of w.entries) {
    const r = reduce(state, e);
    state = r.state;
    const o = r.outcome;
    const refused = o.status === 'rejected';
    if (r.decisionRecord !== null && !refused) decisions.push({ index: e.index, timestamp: 0, decision: r.decisionRecord });
    const p = e.proposal as Partial<Proposal> | null;
    if (p === null || typeof p !== 'object' || typeof p.signer !== 'string' || typeof p.idem_key !== 'string') continue;
    const id = history.length;
    history.push({
      id, client: `c${id % 4}`, transition: String(p.transition), signer: p.signer, idem_key: p.idem_key, expected_hash: String(p.current_state_hash),
      invoke_ms: 10 * id, complete_ms: 10 * id + 25, result: refused ? 'fail' : 'ok', status: refused ? 400 : 202, outcome: o.status, duplicate: o.duplicate,
      index: refused ? null : o.index, state_post_hash: refused ? null : o.state_post_hash, code: o.code,
    });
  }
  const finals = ['r1', 'r2', 'r3'].map((id) => ({ id, applied_index: w.entries.length, state_hash: stateHash(state), decisions }));
  const results = await runCheckers({ history, finals, dataDirs: [] });
  for (const r of results) assert.equal(r.ok, true, `${show(r)} ${seedNote()}`);
  const cas = results.find((r) => r.checker === 'cas-linearizable')!;
  assert.equal(cas.stats['applied_ops'], decisions.length, `every applied DR is matched to the history ${seedNote()}`);
  assert.ok(history.some((o) => o.duplicate) && history.some((o) => o.result === 'fail'), `the workload has duplicates and refusals ${seedNote()}`);
});

test('no-lost-acks fails on an acknowledged op that is missing, or overwritten on one replica', () => {
  const s = scenario();
  const op = s.history[s.at.lockPlan]!;
  const gone = s.finals.map((f) => ({ ...f, decisions: replaceAt(f.decisions, op.index!, null) }));
  const r = checkNoLostAcks(s.history, gone);
  assertFails(r, new RegExp(`lost ack: op #${op.id} .*missing on replica r1`));
  assert.equal(r.stats['lost'], 1, `exactly one op is lost: ${show(r)}`);

  // Another op's entry took the index on r3 (what losing a committed entry on failover looks like).
  const other = drAt(s, s.at.last).decision;
  const overwritten = withFinal(s.finals, 'r3', (f) => ({ ...f, decisions: replaceAt(f.decisions, op.index!, reseal(other, { index: op.index! })) }));
  const r3 = checkNoLostAcks(s.history, overwritten);
  assertFails(r3, new RegExp(`lost ack: op #${op.id} .*missing on replica r3: index ${op.index} there holds accepted License_RecordVerdict`));
  assert.ok(!r3.problems.some((p) => /replica r[12]/.test(p)), `only r3 lost it: ${show(r3)}`);

  // A duplicate ack whose original is gone everywhere is a lost ack too.
  const orig = s.history[s.at.r2Approve]!;
  const r2 = checkNoLostAcks(s.history, s.finals.map((f) => ({ ...f, decisions: replaceAt(f.decisions, orig.index!, null) })));
  assertFails(r2, new RegExp(`lost ack: op #${s.at.duplicate} .*\\(duplicate\\)`));
});

test('no-lost-acks tolerates a DR gap on one replica (snapshot install) and counts it', () => {
  const s = scenario();
  const op = s.history[s.at.lockPlan]!;
  const gap = withFinal(s.finals, 'r2', (f) => ({ ...f, decisions: f.decisions.filter((x) => x.index < op.index! - 2 || x.index > op.index! + 2) }));
  const r = checkNoLostAcks(s.history, gap);
  assertOk(r);
  assert.ok(r.stats['acks_in_dr_gap']! >= 1, `the gap is counted: ${show(r)}`);
  const c = checkConvergence(gap);
  assertOk(c);
  assert.equal(c.stats['dr_gap_ranges.r2'], 1, `one gap range on r2: ${show(c)}`);
  assert.ok(c.stats['dr_missing.r2']! >= 3, `the gap's size is reported: ${show(c)}`);
  assert.equal(c.stats['dr_missing.r1'], 0, `r1 has every DR: ${show(c)}`);
  // Behind, though, is not a gap: a replica that applied less than the ack's index lost it.
  const behind = withFinal(gap, 'r2', (f) => ({ ...f, applied_index: op.index! - 1 }));
  assertFails(checkNoLostAcks(s.history, behind), new RegExp(`op #${op.id} .*replica r2: the replica applied only up to ${op.index! - 1}`));
});

test('applied-once fails on a double apply', () => {
  const s = scenario();
  assertOk(checkAppliedOnce(s.finals));
  const twice = drAt(s, s.at.lockPlan).decision;
  const next = s.finals[0]!.applied_index + 1;
  const doubled = withFinal(s.finals, 'r2', (f) => ({ ...f, decisions: [...f.decisions, { index: next, timestamp: 0, decision: reseal(twice, { index: next }) }] }));
  const r = checkAppliedOnce(doubled);
  assertFails(r, new RegExp(`double apply on replica r2: .*/${twice.idem_key} \\(Execution_LockPlan\\) is applied at index ${twice.index} and again at index ${next}`));
  assert.equal(r.stats['double_applies'], 1, `one double apply: ${show(r)}`);
});

test('cas-linearizable fails on a broken DR chain', () => {
  const s = scenario();
  const victim = drAt(s, s.at.reviewGate);
  const broken = replaceAt(s.decisions, victim.index, reseal(victim.decision, { state_pre_hash: h('somewhere else') }));
  const r = checkCasLinearizable(s.history, broken);
  assertFails(r, new RegExp(`chain broken: DR at index ${victim.index} \\(Execution_ReviewGate\\)`));
  assert.equal(r.stats['chain_breaks'], 1, `one break: ${show(r)}`);
  // Skipped indexes (noops, unlogged rejections) are not breaks: the fixture skips the stale refusal's index.
  assertOk(checkCasLinearizable(s.history, s.decisions));
});

test('cas-linearizable fails on a real-time inversion', () => {
  const s = scenario();
  const a = s.history[s.at.lockPlan]!;
  const b = s.history[s.at.reverb]!;
  assert.ok(b.index! > a.index! + 3, 'the fixture orders the two far apart');
  // B (the later index) was invoked and acknowledged before A was even sent.
  const inverted = withOp(s.history, s.at.reverb, { invoke_ms: a.invoke_ms - 1000, complete_ms: a.invoke_ms - 500 });
  const r = checkCasLinearizable(inverted, s.decisions);
  assertFails(r, new RegExp(`real-time order violated: op #${b.id} .*acknowledged at ${a.invoke_ms - 500} ms \\(index ${b.index}\\)`));
  assert.ok(r.stats['real_time_inversions']! >= 1, `the inversion is counted: ${show(r)}`);
  // Overlapping ops may be ordered either way: making B merely concurrent with A is fine.
  assertOk(checkCasLinearizable(withOp(s.history, s.at.reverb, { invoke_ms: a.invoke_ms - 1000, complete_ms: b.complete_ms }), s.decisions));
});

test('cas-linearizable fails on a CAS mismatch and on a refused op that was applied', () => {
  const s = scenario();
  const op = s.history[s.at.lockPlan]!;
  const r = checkCasLinearizable(withOp(s.history, s.at.lockPlan, { expected_hash: h('not the head') }), s.decisions);
  assertFails(r, new RegExp(`CAS mismatch: op #${op.id} .*expected ${h('not the head')} but its DR at index ${op.index} was applied on ${op.expected_hash}`));
  assert.equal(r.stats['cas_mismatches'], 1, `one mismatch: ${show(r)}`);

  const refused = withOp(s.history, s.at.lockPlan, { result: 'fail', status: 400, outcome: 'rejected', index: null, state_post_hash: null, code: 'window_closed' });
  assertFails(checkCasLinearizable(refused, s.decisions), new RegExp(`refused op applied: op #${op.id} .*HTTP 400 window_closed.*index ${op.index}`));
  // A refusal retried under the same idem_key against the new HEAD is not that: the fixture's r2 approval.
  assert.equal(s.history[s.at.r2Stale]!.idem_key, s.history[s.at.r2Approve]!.idem_key, 'the fixture retries the refused key');
  assertOk(checkCasLinearizable(s.history, s.decisions));
});

test('decision-records fails on a DR with a missing guard, a tampered id, or a review outside a window', () => {
  const s = scenario();
  assertOk(checkDecisionRecords(s.decisions));

  const lock = drAt(s, s.at.lockPlan);
  const missing = reseal(lock.decision, { guard_outcomes: lock.decision.guard_outcomes.filter((g) => g.guard !== 'policy') });
  const r1 = checkDecisionRecords(replaceAt(s.decisions, lock.index, missing));
  assertFails(r1, new RegExp(`DR at index ${lock.index} \\(Execution_LockPlan, accepted\\): guard_outcomes \\[license, window\\] do not cover .*missing policy`));
  assert.equal(r1.stats['bad_ids'], 0, `the resealed DR has a valid id: ${show(r1)}`);

  const tampered = { ...lock.decision, justification: 'nothing to see here' };
  const r2 = checkDecisionRecords(replaceAt(s.decisions, lock.index, tampered));
  assertFails(r2, new RegExp(`DR at index ${lock.index} .*id ${lock.decision.id} is not its content hash`));
  assert.equal(r2.stats['bad_ids'], 1, `one bad id: ${show(r2)}`);

  const gate = drAt(s, s.at.reviewGate);
  // The same DR claiming the plan window: its window guard does not name it.
  const elsewhere = reseal(gate.decision, { window_id: 'W-plan-1' });
  assertFails(checkDecisionRecords(replaceAt(s.decisions, gate.index, elsewhere)), new RegExp(`DR at index ${gate.index} \\(Execution_ReviewGate, accepted\\): entered EXECUTION.REVIEW outside an open review window \\(window_id W-plan-1`));
  // A window guard that did not pass.
  const closed = reseal(gate.decision, { guard_outcomes: gate.decision.guard_outcomes.map((g) => (g.guard === 'window' ? { ...g, ok: false, reasons: ['window W-review-1 (review) is open [a, b), not at the stamp'] } : g)) });
  const r3 = checkDecisionRecords(replaceAt(s.decisions, gate.index, closed));
  assertFails(r3, new RegExp(`entered EXECUTION.REVIEW outside an open review window .*failed`));
  assertFails(r3, new RegExp(`accepted although guards window are not ok`));
  // A review DR without a ucxl link or justification.
  const bare = reseal(gate.decision, { evidence: ['bubble://dr/sha256-' + '0'.repeat(64)], justification: ' ' });
  const r4 = checkDecisionRecords(replaceAt(s.decisions, gate.index, bare));
  assertFails(r4, /no ucxl:\/\/ link in evidence/);
  assertFails(r4, /empty justification/);
});

test('decision-records checks quarantined DRs: the policy guard failed and nothing else', () => {
  const d = new RecordingDriver();
  d.ok(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: d.state.boot.license.verdict_hash! });
  d.ok(keys.ing, 'Ingestion_SourcesResolved', { sources: ['ucxl://a:b@c/*^/d'] });
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('c'), bytes: 1 });
  const breach = d.do(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('s'), records: 1, classification: 'restricted' });
  assert.equal(breach.outcome.status, 'quarantined', 'the fixture needs a quarantine');
  const drs: DecisionEntryRecord[] = d.entries.map((e) => ({ index: e.index, timestamp: 0, decision: e.result.decisionRecord! }));
  const r = checkDecisionRecords(drs);
  assertOk(r);
  assert.equal(r.stats['quarantined'], 1, `the quarantine is checked: ${show(r)}`);
  const q = breach.decisionRecord!;
  const policyOk = reseal(q, { guard_outcomes: q.guard_outcomes.map((g) => (g.guard === 'policy' ? { ...g, ok: true } : g)) });
  assertFails(checkDecisionRecords(replaceAt(drs, q.index, policyOk)), new RegExp(`DR at index ${q.index} \\(Ingestion_SchemaOk, quarantined\\): quarantined but the policy guard is ok`));
});

test('convergence fails on divergent replicas', () => {
  const s = scenario();
  assertOk(checkConvergence(s.finals));
  const victim = drAt(s, s.at.reviewGate);
  const forked = reseal(victim.decision, { justification: 'a different decision' });
  const diverged = withFinal(s.finals, 'r3', (f) => ({ ...f, state_hash: h('fork'), decisions: replaceAt(f.decisions, victim.index, forked) }));
  const r = checkConvergence(diverged);
  assertFails(r, /state_hash differs: r1=sha256-[0-9a-f]+, r2=sha256-[0-9a-f]+, r3=sha256-/);
  assertFails(r, new RegExp(`decision records diverge at index ${victim.index}: r1 has ${victim.decision.id} .*r3 has ${forked.id}`));
  assert.equal(r.stats['dr_mismatches'], 1, `one DR differs: ${show(r)}`);
  const behind = withFinal(s.finals, 'r2', (f) => ({ ...f, applied_index: f.applied_index - 1 }));
  assertFails(checkConvergence(behind), new RegExp(`applied_index differs: r1=${s.finals[0]!.applied_index}, r2=${s.finals[0]!.applied_index - 1}`));
  assertFails(checkConvergence([]), /no replica finals/);
});

test('wal-invariants replays a stopped replica\'s data dir from genesis and compares it with what it recorded', async () => {
  const dir = tempDir('chaos-wal');
  try {
    await initDataDir(dir);
    const clock = new TestClock();
    const replica = await openReplica(dir, clock);
    await acceptMany(replica, clock, 6);
    const head = replica.head();
    await replica.close();

    const r = await checkWalInvariants(dir, { live: { applied_index: head.index, state_hash: head.hash } });
    assertOk(r);
    assert.equal(r.stats['entries'], 6, `six entries replayed: ${show(r)}`);
    assert.equal(r.stats['decisions_compared'], 6, `every DR compared: ${show(r)}`);
    assert.equal(r.stats['accepted'], 6, `all accepted: ${show(r)}`);

    const wrongLive = await checkWalInvariants(dir, { live: { applied_index: head.index, state_hash: h('not it') } });
    assertFails(wrongLive, new RegExp(`reported ${h('not it')} at index ${head.index}; replaying its WAL gives ${head.hash}`));

    // A stored DR that the log does not reproduce.
    const store = await ReplicaStore.open(storeDir(dir));
    const rec = (await store.readDecision(3))!;
    await store.putDecisions([{ ...rec, decision: { ...rec.decision, state_post_hash: h('bogus') } }]);
    await store.close();
    const tampered = await checkWalInvariants(dir);
    assertFails(tampered, new RegExp(`the DR at index 3 says .* -> ${h('bogus')}; replaying the WAL gives`));
    assert.equal(tampered.stats['decision_mismatches'], 1, `one mismatch: ${show(tampered)}`);

    const viaRun = await runCheckers({ history: [], finals: [], dataDirs: [dir] });
    const wal = viaRun.find((c) => c.checker === `wal-invariants(${dir.split('/').pop()})`);
    assert.ok(wal !== undefined, 'runCheckers checks each data dir');
    assert.equal(wal.ok, false, 'runCheckers reports the tampered DR');
    assert.equal(viaRun.find((c) => c.checker === 'doctor')?.ok, false, 'and doctor fails on it too');
  } finally {
    cleanup(dir);
  }
  const missing = await checkWalInvariants(dir);
  assertFails(missing, /not a SWOOSH data directory|cannot read the WAL|no valid genesis/);
});

test('wal-invariants replays a compacted log from the snapshot it continues from', async () => {
  const dir = tempDir('chaos-wal-compacted');
  try {
    await initDataDir(dir);
    const clock = new TestClock();
    const replica = await openReplica(dir, clock, { snapshotEvery: 4, snapshotsKept: 2, compact: true });
    await acceptMany(replica, clock, 13);
    const head = replica.head();
    await replica.close();
    const store = await ReplicaStore.open(storeDir(dir));
    const first = await store.firstLogIndex();
    await store.close();
    assert.ok(first !== null && first > 1, `the fixture's log is compacted (first index ${first})`);

    const r = await checkWalInvariants(dir, { live: { applied_index: head.index, state_hash: head.hash } });
    assertOk(r);
    assert.ok(r.stats['base_index']! >= first! - 1, `the replay starts at a snapshot the log continues from: ${show(r)}`);
    assert.equal(r.stats['last_index'], 13, `the replay reaches the end of the log: ${show(r)}`);
    assert.ok(r.stats['decisions_before_base']! > 0, `DRs below the base are not compared: ${show(r)}`);
    assert.ok(r.stats['decisions_compared']! > 0, `DRs after the base are compared: ${show(r)}`);

    const strict = await checkWalInvariants(dir, { allowSnapshotBase: false });
    assertFails(strict, new RegExp(`the log is compacted below index ${first}`));
  } finally {
    cleanup(dir);
  }
});

test('doctor: healthy data dirs pass; a dir whose log is corrupt in the middle fails, named', async () => {
  const good = tempDir('chaos-doctor-good');
  const bad = tempDir('chaos-doctor-bad');
  try {
    for (const dir of [good, bad]) {
      const clock = new TestClock();
      await initDataDir(dir);
      const r = await openReplica(dir, clock);
      await acceptMany(r, clock, 6);
      await r.close();
    }
    const ok = await checkDoctor([good]);
    assert.equal(ok.ok, true, `an intact dir is healthy: ${ok.problems.join('; ')}`);
    assert.equal(ok.stats['healthy'], 1, 'one healthy replica counted');
    const s = await ReplicaStore.open(storeDir(bad));
    const key = indexKey(KEYS.log, 3);
    const bytes = Uint8Array.from((await s.getRaw(key))!);
    bytes[20] = bytes[20]! ^ 0xff;
    await s.putRaw(key, bytes);
    await s.close();
    const r = await checkDoctor([good, bad]);
    assert.equal(r.ok, false, 'a corrupt dir fails the check');
    assert.equal(r.problems.length, 1, `only the corrupt dir is a problem: ${r.problems.join('; ')}`);
    assert.match(r.problems[0]!, /WAL corrupt at index 3/, 'the problem names the index doctor found');
  } finally {
    cleanup(good);
    cleanup(bad);
  }
});
