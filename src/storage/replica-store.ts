// One replica's LevelDB: the log, decision records, snapshots and genesis, with synced group writes.
import { performance } from 'node:perf_hooks';
import { Level } from 'level';
import type { Genesis } from '../core/genesis.ts';
import { decodeFrame, encodeFrame, FRAME_KIND, type FrameDecode } from './record-frame.ts';
import type { DecisionEntryRecord, HardStateRecord, LogEntryRecord, LogRecord, SnapshotRecord } from './records.ts';
import { indexKey, indexOfKey, KEYS, prefixEnd } from './storage-keys.ts';

type Db = Level<string, Uint8Array>;
type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/** One Raft Ready's durable part: written in a single batch, so a crash keeps all of it or none. */
export interface RaftWrite {
  /** A leader snapshot this follower installs: it replaces the whole log. */
  readonly snapshot?: SnapshotRecord;
  /** New entries; any stored entry after the last of them is a conflicting suffix and is deleted. */
  readonly entries: readonly LogRecord[];
  readonly hardState: HardStateRecord | null;
  readonly sync: boolean;
}

export interface RawRecord {
  readonly index: number;
  readonly key: string;
  readonly bytes: Uint8Array;
}

export interface BatchWrite {
  readonly bytes: number;
  readonly fsyncSeconds: number;
}

export class ReplicaStore {
  private constructor(
    readonly dir: string,
    private readonly db: Db,
  ) {}

  static async open(dir: string): Promise<ReplicaStore> {
    const db: Db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    return new ReplicaStore(dir, db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async readGenesis(): Promise<unknown | null> {
    const raw = await this.db.get(KEYS.genesis);
    if (raw === undefined) return null;
    const f = decodeFrame(raw);
    if (!f.ok) throw new Error(`genesis record is ${f.reason}`);
    return f.value;
  }

  async writeGenesis(genesis: Genesis): Promise<void> {
    await this.db.put(KEYS.genesis, encodeFrame(FRAME_KIND.meta, genesis), { sync: true });
  }

  /** Encodes a log entry the way appendBatch will store it (for size checks before admission). */
  static encodeEntry(entry: LogEntryRecord): Uint8Array {
    return encodeFrame(FRAME_KIND.logEntry, entry);
  }

  async readMeta(key: string): Promise<unknown | null> {
    const raw = await this.db.get(key);
    if (raw === undefined) return null;
    const f = decodeFrame(raw);
    if (!f.ok) throw new Error(`${key} record is ${f.reason}`);
    return f.value;
  }

  async writeMeta(key: string, value: unknown): Promise<void> {
    await this.db.put(key, encodeFrame(FRAME_KIND.meta, value), { sync: true });
  }

  /** Persists a Raft Ready (docs/raft.md): snapshot, entries (truncating a conflicting suffix) and hard state. */
  async persistRaft(w: RaftWrite): Promise<BatchWrite> {
    const ops: Op[] = [];
    let bytes = 0;
    if (w.snapshot !== undefined) {
      const value = encodeFrame(FRAME_KIND.snapshot, w.snapshot);
      ops.push({ type: 'put', key: indexKey(KEYS.snapshot, w.snapshot.index), value });
      bytes += value.length;
      for await (const key of this.db.keys({ gte: KEYS.log, lt: prefixEnd(KEYS.log) })) ops.push({ type: 'del', key });
    }
    const last = w.entries[w.entries.length - 1];
    if (last !== undefined) {
      for await (const key of this.db.keys({ gt: indexKey(KEYS.log, last.index), lt: prefixEnd(KEYS.log) })) ops.push({ type: 'del', key });
    }
    for (const e of w.entries) {
      const value = encodeFrame(FRAME_KIND.logEntry, e);
      ops.push({ type: 'put', key: indexKey(KEYS.log, e.index), value });
      bytes += value.length;
    }
    if (w.hardState !== null) ops.push({ type: 'put', key: KEYS.hardState, value: encodeFrame(FRAME_KIND.meta, w.hardState) });
    const start = performance.now();
    if (ops.length > 0) await this.db.batch(ops, { sync: w.sync });
    return { bytes, fsyncSeconds: (performance.now() - start) / 1000 };
  }

  /** Decision records of applied entries: derivable by replay, so written without waiting for a sync. */
  async putDecisions(decisions: readonly DecisionEntryRecord[]): Promise<void> {
    if (decisions.length === 0) return;
    await this.db.batch(decisions.flatMap((d) => this.decisionOps(d)));
  }

  private decisionOps(d: DecisionEntryRecord): Op[] {
    const value = encodeFrame(FRAME_KIND.decision, d);
    return [
      { type: 'put', key: indexKey(KEYS.decision, d.index), value },
      { type: 'put', key: KEYS.decisionId + d.decision.id.slice('bubble://dr/'.length), value: encodeFrame(FRAME_KIND.meta, d.index) },
    ];
  }

  async lastLogIndex(): Promise<number | null> {
    for await (const key of this.db.keys({ gte: KEYS.log, lt: prefixEnd(KEYS.log), reverse: true, limit: 1 })) return indexOfKey(KEYS.log, key);
    return null;
  }

  /** Writes entries and their decisions in one synced batch: all of them are durable, or none. */
  async appendBatch(entries: readonly { readonly index: number; readonly bytes: Uint8Array }[], decisions: readonly DecisionEntryRecord[]): Promise<BatchWrite> {
    const ops: Op[] = [];
    let bytes = 0;
    for (const e of entries) {
      ops.push({ type: 'put', key: indexKey(KEYS.log, e.index), value: e.bytes });
      bytes += e.bytes.length;
    }
    for (const d of decisions) {
      const dops = this.decisionOps(d);
      ops.push(...dops);
      bytes += (dops[0] as { value: Uint8Array }).value.length;
    }
    const start = performance.now();
    await this.db.batch(ops, { sync: true });
    return { bytes, fsyncSeconds: (performance.now() - start) / 1000 };
  }

  /** Log records from `from` on, as raw bytes: the caller decides what a bad frame means. */
  async *scanLog(from: number): AsyncGenerator<RawRecord> {
    for await (const [key, bytes] of this.db.iterator({ gte: indexKey(KEYS.log, from), lt: prefixEnd(KEYS.log) })) {
      yield { index: indexOfKey(KEYS.log, key), key, bytes };
    }
  }

  async firstLogIndex(): Promise<number | null> {
    for await (const key of this.db.keys({ gte: KEYS.log, lt: prefixEnd(KEYS.log), limit: 1 })) return indexOfKey(KEYS.log, key);
    return null;
  }

  /** The highest index with a decision record: the last state the replica acknowledged. */
  async lastDecisionIndex(): Promise<number> {
    for await (const key of this.db.keys({ gte: KEYS.decision, lt: prefixEnd(KEYS.decision), reverse: true, limit: 1 })) return indexOfKey(KEYS.decision, key);
    return 0;
  }

  async readDecision(index: number): Promise<DecisionEntryRecord | null> {
    const raw = await this.db.get(indexKey(KEYS.decision, index));
    if (raw === undefined) return null;
    const f = decodeFrame(raw);
    return f.ok ? (f.value as DecisionEntryRecord) : null;
  }

  async decisionIndexById(hash: string): Promise<number | null> {
    const raw = await this.db.get(KEYS.decisionId + hash);
    if (raw === undefined) return null;
    const f = decodeFrame(raw);
    return f.ok && typeof f.value === 'number' ? f.value : null;
  }

  async scanDecisions(after: number, limit: number): Promise<DecisionEntryRecord[]> {
    const out: DecisionEntryRecord[] = [];
    for await (const bytes of this.db.values({ gt: indexKey(KEYS.decision, after), lt: prefixEnd(KEYS.decision), limit })) {
      const f = decodeFrame(bytes);
      if (f.ok) out.push(f.value as DecisionEntryRecord);
    }
    return out;
  }

  async putSnapshot(snapshot: SnapshotRecord): Promise<void> {
    await this.db.put(indexKey(KEYS.snapshot, snapshot.index), encodeFrame(FRAME_KIND.snapshot, snapshot), { sync: true });
  }

  async snapshotIndexes(): Promise<number[]> {
    const out: number[] = [];
    for await (const key of this.db.keys({ gte: KEYS.snapshot, lt: prefixEnd(KEYS.snapshot) })) out.push(indexOfKey(KEYS.snapshot, key));
    return out;
  }

  async readSnapshot(index: number): Promise<FrameDecode> {
    const raw = await this.db.get(indexKey(KEYS.snapshot, index));
    return raw === undefined ? { ok: false, reason: 'truncated' } : decodeFrame(raw);
  }

  async deleteSnapshots(indexes: readonly number[]): Promise<void> {
    await this.db.batch(indexes.map((i) => ({ type: 'del' as const, key: indexKey(KEYS.snapshot, i) })), { sync: true });
  }

  /** Deletes log records below `index` (decision records are kept for the DR feed). */
  async compactLog(below: number): Promise<number> {
    const keys: string[] = [];
    for await (const key of this.db.keys({ gte: KEYS.log, lt: indexKey(KEYS.log, below) })) keys.push(key);
    if (keys.length > 0) await this.db.batch(keys.map((key) => ({ type: 'del' as const, key })), { sync: true });
    return keys.length;
  }

  /** Moves a bad tail record aside, byte for byte, so the index can be reused without erasing evidence. */
  async preserveRecord(record: RawRecord, reason: string): Promise<string> {
    const key = `${KEYS.preserved}${record.key}/${reason}`;
    await this.db.batch(
      [
        { type: 'put', key, value: record.bytes },
        { type: 'del', key: record.key },
      ],
      { sync: true },
    );
    return key;
  }

  async preservedKeys(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.db.keys({ gte: KEYS.preserved, lt: prefixEnd(KEYS.preserved) })) out.push(key);
    return out;
  }

  /** Raw access for tools and tests that must write exactly what they are given (e.g. simulated corruption). */
  async putRaw(key: string, bytes: Uint8Array): Promise<void> {
    await this.db.put(key, bytes, { sync: true });
  }

  async deleteRaw(key: string): Promise<void> {
    await this.db.del(key, { sync: true });
  }

  async getRaw(key: string): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }
}
