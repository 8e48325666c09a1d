// Convergence: after healing, every replica is at the same index and state, with the same decision records.
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { Problems, type CheckResult, type ReplicaFinal } from './history.ts';

/**
 * All replicas have the same applied_index and state_hash, and their decision lists agree: compared by DR id index by
 * index over the indexes both have. A follower that installed a leader snapshot has no DRs for the indexes the snapshot
 * covers (docs/raft.md, Known gaps), so an index missing on one replica is not a problem; per replica, `dr_missing.<id>`
 * counts the indexes other replicas have and it lacks, and `dr_gap_ranges.<id>` the contiguous runs of them.
 */
export function checkConvergence(finals: readonly ReplicaFinal[]): CheckResult {
  const problems = new Problems();
  const stats: Record<string, number> = { replicas: finals.length };
  if (finals.length === 0) {
    problems.add('no replica finals');
    return problems.result('convergence', stats);
  }
  const first = finals[0]!;
  stats['applied_index'] = first.applied_index;
  if (finals.some((f) => f.applied_index !== first.applied_index)) {
    problems.add(`applied_index differs: ${finals.map((f) => `${f.id}=${f.applied_index}`).join(', ')}`);
  }
  if (finals.some((f) => f.state_hash !== first.state_hash)) {
    problems.add(`state_hash differs: ${finals.map((f) => `${f.id}=${f.state_hash}`).join(', ')}`);
  }

  // The union of DRs by index, each with the first replica that had it.
  const union = new Map<number, { record: DecisionEntryRecord; from: string }>();
  let mismatches = 0;
  for (const f of finals) {
    const own = new Set<number>();
    for (const d of f.decisions) {
      if (own.has(d.index)) problems.add(`replica ${f.id} lists two decision records at index ${d.index}`);
      own.add(d.index);
      const u = union.get(d.index);
      if (u === undefined) union.set(d.index, { record: d, from: f.id });
      else if (u.record.decision.id !== d.decision.id) {
        mismatches++;
        problems.add(
          `decision records diverge at index ${d.index}: ${u.from} has ${u.record.decision.id} (${u.record.decision.outcome} ${u.record.decision.transition}, post ${u.record.decision.state_post_hash}), ${f.id} has ${d.decision.id} (${d.decision.outcome} ${d.decision.transition}, post ${d.decision.state_post_hash})`,
        );
      }
    }
  }
  stats['union_decisions'] = union.size;
  stats['dr_mismatches'] = mismatches;
  const all = [...union.keys()].sort((a, b) => a - b);
  let maxMissing = 0;
  for (const f of finals) {
    const own = new Set(f.decisions.map((d) => d.index));
    let missing = 0;
    let ranges = 0;
    let inRun = false;
    for (const i of all) {
      if (own.has(i)) {
        inRun = false;
        continue;
      }
      missing++;
      if (!inRun) ranges++;
      inRun = true;
    }
    stats[`dr_missing.${f.id}`] = missing;
    stats[`dr_gap_ranges.${f.id}`] = ranges;
    maxMissing = Math.max(maxMissing, missing);
  }
  stats['dr_gap_max'] = maxMissing;
  return problems.result('convergence', stats);
}
