// Runs every chaos checker over one run's history, the replicas' final states and their (stopped) data directories.
import { basename } from 'node:path';
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { checkConvergence } from './convergence.ts';
import { checkDecisionRecords } from './decision-records.ts';
import { checkAppliedOnce, checkNoLostAcks } from './durability.ts';
import type { CheckResult, HistoryOp, ReplicaFinal } from './history.ts';
import { checkCasLinearizable } from './linearizability.ts';
import { checkWalInvariants } from './wal-invariants.ts';
import { runDoctor } from '../../src/node/doctor.ts';

export type { CheckResult, HistoryOp, ReplicaFinal } from './history.ts';
export { checkConvergence, checkDecisionRecords, checkAppliedOnce, checkNoLostAcks, checkCasLinearizable, checkWalInvariants };

export interface CheckerInput {
  readonly history: readonly HistoryOp[];
  readonly finals: readonly ReplicaFinal[];
  /** Data directories of the stopped replicas; one whose basename is a final's id is compared with that final. */
  readonly dataDirs: readonly string[];
}

/** The DRs of all replicas, one per index (the first replica's that has it), in index order: fills snapshot gaps. */
export function mergeDecisions(finals: readonly ReplicaFinal[]): DecisionEntryRecord[] {
  const byIndex = new Map<number, DecisionEntryRecord>();
  for (const f of finals) for (const d of f.decisions) if (!byIndex.has(d.index)) byIndex.set(d.index, d);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Every distinct DR held by any replica (by index and id), so a record altered on one replica alone is checked too. */
export function distinctDecisions(finals: readonly ReplicaFinal[]): DecisionEntryRecord[] {
  const seen = new Map<string, DecisionEntryRecord>();
  for (const f of finals) for (const d of f.decisions) {
    const k = `${d.index}\u0000${d.decision.id}`;
    if (!seen.has(k)) seen.set(k, d);
  }
  return [...seen.values()].sort((a, b) => a.index - b.index);
}

export async function runCheckers(input: CheckerInput): Promise<CheckResult[]> {
  const { history, finals, dataDirs } = input;
  const results: CheckResult[] = [
    checkNoLostAcks(history, finals),
    checkAppliedOnce(finals),
    checkCasLinearizable(history, mergeDecisions(finals)),
    checkDecisionRecords(distinctDecisions(finals)),
    checkConvergence(finals),
  ];
  for (const dir of dataDirs) {
    const final = finals.find((f) => f.id === basename(dir));
    results.push(await checkWalInvariants(dir, final === undefined ? {} : { live: { applied_index: final.applied_index, state_hash: final.state_hash } }));
  }
  results.push(await checkDoctor(dataDirs));
  return results;
}

/** `swoosh doctor` on every stopped data dir: each must be healthy (what a crash left behind was preserved aside). */
export async function checkDoctor(dataDirs: readonly string[]): Promise<CheckResult> {
  const problems: string[] = [];
  const stats: Record<string, number> = { replicas: dataDirs.length, healthy: 0, preserved_records: 0 };
  for (const dir of dataDirs) {
    const r = await runDoctor(dir).catch((e: unknown) => ({ verdict: 'unhealthy' as const, checks: [{ name: 'doctor', ok: false, detail: (e as Error).message }], preserved_records: [] }));
    if (r.verdict === 'healthy') stats['healthy']!++;
    else problems.push(`${basename(dir)}: ${r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
    stats['preserved_records']! += r.preserved_records.length;
  }
  return { checker: 'doctor', ok: problems.length === 0, problems, stats: { ...stats, problems: problems.length } };
}
