// Startup recovery: newest valid snapshot, then the log replayed through the reducer with every hash checked.
import { performance } from 'node:perf_hooks';
import type { Digest } from '../core/digest.ts';
import { genesisState, type Genesis } from '../core/genesis.ts';
import { reduce } from '../core/reducer.ts';
import type { StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import { decodeFrame } from '../storage/record-frame.ts';
import type { ConfChange } from '../raft/types.ts';
import { isControlEntry, type DecisionEntryRecord, type LogRecord, type SnapshotRaftMeta } from '../storage/records.ts';
import type { RawRecord, ReplicaStore } from '../storage/replica-store.ts';
import { indexKey, KEYS } from '../storage/storage-keys.ts';
import { loadSnapshot } from './snapshots.ts';

export interface TornTail {
  readonly index: number;
  readonly reason: string;
  readonly preserved_as: string | null;
}

export interface RecoveryReport {
  readonly snapshot: { readonly index: number; readonly hlc: string | null; readonly state_hash: Digest; readonly raft?: SnapshotRaftMeta } | null;
  readonly skipped_snapshots: readonly { readonly index: number; readonly reason: string }[];
  readonly replayed: number;
  readonly last_index: number;
  readonly state_hash: Digest;
  readonly torn_tail: TornTail | null;
  /** Decision records rewritten for applied entries that had none (a crash between apply and the DR write). */
  readonly restored_decisions: number;
  readonly duration_seconds: number;
}

export interface Recovered {
  readonly state: StateDocument;
  /** The last applied index (for a cluster replica: at most the commit index it was given). */
  readonly lastIndex: number;
  readonly report: RecoveryReport;
  /** Every valid record after the snapshot, applied or not: a cluster replica rebuilds its Raft log from them. */
  readonly records: readonly LogRecord[];
  /** Membership changes among the applied records, in order. */
  readonly confChanges: readonly ConfChange[];
}

/** The log cannot be trusted at `index`: the replica must not serve. */
export class CorruptLogError extends Error {
  constructor(
    readonly index: number,
    readonly detail: string,
  ) {
    super(`WAL corrupt at index ${index}: ${detail}`);
  }
}

function decodeEntry(record: RawRecord): { ok: true; entry: LogRecord } | { ok: false; reason: string } {
  const f = decodeFrame(record.bytes);
  if (!f.ok) return { ok: false, reason: f.reason };
  const e = f.value as Record<string, unknown> | null;
  const valid =
    e !== null &&
    typeof e === 'object' &&
    e['index'] === record.index &&
    (('kind' in e && (e['kind'] === 'noop' || (e['kind'] === 'conf' && typeof e['conf'] === 'object'))) || (typeof e['stamp'] === 'string' && 'proposal' in e));
  if (!valid) return { ok: false, reason: 'record does not hold the entry its key names' };
  return { ok: true, entry: e as unknown as LogRecord };
}

export interface RecoverOptions {
  /**
   * Change nothing in the store (doctor). Otherwise recovery moves a bad tail record and unusable snapshots aside
   * and rewrites missing decision records.
   */
  readonly readOnly?: boolean;
  /** Ignore snapshots and replay from genesis (doctor's second rebuild). */
  readonly fromGenesis?: boolean;
  /** Apply no entry after this index (a cluster replica's commit index); later records are only returned. */
  readonly upTo?: number;
}

export async function recover(store: ReplicaStore, genesis: Genesis, options: RecoverOptions = {}): Promise<Recovered> {
  const started = performance.now();
  const skipped: { index: number; reason: string }[] = [];
  let state = genesisState(genesis);
  let base = 0;
  let snapshot: RecoveryReport['snapshot'] = null;
  if (options.fromGenesis !== true) {
    for (const index of (await store.snapshotIndexes()).reverse()) {
      const s = await loadSnapshot(store, index);
      if (s.ok) {
        state = s.state;
        base = index;
        snapshot = { index, hlc: s.hlc, state_hash: s.hash, ...(s.raft === undefined ? {} : { raft: s.raft }) };
        break;
      }
      skipped.push({ index, reason: s.reason });
      // A snapshot that fails verification is never usable: moved aside byte for byte, like a torn tail record,
      // so later recoveries and doctor see a clean store and the evidence stays (preserved/snap/...).
      if (options.readOnly !== true) {
        const key = indexKey(KEYS.snapshot, index);
        const bytes = await store.getRaw(key);
        if (bytes !== undefined) await store.preserveRecord({ index, key, bytes }, s.reason);
      }
    }
  }
  const first = await store.firstLogIndex();
  if (first !== null && first > base + 1) {
    throw new CorruptLogError(base + 1, `the log starts at ${first} but the newest usable base is ${base === 0 ? 'genesis' : `snapshot ${base}`}; entries ${base + 1}..${first - 1} were compacted`);
  }

  let expected = base + 1;
  let replayed = 0;
  let applied = base;
  const upTo = options.upTo ?? Infinity;
  const records: LogRecord[] = [];
  const confChanges: ConfChange[] = [];
  // A cluster replica writes an entry's DR after applying it, so a crash in between leaves the entry committed
  // and durable but without its record: replay regenerates it (the reducer is deterministic), unless read-only.
  const restored: DecisionEntryRecord[] = [];
  let pendingBad: { record: RawRecord; reason: string } | null = null;
  for await (const record of store.scanLog(base + 1)) {
    if (pendingBad !== null) {
      // A bad record with records after it is not a torn tail: stop, naming the index.
      throw new CorruptLogError(pendingBad.record.index, `${pendingBad.reason}, and later records exist (next: ${record.index})`);
    }
    if (record.index !== expected) throw new CorruptLogError(expected, `missing record (next present: ${record.index})`);
    const decoded = decodeEntry(record);
    if (!decoded.ok) {
      pendingBad = { record, reason: decoded.reason };
      expected++;
      continue;
    }
    records.push(decoded.entry);
    expected++;
    if (record.index > upTo) continue;
    applied = record.index;
    if (isControlEntry(decoded.entry)) {
      if (decoded.entry.kind === 'conf') confChanges.push(decoded.entry.conf!);
      continue;
    }
    const pre = stateHash(state);
    const dr = await store.readDecision(record.index);
    if (dr !== null && dr.decision.state_pre_hash !== pre) {
      throw new CorruptLogError(record.index, `pre-hash chain broken: the record says ${dr.decision.state_pre_hash}, replay has ${pre}`);
    }
    // Entries in a replica's own log were verified when admitted; the hash checks catch any alteration.
    const result = reduce(state, decoded.entry, { verifySignatures: false });
    const post = stateHash(result.state);
    if (dr !== null && dr.decision.state_post_hash !== post) {
      throw new CorruptLogError(record.index, `post hash differs: the record says ${dr.decision.state_post_hash}, replay gives ${post}`);
    }
    if (dr === null && result.decisionRecord !== null && options.readOnly !== true) restored.push({ index: record.index, timestamp: Date.now(), decision: result.decisionRecord });
    state = result.state;
    replayed++;
  }

  if (restored.length > 0) await store.putDecisions(restored);
  let torn: TornTail | null = null;
  if (pendingBad !== null) {
    const preserved = options.readOnly === true ? null : await store.preserveRecord(pendingBad.record, pendingBad.reason);
    torn = { index: pendingBad.record.index, reason: pendingBad.reason, preserved_as: preserved };
  }
  const lastIndex = applied;
  return {
    state,
    lastIndex,
    records,
    confChanges,
    report: {
      snapshot,
      skipped_snapshots: skipped,
      replayed,
      last_index: lastIndex,
      state_hash: stateHash(state),
      torn_tail: torn,
      restored_decisions: restored.length,
      duration_seconds: (performance.now() - started) / 1000,
    },
  };
}
