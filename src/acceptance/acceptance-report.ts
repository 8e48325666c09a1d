// What an acceptance run reports, how its outcomes are tallied, and when it passes.
import type { Attempt } from './cluster-submit.ts';
import type { DoctorVerdict } from './doctor-run.ts';
import type { CheckedStep } from './model-check.ts';
import type { PacingStats } from './model-pacing.ts';

export interface Outcomes {
  accepted: number;
  quarantined: number;
  duplicates: number;
  rejected: number;
  rejected_by_code: Record<string, number>;
  /** Refused by a replica before the reducer ran (nothing logged, nothing for the model to check). */
  refused_by_code: Record<string, number>;
  /** Attempts that had to be repeated, by why (`503 no_leader`, `network: …`). */
  retries: Record<string, number>;
  /** Entries whose first answer was lost but which had committed (the retry came back a duplicate). */
  committed_on_retry: number;
}

export interface AcceptanceReport {
  readonly replicas: number;
  readonly seed: number;
  readonly count: number;
  readonly hostile_permille: number;
  /** Proposals actually driven (less than count only when the run stopped on a failure). */
  readonly driven: number;
  /** Wall time of the driving phase, and proposals per second over it. */
  readonly seconds: number;
  readonly throughput_per_s: number;
  readonly final_state_hash: string | null;
  readonly applied_index: number | null;
  readonly replicas_hashes: Record<string, string>;
  readonly replicas_applied: Record<string, number>;
  readonly identical: boolean;
  readonly model_state_hash: string;
  readonly model_hash_matches: boolean;
  readonly outcomes: Outcomes;
  readonly execution_loops: number;
  readonly final_configuration: string;
  readonly clock: PacingStats & { readonly simulated_span_s: number };
  /** Per proposal, from the first attempt to the decision, pacing holds excluded. */
  readonly latency_ms: LatencySummary;
  readonly doctor: Record<string, DoctorVerdict['verdict']>;
  readonly doctor_problems: Record<string, readonly string[]>;
  readonly invariant_violations: number;
  readonly violations: readonly { readonly step: number; readonly problems: readonly string[] }[];
  readonly expectation_mismatches: readonly { readonly step: number; readonly expected: string; readonly got: string }[];
  /** Why the run stopped early or could not be judged (a model disagreement, an unavailable cluster, a crash). */
  readonly failure: string | null;
  /** The tail of each replica's output, when something failed. */
  readonly logs?: Record<string, string>;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The mean of each successive block of 1000 proposals: shows whether the cluster slows down as it grows. */
  readonly mean_by_thousand: readonly number[];
}

export function summarizeLatency(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!));
  const blocks: number[] = [];
  for (let i = 0; i < samples.length; i += 1000) {
    const block = samples.slice(i, i + 1000);
    blocks.push(round1(block.reduce((a, b) => a + b, 0) / block.length));
  }
  return { p50: at(0.5), p99: at(0.99), max: round1(sorted.at(-1) ?? 0), mean_by_thousand: blocks };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function emptyOutcomes(): Outcomes {
  return { accepted: 0, quarantined: 0, duplicates: 0, rejected: 0, rejected_by_code: {}, refused_by_code: {}, retries: {}, committed_on_retry: 0 };
}

export function tally(o: Outcomes, step: CheckedStep, attempts: readonly Attempt[]): void {
  for (const a of attempts) {
    // Network errors carry variable text; keep the class only.
    const why = a.why.startsWith('network:') ? 'network' : a.why;
    o.retries[why] = (o.retries[why] ?? 0) + 1;
  }
  if (step.committedOnRetry) o.committed_on_retry++;
  switch (step.kind) {
    case 'accepted':
      o.accepted++;
      break;
    case 'quarantined':
      o.quarantined++;
      break;
    case 'duplicate':
      o.duplicates++;
      break;
    case 'rejected':
      o.rejected++;
      bump(o.rejected_by_code, step.code ?? 'unknown');
      break;
    case 'refused':
      bump(o.refused_by_code, step.code ?? 'unknown');
      break;
  }
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** The acceptance criterion: one state on every replica, the model's, doctored healthy, no invariant broken. */
export function acceptancePassed(r: AcceptanceReport): boolean {
  return r.failure === null && r.identical && r.model_hash_matches && r.invariant_violations === 0 && Object.keys(r.doctor).length === r.replicas && Object.values(r.doctor).every((v) => v === 'healthy');
}
