// Replays a stopped replica's whole WAL from genesis in-process (what `swoosh replay --data DIR` does), checking the
// brief's invariants at every entry and comparing the replay with what the data directory recorded.
import { basename } from 'node:path';
import { genesisState, parseGenesis } from '../../src/core/genesis.ts';
import { checkInvariants } from '../../src/core/invariants.ts';
import { reduce } from '../../src/core/reducer.ts';
import type { StateDocument } from '../../src/core/state.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { loadSnapshot } from '../../src/node/snapshots.ts';
import { readWalAsStream, WalReadError } from '../../src/node/wal-stream.ts';
import { replayStream } from '../../src/replay/replay-stream.ts';
import { decodeFrame } from '../../src/storage/record-frame.ts';
import { isControlEntry, type DecisionEntryRecord, type HardStateRecord, type LogRecord, type SnapshotRecord } from '../../src/storage/records.ts';
import { withScratchCopy } from '../../src/storage/scratch-copy.ts';
import { KEYS } from '../../src/storage/storage-keys.ts';
import type { WorkloadEntry } from '../../src/workload/generator.ts';
import { Problems, type CheckResult } from './history.ts';

export interface WalCheckOptions {
  /** Re-verify every entry's signature, as `swoosh replay --data` does by default. Default true. */
  readonly verifySignatures?: boolean;
  /** What the live replica reported before it was stopped (its ReplicaFinal): the replay must reach the same hash. */
  readonly live?: { readonly applied_index: number; readonly state_hash: string };
  /**
   * When the log is compacted (the replica took or installed a snapshot and dropped older entries), replay from the
   * oldest verified snapshot the log continues from instead of reporting that the log cannot be replayed from
   * genesis. Default true; `stats.base_index` says where the replay started (0: genesis).
   */
  readonly allowSnapshotBase?: boolean;
}

interface Recorded {
  readonly decisions: DecisionEntryRecord[];
  readonly snapshots: { index: number; state_hash: string }[];
  /** A cluster replica's persisted commit index; null on a single-node replica. */
  readonly commit: number | null;
}

/** The replay: the state hash after each proposal entry, from a base (genesis, or a snapshot of a compacted log). */
interface Replay {
  readonly baseIndex: number;
  readonly baseHash: string;
  readonly indexes: number[];
  readonly postHashes: string[];
  readonly counts: { accepted: number; quarantined: number; duplicates: number; rejected: number };
  readonly violations: { index: number; problems: string[] }[];
  readonly violationCount: number;
}

async function readRecorded(dataDir: string): Promise<Recorded> {
  return withScratchCopy(dataDir, async (store) => {
    const decisions: DecisionEntryRecord[] = [];
    for (let after = 0; ; ) {
      const page = await store.scanDecisions(after, 1000);
      decisions.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.index;
    }
    const snapshots: { index: number; state_hash: string }[] = [];
    for (const index of await store.snapshotIndexes()) {
      const f = await store.readSnapshot(index);
      if (f.ok) snapshots.push({ index, state_hash: (f.value as SnapshotRecord).state_hash });
    }
    const hard = (await store.readMeta(KEYS.hardState)) as HardStateRecord | null;
    return { decisions, snapshots, commit: hard === null ? null : hard.commit };
  });
}

/** `swoosh replay --data DIR`: the committed log from genesis through replayStream (invariants checked per entry). */
async function replayFromGenesis(dataDir: string, verifySignatures: boolean): Promise<Replay> {
  const stream = await readWalAsStream(dataDir);
  const run = replayStream(stream.header.genesis, stream.entries, { verifySignatures });
  const r = run.report;
  return {
    baseIndex: 0,
    baseHash: stateHash(genesisState(stream.header.genesis)),
    indexes: stream.entries.map((e) => e.index),
    postHashes: run.postHashes,
    counts: { accepted: r.accepted, quarantined: r.quarantined, duplicates: r.duplicates, rejected: r.rejected },
    violations: r.violations,
    violationCount: r.invariant_violations,
  };
}

/** A compacted log: from the oldest verified snapshot it continues from, the same per-entry reduce + checkInvariants. */
async function replayFromSnapshot(dataDir: string, verifySignatures: boolean): Promise<Replay> {
  const { base, entries } = await withScratchCopy(dataDir, async (store) => {
    const g = parseGenesis(await store.readGenesis());
    if (!g.ok) throw new WalReadError(`${dataDir}: no valid genesis (${g.reasons.join('; ')})`);
    const first = (await store.firstLogIndex()) ?? 1;
    const hard = (await store.readMeta(KEYS.hardState)) as HardStateRecord | null;
    const upTo = hard === null ? Infinity : hard.commit;
    let base: { index: number; state: StateDocument } | null = null;
    // The oldest usable snapshot: the longest stretch of log is replayed, and newer snapshots are checked against it.
    for (const index of await store.snapshotIndexes()) {
      if (index < first - 1 || index > upTo) continue;
      const s = await loadSnapshot(store, index);
      if (s.ok) {
        base = { index, state: s.state };
        break;
      }
    }
    if (base === null) throw new WalReadError(`${dataDir}: the log is compacted below index ${first} and no verified snapshot at or after index ${first - 1} continues it`);
    const entries: WorkloadEntry[] = [];
    for await (const record of store.scanLog(base.index + 1)) {
      if (record.index > upTo) break;
      const f = decodeFrame(record.bytes);
      if (!f.ok) throw new WalReadError(`${dataDir}: log record ${record.index} is ${f.reason}; run swoosh doctor`);
      const e = f.value as LogRecord;
      if (!isControlEntry(e)) entries.push({ index: e.index, stamp: e.stamp, proposal: e.proposal });
    }
    return { base, entries };
  });
  let state = base.state;
  const postHashes: string[] = [];
  const violations: { index: number; problems: string[] }[] = [];
  const counts = { accepted: 0, quarantined: 0, duplicates: 0, rejected: 0 };
  for (const entry of entries) {
    const result = reduce(state, entry, { verifySignatures });
    const windowId = (entry.proposal as { window_id?: unknown } | null)?.window_id;
    const problems = checkInvariants(state, result, typeof windowId === 'string' ? windowId : null);
    if (problems.length > 0) violations.push({ index: entry.index, problems });
    const o = result.outcome;
    if (o.duplicate) counts.duplicates++;
    else if (o.status === 'rejected') counts.rejected++;
    else if (o.status === 'quarantined') counts.quarantined++;
    else counts.accepted++;
    state = result.state;
    postHashes.push(stateHash(state));
  }
  return { baseIndex: base.index, baseHash: stateHash(base.state), indexes: entries.map((e) => e.index), postHashes, counts, violations, violationCount: violations.length };
}

function isCompacted(e: unknown): boolean {
  return e instanceof WalReadError && e.message.includes('compacted below');
}

/**
 * Works on scratch copies of `dataDir` (the replica should be stopped; the live directory is never opened or locked).
 * Replays the committed log (`readWalAsStream`, as `swoosh replay --data`: a cluster replica's log up to its persisted
 * commit index; noop and membership entries carry no proposal) from genesis through `replayStream`, which runs
 * `checkInvariants` on every entry, and checks:
 *  - no invariant violation at any index;
 *  - every stored decision record after the replay's base sits at a proposal entry of the replayed log, and its
 *    state_pre_hash and state_post_hash are the replay's hashes before and after that entry;
 *  - every stored snapshot at or after the base is the replay's hash at its index;
 *  - a single-node replica (no Raft hard state) logs only what it decided, each entry with its DR in one batch: the
 *    log's last entry has the last DR, so the final replayed hash is the last state it acknowledged;
 *  - `options.live`, when given (the replica's last reported applied index and state hash): the replay's hash at that
 *    index is that hash.
 * A compacted log (first entry above 1) is replayed from the oldest verified snapshot it continues from
 * (`stats.base_index`), unless `allowSnapshotBase` is false. It never throws: unreadable input is a problem.
 */
export async function checkWalInvariants(dataDir: string, options: WalCheckOptions = {}): Promise<CheckResult> {
  const checker = `wal-invariants(${basename(dataDir)})`;
  const problems = new Problems();
  const verify = options.verifySignatures ?? true;
  let replay: Replay;
  let recorded: Recorded;
  try {
    try {
      replay = await replayFromGenesis(dataDir, verify);
    } catch (e) {
      if (!isCompacted(e) || options.allowSnapshotBase === false) throw e;
      replay = await replayFromSnapshot(dataDir, verify);
    }
    recorded = await readRecorded(dataDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof WalReadError) problems.add(e.message);
    else if (code === 'ENOENT') problems.add(`${dataDir} is not a SWOOSH data directory (no db/)`);
    else problems.add(`${dataDir}: cannot read the WAL: ${(e as Error).message}`);
    return problems.result(checker, {});
  }

  for (const v of replay.violations) problems.add(`${dataDir}: invariant broken at index ${v.index}: ${v.problems.join('; ')}`);
  for (let i = replay.violations.length; i < replay.violationCount; i++) problems.add(`${dataDir}: invariant violation (details beyond the replay's first ${replay.violations.length})`);

  const { indexes, postHashes: post, baseIndex, baseHash } = replay;
  const position = new Map<number, number>();
  indexes.forEach((index, i) => position.set(index, i));
  const lastIndex = indexes.length === 0 ? baseIndex : indexes[indexes.length - 1]!;
  /** The state hash after every entry up to `index` (noop indexes included), for index >= base: binary search. */
  const hashAt = (index: number): string => {
    let lo = 0;
    let hi = indexes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (indexes[mid]! <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === -1 ? baseHash : post[found]!;
  };

  let compared = 0;
  let mismatched = 0;
  let beforeBase = 0;
  for (const rec of recorded.decisions) {
    if (rec.index <= baseIndex) {
      beforeBase++;
      continue;
    }
    const i = position.get(rec.index);
    if (i === undefined) {
      mismatched++;
      problems.add(`${dataDir}: a decision record is stored at index ${rec.index}, but ${rec.index > lastIndex ? `the committed log ends at ${lastIndex}` : 'the log has no proposal there'}`);
      continue;
    }
    compared++;
    const before = i === 0 ? baseHash : post[i - 1]!;
    const d = rec.decision;
    if (d.state_pre_hash !== before || d.state_post_hash !== post[i]) {
      mismatched++;
      problems.add(`${dataDir}: the DR at index ${rec.index} says ${d.state_pre_hash} -> ${d.state_post_hash}; replaying the WAL gives ${before} -> ${post[i]}`);
    }
  }
  // What the replay vouches for: every proposal up to the commit index (cluster) or the end of the log.
  const replayedTo = recorded.commit ?? lastIndex;
  for (const s of recorded.snapshots) {
    if (s.index < baseIndex || s.index > replayedTo) continue;
    if (hashAt(s.index) !== s.state_hash) problems.add(`${dataDir}: snapshot ${s.index} has state_hash ${s.state_hash}; replaying the WAL to ${s.index} gives ${hashAt(s.index)}`);
  }
  const lastDr = recorded.decisions[recorded.decisions.length - 1];
  if (recorded.commit === null && lastIndex > baseIndex && (lastDr?.index ?? 0) !== lastIndex) {
    problems.add(`${dataDir}: single-node replica: the log ends at index ${lastIndex} but the last decision record is at ${lastDr?.index ?? 'none'}`);
  }
  if (options.live !== undefined) {
    const { applied_index, state_hash } = options.live;
    if (applied_index > replayedTo) problems.add(`${dataDir}: the replica reported applied index ${applied_index}, but its committed log ends at ${replayedTo}`);
    else if (applied_index < baseIndex) problems.add(`${dataDir}: the replica reported applied index ${applied_index}, below its log's snapshot base ${baseIndex}`);
    else if (hashAt(applied_index) !== state_hash) problems.add(`${dataDir}: the replica reported ${state_hash} at index ${applied_index}; replaying its WAL gives ${hashAt(applied_index)}`);
  }
  return problems.result(checker, {
    base_index: baseIndex,
    entries: indexes.length,
    last_index: lastIndex,
    ...replay.counts,
    invariant_violations: replay.violationCount,
    decisions_stored: recorded.decisions.length,
    decisions_compared: compared,
    decisions_before_base: beforeBase,
    decision_mismatches: mismatched,
    snapshots: recorded.snapshots.length,
    last_decision_index: lastDr?.index ?? 0,
    commit_index: recorded.commit ?? -1,
  });
}
