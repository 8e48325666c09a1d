// Linearizability of the acknowledged history as compare-and-set operations on the state hash.
//
// Why the DR's pre-hash is the CAS "expected" value: reduce() rejects with stale_state_hash unless the proposal's
// current_state_hash equals stateHash(state) (src/core/reducer.ts, step 8), and an accepted or quarantined DR's
// state_pre_hash is that same stateHash(state). A cluster leader pre-checks against a speculative HEAD (applied state
// plus its own in-flight entries, src/node/raft-replica.ts), but the DR and the answer come from the real apply on the
// applied state: an overtaken pre-check is re-decided there (a logged, rejected DR). So for every non-rejected DR,
// state_pre_hash === the applied proposal's current_state_hash, exactly, and an acked non-duplicate op's DR must have
// state_pre_hash === op.expected_hash.
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { applied, describeKey, describeOp, opKey, Problems, sortedByIndex, type CheckResult, type HistoryOp } from './history.ts';

/** One applied operation (a non-rejected DR whose key is in the history) with its real-time bounds. */
interface Effect {
  readonly index: number;
  readonly key: string;
  /** The earliest invocation that could have produced it. */
  readonly lo: number;
  readonly loOp: HistoryOp;
  /** The earliest acknowledgement that reported it (Infinity if none). */
  readonly hi: number;
  readonly hiOp: HistoryOp | null;
}

/**
 * `decisions`: one converged replica's DRs (or the union over replicas; runCheckers passes the union by index).
 *
 * (a) chain: sorted by index, each DR's state_pre_hash is the previous DR's state_post_hash (noop, membership and
 *     logged-duplicate entries have no DR and change nothing, so skipped indexes are fine); a rejected DR has
 *     pre === post; no index holds two DRs.
 * (b) every acked op (result ok) matches its DR (by index when the answer gave one, else by key): same signer and
 *     idem_key, not rejected, the acknowledged outcome and post hash; for a non-duplicate ack also
 *     DR.state_pre_hash === op.expected_hash (the CAS succeeded because HEAD equalled the expected value).
 * (c) real time: each applied op's effect lies between the earliest invocation that could have produced it (an ok or
 *     unknown, non-duplicate attempt with that key and expected_hash === DR.state_pre_hash) and its earliest
 *     acknowledgement (any ok answer naming it, duplicates included). If X was acknowledged before Y was invoked, X's
 *     index must be below Y's. Checked in one sweep over the effects in index order (O(n log n)).
 * (d) a definitely refused op (result fail) is never applied: a non-rejected DR for (signer, idem_key, pre-hash)
 *     must be explained by an ok or unknown attempt with that key and expected hash, not only by refused ones (a
 *     refused key may legitimately be retried under the same idem_key against a newer HEAD). A DR for a key of the
 *     history that no attempt expected at all is reported too.
 */
export function checkCasLinearizable(history: readonly HistoryOp[], decisions: readonly DecisionEntryRecord[]): CheckResult {
  const problems = new Problems();
  const drs = sortedByIndex(decisions);

  // (a) the DR chain
  let chainBreaks = 0;
  const byIndex = new Map<number, DecisionEntryRecord>();
  for (let i = 0; i < drs.length; i++) {
    const cur = drs[i]!;
    const d = cur.decision;
    if (byIndex.has(cur.index)) problems.add(`two decision records at index ${cur.index}: ${byIndex.get(cur.index)!.decision.id} and ${d.id}`);
    else byIndex.set(cur.index, cur);
    if (d.outcome === 'rejected' && d.state_pre_hash !== d.state_post_hash) problems.add(`rejected DR at index ${cur.index} changed the state: ${d.state_pre_hash} -> ${d.state_post_hash}`);
    if (i === 0) continue;
    const prev = drs[i - 1]!;
    if (prev.index === cur.index) continue;
    if (d.state_pre_hash !== prev.decision.state_post_hash) {
      chainBreaks++;
      problems.add(`chain broken: DR at index ${cur.index} (${d.transition}) has state_pre_hash ${d.state_pre_hash}, but the DR before it, at index ${prev.index}, left ${prev.decision.state_post_hash}`);
    }
  }

  // Applied DRs by key.
  const appliedByKey = new Map<string, DecisionEntryRecord[]>();
  for (const r of drs) {
    if (!applied(r)) continue;
    const k = opKey(r.decision.signer, r.decision.idem_key);
    const list = appliedByKey.get(k);
    if (list === undefined) appliedByKey.set(k, [r]);
    else list.push(r);
  }
  const opsByKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    const k = opKey(op.signer, op.idem_key);
    const list = opsByKey.get(k);
    if (list === undefined) opsByKey.set(k, [op]);
    else list.push(op);
  }

  // (b) every ack matches its DR
  let ackedChecked = 0;
  let ackedNotFound = 0;
  let casMismatches = 0;
  for (const op of history) {
    if (op.result !== 'ok') continue;
    const k = opKey(op.signer, op.idem_key);
    let r: DecisionEntryRecord | undefined;
    if (op.index !== null) {
      r = byIndex.get(op.index);
      if (r === undefined) {
        // No DR at that index in this list (lost, or a DR gap): the durability checker judges that.
        ackedNotFound++;
        continue;
      }
      if (opKey(r.decision.signer, r.decision.idem_key) !== k) {
        problems.add(`${describeOp(op)} was acknowledged at index ${op.index}, but the DR there is ${r.decision.outcome} ${r.decision.transition} ${describeKey(r.decision.signer, r.decision.idem_key)}`);
        continue;
      }
    } else {
      r = appliedByKey.get(k)?.[0];
      if (r === undefined) {
        ackedNotFound++;
        continue;
      }
    }
    ackedChecked++;
    const d = r.decision;
    if (d.outcome === 'rejected') {
      problems.add(`${describeOp(op)} was acknowledged ${op.outcome ?? 'ok'} but its DR at index ${r.index} is rejected (${d.code})`);
      continue;
    }
    if (!op.duplicate && d.state_pre_hash !== op.expected_hash) {
      casMismatches++;
      problems.add(`CAS mismatch: ${describeOp(op)} expected ${op.expected_hash} but its DR at index ${r.index} was applied on ${d.state_pre_hash}`);
    }
    if (op.state_post_hash !== null && op.state_post_hash !== d.state_post_hash) {
      problems.add(`${describeOp(op)} was acknowledged with state_post_hash ${op.state_post_hash} but its DR at index ${r.index} has ${d.state_post_hash}`);
    }
    if (op.outcome !== null && op.outcome !== d.outcome) problems.add(`${describeOp(op)} was acknowledged ${op.outcome} but its DR at index ${r.index} is ${d.outcome}`);
  }

  // (c) and (d): the applied operations of the history, with their real-time bounds
  const effects: Effect[] = [];
  let refusedButApplied = 0;
  let unexplained = 0;
  for (const r of drs) {
    if (!applied(r)) continue;
    const k = opKey(r.decision.signer, r.decision.idem_key);
    const ops = opsByKey.get(k);
    if (ops === undefined) continue; // not written by the history's clients (setup, adapters)
    const pre = r.decision.state_pre_hash;
    let loOp: HistoryOp | null = null;
    for (const op of ops) {
      if (op.duplicate || op.result === 'fail' || op.expected_hash !== pre) continue;
      if (loOp === null || op.invoke_ms < loOp.invoke_ms) loOp = op;
    }
    if (loOp === null) {
      const refused = ops.filter((op) => op.result === 'fail' && op.expected_hash === pre);
      if (refused.length > 0) {
        refusedButApplied++;
        const op = refused[0]!;
        problems.add(`refused op applied: ${describeOp(op)} was definitely refused (HTTP ${op.status ?? '?'} ${op.code ?? ''}) but the DR at index ${r.index} applied it (${r.decision.outcome}, pre ${pre})`);
      } else {
        unexplained++;
        problems.add(`unexplained CAS: the DR at index ${r.index} applies ${describeKey(r.decision.signer, r.decision.idem_key)} on ${pre}, but no attempt of the history with that key expected that hash`);
      }
      continue;
    }
    let hiOp: HistoryOp | null = null;
    for (const op of ops) {
      if (op.result !== 'ok' || op.complete_ms === null) continue;
      if (op.index !== null && op.index !== r.index) continue;
      if (hiOp === null || op.complete_ms < hiOp.complete_ms!) hiOp = op;
    }
    effects.push({ index: r.index, key: k, lo: loOp.invoke_ms, loOp, hi: hiOp?.complete_ms ?? Infinity, hiOp });
  }
  // effects are in index order (drs is sorted). X after Y in index order but acknowledged before Y was invoked: inversion.
  let inversions = 0;
  let latest: Effect | null = null;
  for (const x of effects) {
    if (latest !== null && x.hi < latest.lo) {
      inversions++;
      problems.add(
        `real-time order violated: ${describeOp(x.hiOp!)} was acknowledged at ${x.hi} ms (index ${x.index}) before ${describeOp(latest.loOp)} was invoked at ${latest.lo} ms, yet the latter is ordered first (index ${latest.index})`,
      );
    }
    if (latest === null || x.lo > latest.lo) latest = x;
  }

  return problems.result('cas-linearizable', {
    decisions: drs.length,
    chain_breaks: chainBreaks,
    acked_checked: ackedChecked,
    acked_not_found: ackedNotFound,
    cas_mismatches: casMismatches,
    applied_ops: effects.length,
    refused_but_applied: refusedButApplied,
    unexplained_cas: unexplained,
    real_time_inversions: inversions,
  });
}
