// Replays a stream through the reducer with invariant checks: the report `swoosh replay` prints.
import { genesisState, type Genesis } from '../core/genesis.ts';
import { checkInvariants } from '../core/invariants.ts';
import { reduce, type ReduceOptions } from '../core/reducer.ts';
import type { StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import type { WorkloadEntry } from '../workload/generator.ts';

export interface ReplayReport {
  readonly entries: number;
  readonly final_state_hash: string;
  readonly accepted: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly rejected_by_reason: Record<string, number>;
  readonly invariant_violations: number;
  readonly violations: { index: number; problems: string[] }[];
  /** Entries annotated with an expected outcome (hostile workload entries) that got another. */
  readonly expectation_mismatches: { index: number; expected: string; got: string }[];
  readonly execution_loops: number;
  readonly final_configuration: string;
}

export interface ReplayRun {
  readonly report: ReplayReport;
  readonly postHashes: string[];
  readonly final: StateDocument;
}

export interface ReplayOptions extends ReduceOptions {
  /** Stop after this many entries (to inspect an intermediate state). */
  readonly limit?: number;
  readonly onEntry?: (index: number, state: StateDocument) => void;
}

export function replayStream(genesis: Genesis, entries: readonly WorkloadEntry[], options: ReplayOptions = {}): ReplayRun {
  let state = genesisState(genesis);
  const byReason: Record<string, number> = {};
  const violations: { index: number; problems: string[] }[] = [];
  const mismatches: { index: number; expected: string; got: string }[] = [];
  const postHashes: string[] = [];
  let accepted = 0;
  let quarantined = 0;
  let duplicates = 0;
  let rejected = 0;
  const n = Math.min(entries.length, options.limit ?? entries.length);
  for (let i = 0; i < n; i++) {
    const entry = entries[i]!;
    const result = reduce(state, entry, options);
    const o = result.outcome;
    const windowId = (entry.proposal as { window_id?: unknown } | null)?.window_id;
    const problems = checkInvariants(state, result, typeof windowId === 'string' ? windowId : null);
    if (problems.length > 0) violations.push({ index: entry.index, problems });
    let got: string;
    if (o.duplicate) {
      duplicates++;
      got = 'duplicate';
    } else if (o.status === 'rejected') {
      rejected++;
      got = o.code!;
      byReason[got] = (byReason[got] ?? 0) + 1;
    } else {
      if (o.status === 'quarantined') quarantined++;
      else accepted++;
      got = o.status;
    }
    if (entry.expect !== undefined && entry.expect !== got) mismatches.push({ index: entry.index, expected: entry.expect, got });
    state = result.state;
    postHashes.push(stateHash(state));
    options.onEntry?.(entry.index, state);
  }
  const sortedReasons = Object.fromEntries(Object.entries(byReason).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    final: state,
    postHashes,
    report: {
      entries: n,
      final_state_hash: stateHash(state),
      accepted,
      quarantined,
      duplicates,
      rejected,
      rejected_by_reason: sortedReasons,
      invariant_violations: violations.length,
      violations: violations.slice(0, 20),
      expectation_mismatches: mismatches.slice(0, 20),
      execution_loops: state.execution.loop,
      final_configuration: state.configuration.top,
    },
  };
}
