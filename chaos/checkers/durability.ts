// Durability: no acknowledged operation is lost, and none is applied twice, on any replica.
//
// What the code does (src/core/reducer.ts, src/node/*replica.ts): a duplicate answer (duplicate: true) emits no
// decision record and returns the ORIGINAL entry's index, post hash and DR id; so the evidence of a duplicate ack is
// the original's DR. Rejections are not logged, except a cluster leader's pre-check overtaken by another term's entry,
// which is logged and gets a rejected DR. A follower that installed a leader snapshot has no DRs for the indexes the
// snapshot covers (docs/raft.md, Known gaps).
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { applied, describeKey, describeOp, opKey, Problems, type CheckResult, type HistoryOp, type ReplicaFinal } from './history.ts';

interface ReplicaView {
  readonly final: ReplicaFinal;
  readonly byIndex: Map<number, DecisionEntryRecord>;
  /** Non-rejected DRs by (signer, idem_key). */
  readonly byKey: Map<string, DecisionEntryRecord[]>;
}

function view(final: ReplicaFinal): ReplicaView {
  const byIndex = new Map<number, DecisionEntryRecord>();
  const byKey = new Map<string, DecisionEntryRecord[]>();
  for (const d of final.decisions) {
    byIndex.set(d.index, d);
    if (!applied(d) || d.decision.signer === null || d.decision.idem_key === null) continue;
    const k = opKey(d.decision.signer, d.decision.idem_key);
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [d]);
    else list.push(d);
  }
  return { final, byIndex, byKey };
}

function matches(op: HistoryOp, d: DecisionEntryRecord): boolean {
  return op.index === null || d.index === op.index;
}

/**
 * Every op with result 'ok' (a duplicate ack included: it says the original of its idem_key is applied, at the index it
 * names) is on EVERY replica as a non-rejected DR with the same signer and idem_key, at the op's index when the answer
 * gave one, with the acknowledged outcome. A replica that has no DR at all at that index, has applied past it, while
 * another replica has the matching DR there, is in a DR gap (snapshot install): counted in `acks_in_dr_gap`, not a
 * problem (its state hash is compared by the convergence checker).
 */
export function checkNoLostAcks(history: readonly HistoryOp[], finals: readonly ReplicaFinal[]): CheckResult {
  const problems = new Problems();
  const views = finals.map(view);
  let acked = 0;
  let ackedDuplicates = 0;
  let inGap = 0;
  let lost = 0;
  let unknownApplied = 0;
  let unknownNotApplied = 0;
  if (finals.length === 0) problems.add('no replica finals to check against');
  for (const op of history) {
    const k = opKey(op.signer, op.idem_key);
    if (op.result === 'unknown') {
      if (views.some((v) => v.byKey.has(k))) unknownApplied++;
      else unknownNotApplied++;
      continue;
    }
    if (op.result !== 'ok') continue;
    acked++;
    if (op.duplicate) ackedDuplicates++;
    let opLost = false;
    for (const v of views) {
      const found = (v.byKey.get(k) ?? []).filter((d) => matches(op, d));
      if (found.length > 0) {
        const d = found[0]!;
        if (op.outcome !== null && op.outcome !== 'rejected' && d.decision.outcome !== op.outcome) {
          problems.add(`${describeOp(op)} was acknowledged ${op.outcome} but replica ${v.final.id} has it ${d.decision.outcome} at index ${d.index}`);
        }
        continue;
      }
      const elsewhere = v.byKey.get(k) ?? [];
      const at = op.index === null ? undefined : v.byIndex.get(op.index);
      if (op.index !== null && at === undefined && elsewhere.length === 0 && v.final.applied_index >= op.index && views.some((w) => w !== v && (w.byKey.get(k) ?? []).some((d) => d.index === op.index))) {
        inGap++;
        continue;
      }
      opLost = true;
      let why: string;
      if (elsewhere.length > 0) why = `it is at index ${elsewhere.map((d) => d.index).join(', ')} instead`;
      else if (at !== undefined) why = `index ${op.index} there holds ${at.decision.outcome} ${at.decision.transition ?? '?'} ${describeKey(at.decision.signer, at.decision.idem_key)}`;
      else if (op.index !== null && v.final.applied_index < op.index) why = `the replica applied only up to ${v.final.applied_index}`;
      else why = 'no DR for its signer and idem_key';
      problems.add(`lost ack: ${describeOp(op)} acknowledged${op.duplicate ? ' (duplicate)' : ''} ${op.outcome ?? ''} at index ${op.index ?? '?'} is missing on replica ${v.final.id}: ${why}`);
    }
    if (opLost) lost++;
  }
  return problems.result('no-lost-acks', {
    replicas: finals.length,
    acked,
    acked_duplicates: ackedDuplicates,
    lost,
    acks_in_dr_gap: inGap,
    unknown_applied: unknownApplied,
    unknown_not_applied: unknownNotApplied,
  });
}

/**
 * On each replica, no (signer, idem_key) has more than one non-rejected DR. (Duplicates emit no DR, so every
 * non-rejected DR is an application. Dedupe rows expire after the genesis retention, default 365 days: a run longer
 * than the retention could legitimately re-apply a key; chaos runs are not.)
 */
export function checkAppliedOnce(finals: readonly ReplicaFinal[]): CheckResult {
  const problems = new Problems();
  let appliedCount = 0;
  let doubles = 0;
  for (const f of finals) {
    const seen = new Map<string, number>();
    for (const d of f.decisions) {
      if (!applied(d) || d.decision.signer === null || d.decision.idem_key === null) continue;
      appliedCount++;
      const k = opKey(d.decision.signer, d.decision.idem_key);
      const first = seen.get(k);
      if (first === undefined) {
        seen.set(k, d.index);
        continue;
      }
      doubles++;
      problems.add(`double apply on replica ${f.id}: ${describeKey(d.decision.signer, d.decision.idem_key)} (${d.decision.transition}) is applied at index ${first} and again at index ${d.index}`);
    }
  }
  return problems.result('applied-once', { replicas: finals.length, applied_drs: appliedCount, double_applies: doubles });
}
