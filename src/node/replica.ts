// One replica's runtime: admission, HLC stamping, the apply loop, group commit, snapshots, health.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admission, ReadResult, ReplicaService } from '../api/replica-service.ts';
import { MACHINE_VERSION, STATECHART_HASH } from '../generated/statechart.ts';
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Digest } from '../core/digest.ts';
import { parseGenesis, type Genesis } from '../core/genesis.ts';
import { formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import { reduce, type Outcome } from '../core/reducer.ts';
import type { StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import type { DecisionEntryRecord } from '../storage/records.ts';
import { ReplicaStore } from '../storage/replica-store.ts';
import { storeDir } from '../storage/data-dir.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type ReplicaMetrics } from './metrics.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import { encodeSnapshotFile } from './snapshot-file.ts';
import { loadSnapshot, snapshotDue, snapshotOf } from './snapshots.ts';

export interface ReplicaConfig {
  readonly dataDir: string;
  readonly nodeId?: string;
  /** Most entries in one synced WAL batch. */
  readonly maxBatch?: number;
  /** Wait this long for more entries before a flush (0: flush as soon as the previous one ends). */
  readonly batchDelayMs?: number;
  /** Take a snapshot every N entries (and on entering REVERB). */
  readonly snapshotEvery?: number;
  readonly snapshotsKept?: number;
  /** Delete log records older than the oldest kept snapshot. */
  readonly compact?: boolean;
  readonly recordWarnBytes?: number;
  readonly recordMaxBytes?: number;
  readonly maxClockDriftMs?: number;
  /** Wall clock in ms; only ever used to stamp entries and time metrics. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

const DEFAULTS = {
  maxBatch: 256,
  batchDelayMs: 0,
  snapshotEvery: 1000,
  snapshotsKept: 2,
  compact: true,
  recordWarnBytes: 64 * 1024,
  recordMaxBytes: 256 * 1024,
  maxClockDriftMs: 60_000,
};

export type { Admission };

interface Pending {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly advanced: readonly string[];
  readonly decision: DecisionRecord;
  readonly outcome: Outcome;
  readonly stateAfter: StateDocument;
  readonly admittedAt: number;
  readonly resolve: (a: Admission) => void;
}

interface DurableWaiter {
  readonly index: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface Head {
  readonly state: StateDocument;
  readonly index: number;
  readonly hash: Digest;
  readonly hlc: string | null;
}

export class NoGenesisError extends Error {}

/** A single-node replica: it is always the leader, and every read is of the last durable state. */
export class Replica implements ReplicaService {
  readonly metrics: ReplicaMetrics;
  readonly log: Logger;
  private readonly cfg: typeof DEFAULTS;
  private readonly now: () => number;
  private clock: Hlc;
  private speculative: StateDocument;
  private nextIndex: number;
  private durable: { state: StateDocument; index: number };
  private pending: Pending[] = [];
  private waiters: DurableWaiter[] = [];
  private flushing: Promise<void> | null = null;
  private failure: string | null = null;
  private closing = false;
  private snapshotting = false;
  private lastSnapshot: { index: number; hlc: string | null } | null;

  private constructor(
    readonly nodeId: string,
    private readonly store: ReplicaStore,
    readonly genesis: Genesis,
    readonly recovery: RecoveryReport,
    state: StateDocument,
    lastIndex: number,
    config: ReplicaConfig,
  ) {
    this.cfg = { ...DEFAULTS, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS;
    this.now = config.now ?? Date.now;
    this.log = config.logger ?? createLogger({ name: nodeId });
    this.metrics = createMetrics();
    this.speculative = state;
    this.durable = { state, index: lastIndex };
    this.nextIndex = lastIndex + 1;
    this.lastSnapshot = recovery.snapshot === null ? null : { index: recovery.snapshot.index, hlc: recovery.snapshot.hlc };
    // Stamps must keep increasing across restarts even if the wall clock went back.
    const last = state.hlc_last === null ? null : parseHlc(state.hlc_last);
    this.clock = last !== null && last.ok ? last.value : { ms: 0, logical: 0 };
    this.metrics.recoveryTime.set(recovery.duration_seconds);
  }

  /** Opens a replica on an initialized data directory (`swoosh init`), recovering its state from disk. */
  static async open(config: ReplicaConfig): Promise<Replica> {
    const store = await ReplicaStore.open(storeDir(config.dataDir));
    try {
      const raw = await store.readGenesis();
      if (raw === null) throw new NoGenesisError(`${config.dataDir} holds no genesis; run: swoosh init --data ${config.dataDir}`);
      const g = parseGenesis(raw);
      if (!g.ok) throw new Error(`the stored genesis is invalid: ${g.reasons.join('; ')}`);
      const recovered = await recover(store, g.genesis);
      const replica = new Replica(config.nodeId ?? 'swoosh-1', store, g.genesis, recovered.report, recovered.state, recovered.lastIndex, config);
      replica.log.info({ event: 'recovered', ...recovered.report }, 'replica recovered');
      if (recovered.report.torn_tail !== null) replica.log.error({ event: 'torn_tail', ...recovered.report.torn_tail }, 'WAL tail record was torn or corrupt; preserved and not applied');
      for (const s of recovered.report.skipped_snapshots) replica.log.warn({ event: 'snapshot_skipped', ...s }, 'snapshot failed verification');
      return replica;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** The last durable state: what reads serve, so nobody sees a state a crash could take back. */
  head(): Head {
    const s = this.durable.state;
    return { state: s, index: this.durable.index, hash: stateHash(s), hlc: s.hlc_last };
  }

  readonly consistency = { writes: 'durable-before-202', reads: 'last-durable-state' };

  read(): Promise<ReadResult> {
    return Promise.resolve({ ok: true, view: this.head() });
  }

  /** Admits one proposal: stamps it, reduces it against the newest state, and resolves once it is durable. */
  async submit(raw: unknown): Promise<Admission> {
    if (this.failure !== null || this.closing) {
      return { kind: 'refused', code: 'unavailable', reasons: [this.failure ?? 'the replica is shutting down'] };
    }
    const now = this.now();
    const claimed = typeof (raw as { hlc?: unknown } | null)?.hlc === 'string' ? parseHlc((raw as { hlc: string }).hlc) : null;
    const stamped = claimed !== null && claimed.ok ? hlcReceive(this.clock, claimed.value, now, this.cfg.maxClockDriftMs) : hlcSend(this.clock, now);
    if (!stamped.ok) {
      this.metrics.rejections.inc({ reason: 'clock_drift' });
      return { kind: 'refused', code: 'clock_drift', reasons: [stamped.detail] };
    }
    this.clock = stamped.value;
    const index = this.nextIndex;
    const stamp = formatHlc(stamped.value);
    const result = reduce(this.speculative, { index, stamp, proposal: raw }, { verifySignatures: true });
    const o = result.outcome;

    if (o.duplicate) {
      this.metrics.retries.inc({ transition: (raw as { transition: string }).transition });
      // The original may still be in flight: answer only once it is durable.
      if (o.index > this.durable.index) {
        try {
          await this.waitDurable(o.index);
        } catch (e) {
          return { kind: 'refused', code: 'unavailable', reasons: [(e as Error).message] };
        }
      }
      return { kind: 'decided', outcome: o, decision: null };
    }
    if (o.status === 'rejected') {
      this.metrics.rejections.inc({ reason: o.code ?? 'unknown' });
      if (o.failing_guard !== null) this.metrics.guardFailures.inc({ guard: o.failing_guard });
      return { kind: 'decided', outcome: o, decision: result.decisionRecord };
    }

    const bytes = ReplicaStore.encodeEntry({ index, term: 0, stamp, proposal: raw });
    if (bytes.length >= this.cfg.recordMaxBytes) {
      this.metrics.rejections.inc({ reason: 'record_too_large' });
      return { kind: 'refused', code: 'record_too_large', reasons: [`the log record would be ${bytes.length} bytes; the maximum is ${this.cfg.recordMaxBytes}`] };
    }
    if (bytes.length >= this.cfg.recordWarnBytes) this.log.warn({ event: 'large_record', index, bytes: bytes.length }, 'large WAL record');
    this.speculative = result.state;
    this.nextIndex = index + 1;
    this.metrics.walLag.set(this.nextIndex - 1 - this.durable.index);
    return new Promise<Admission>((resolve) => {
      this.pending.push({ index, bytes, advanced: result.advanced, decision: result.decisionRecord!, outcome: o, stateAfter: result.state, admittedAt: performance.now(), resolve });
      this.flushing ??= this.flushLoop();
    });
  }

  private waitDurable(index: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  /** Group commit: everything admitted while one batch syncs goes into the next batch. */
  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        if (this.cfg.batchDelayMs > 0 && this.pending.length < this.cfg.maxBatch) await sleep(this.cfg.batchDelayMs);
        const batch = this.pending.splice(0, this.cfg.maxBatch);
        const decisions: DecisionEntryRecord[] = batch.map((p) => ({ index: p.index, timestamp: this.now(), decision: p.decision }));
        let write;
        try {
          write = await this.store.appendBatch(batch, decisions);
        } catch (e) {
          this.failWrites(batch, e as Error);
          return;
        }
        const last = batch[batch.length - 1]!;
        this.durable = { state: last.stateAfter, index: last.index };
        this.metrics.fsyncDuration.observe(write.fsyncSeconds);
        this.metrics.batchSize.observe(batch.length);
        this.metrics.walLag.set(this.nextIndex - 1 - this.durable.index);
        const done = performance.now();
        let enteredReverb = false;
        for (const p of batch) {
          this.recordApplied(p, (done - p.admittedAt) / 1000);
          if (p.decision.to.includes('EXECUTION.REVERB') && !p.decision.from.includes('EXECUTION.REVERB')) enteredReverb = true;
          p.resolve({ kind: 'decided', outcome: p.outcome, decision: p.decision });
        }
        this.waiters = this.waiters.filter((w) => (w.index <= this.durable.index ? (w.resolve(), false) : true));
        const sinceSnapshot = this.durable.index - (this.lastSnapshot?.index ?? 0);
        if (!this.snapshotting && snapshotDue(sinceSnapshot, enteredReverb, this.cfg.snapshotEvery)) void this.snapshot();
      }
    } finally {
      this.flushing = null;
    }
  }

  private recordApplied(p: Pending, latencySeconds: number): void {
    const d = p.decision;
    if (p.outcome.status === 'quarantined') this.metrics.quarantines.inc();
    else this.metrics.transitions.inc({ transition: d.transition! });
    for (const region of p.advanced) this.metrics.stateAdvanceLatency.observe({ region }, latencySeconds);
    this.log.info(
      { event: 'transition', index: d.index, transition: d.transition, outcome: d.outcome, state_pre_hash: d.state_pre_hash, state_post_hash: d.state_post_hash, hlc: d.stamp, window_id: d.window_id, decision_record_id: d.id },
      'transition applied',
    );
  }

  /** A failed synced write leaves the disk's state unknown: refuse all writes until an operator restarts us. */
  private failWrites(batch: Pending[], error: Error): void {
    this.failure = `WAL write failed: ${error.message}`;
    this.log.error({ event: 'wal_write_failed', err: error.message, first_index: batch[0]?.index }, 'WAL write failed; refusing writes until restart');
    const refused: Admission = { kind: 'refused', code: 'unavailable', reasons: [this.failure] };
    for (const p of [...batch, ...this.pending.splice(0)]) p.resolve(refused);
    for (const w of this.waiters.splice(0)) w.reject(new Error(this.failure));
    this.speculative = this.durable.state;
    this.nextIndex = this.durable.index + 1;
  }

  /** Snapshot the durable state, verify it by re-reading, and only then prune snapshots and compact the log. */
  async snapshot(): Promise<{ index: number } | null> {
    if (this.snapshotting) return null;
    this.snapshotting = true;
    try {
      const { state, index } = this.durable;
      if (index === 0 || this.lastSnapshot?.index === index) return null;
      await this.store.putSnapshot(snapshotOf(state, index, this.now()));
      const check = await loadSnapshot(this.store, index);
      if (!check.ok) {
        this.log.error({ event: 'snapshot_unverified', index, reason: check.reason }, 'snapshot failed verification; log not compacted');
        return null;
      }
      this.lastSnapshot = { index, hlc: check.hlc };
      const all = await this.store.snapshotIndexes();
      const keep = all.slice(-this.cfg.snapshotsKept);
      const drop = all.slice(0, all.length - keep.length);
      if (drop.length > 0) await this.store.deleteSnapshots(drop);
      let compacted = 0;
      if (this.cfg.compact && keep.length > 0) compacted = await this.store.compactLog(keep[0]! + 1);
      this.log.info({ event: 'snapshot', index, hlc: check.hlc, state_hash: check.hash, compacted_records: compacted }, 'snapshot taken and verified');
      return { index };
    } catch (e) {
      this.log.error({ event: 'snapshot_failed', err: (e as Error).message }, 'snapshot failed');
      return null;
    } finally {
      this.snapshotting = false;
    }
  }

  snapshotFile(): Uint8Array {
    const { state, index } = this.durable;
    return encodeSnapshotFile({ cluster_id: null, genesis: this.genesis, snapshot: snapshotOf(state, index, this.now()) });
  }

  health(): Record<string, unknown> {
    const torn = this.recovery.torn_tail;
    const lag = this.nextIndex - 1 - this.durable.index;
    return {
      status: this.failure !== null ? 'failed' : torn !== null ? 'degraded' : 'ok',
      node_id: this.nodeId,
      consensus: { mode: 'single-node', role: 'leader', term: 0, leader_id: this.nodeId, commit_index: this.durable.index, applied_index: this.durable.index, snapshot_index: this.lastSnapshot?.index ?? 0 },
      lastSnapshotHLC: this.lastSnapshot?.hlc ?? null,
      lastSnapshotIndex: this.lastSnapshot?.index ?? 0,
      walLag: lag,
      wal: { durable_index: this.durable.index, torn_tail: torn, failure: this.failure },
      state_hash: stateHash(this.durable.state),
      hlc: this.durable.state.hlc_last,
      configuration: this.durable.state.configuration.top,
      machine: { version: MACHINE_VERSION, statechart_hash: STATECHART_HASH },
      recovery: { replayed: this.recovery.replayed, snapshot_index: this.recovery.snapshot?.index ?? null, duration_seconds: this.recovery.duration_seconds, skipped_snapshots: this.recovery.skipped_snapshots },
    };
  }

  async decision(hash: string): Promise<DecisionEntryRecord | null> {
    const index = await this.store.decisionIndexById(hash);
    return index === null ? null : this.store.readDecision(index);
  }

  decisions(after: number, limit: number): Promise<DecisionEntryRecord[]> {
    return this.store.scanDecisions(after, limit);
  }

  get retentionMs(): number {
    return this.durable.state.meta.dedupe_retention_ms;
  }

  /** Stops admitting, lets in-flight batches finish, and closes the store. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.flushing !== null) await this.flushing;
    while (this.snapshotting) await sleep(5);
    await this.store.close();
  }
}
