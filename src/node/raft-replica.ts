// A cluster replica (docs/raft.md): the pure Raft core driven over LevelDB and the peer transport, applying
// committed entries through the reducer. Ready handling follows etcd: persist, send, apply, advance.
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdminRequest } from '../api/admin-request.ts';
import type { Admission, AdminResult, ClusterAdmin, Consistency, ReadResult, ReplicaService } from '../api/replica-service.ts';
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Digest } from '../core/digest.ts';
import { parseGenesis, type Genesis } from '../core/genesis.ts';
import { compareHlc, formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import { reduce, type LogEntry, type Outcome, type ReduceResult } from '../core/reducer.ts';
import type { Identity, StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import { MACHINE_VERSION, STATECHART_HASH } from '../generated/statechart.ts';
import { decodeConfChange, RawNode } from '../raft/raw-node.ts';
import { MemoryStorage } from '../raft/storage.ts';
import type { ConfChange, Entry, Message, NodeId, Ready, Snapshot } from '../raft/types.ts';
import { storeDir } from '../storage/data-dir.ts';
import { isControlEntry, type DecisionEntryRecord, type HardStateRecord, type SnapshotRecord } from '../storage/records.ts';
import { ReplicaStore } from '../storage/replica-store.ts';
import { KEYS } from '../storage/storage-keys.ts';
import { PeerTransport, type PeerIdentity } from '../transport/peer-transport.ts';
import type { SigningKey } from '../workload/signing-key.ts';
import { executeAdmin } from './cluster-admin.ts';
import { parseClusterConfig, parseMember, peerIdentity, type ClusterConfig, type ClusterMember } from './cluster-config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type ReplicaMetrics } from './metrics.ts';
import { createRaftMetrics, type RaftMetrics } from './raft-metrics.ts';
import { decodeCommand, decodeSnapshotData, encodeCommand, encodeSnapshotData, entryOfRecord, recordOfEntry } from './raft-entries.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import { NoGenesisError } from './replica.ts';
import { SnapshotAssembler, splitSnapshot, type SnapshotChunk } from './snapshot-chunks.ts';
import { encodeSnapshotFile } from './snapshot-file.ts';
import { snapshotDue, snapshotOf, verifySnapshot, type SnapshotLoad } from './snapshots.ts';

type VerifiedSnapshot = Extract<SnapshotLoad, { ok: true }>;

export interface RaftReplicaConfig {
  readonly dataDir: string;
  readonly nodeId: string;
  /** This replica's transport identity; its signer must be the one the cluster config names for nodeId. */
  readonly key: SigningKey;
  /** This replica's own entry, for a member added after bootstrap (its node.json). */
  readonly self?: ClusterMember;
  /** Written into a new data directory; an existing one must hold the same cluster_id. */
  readonly cluster?: ClusterConfig;
  /** One Raft tick (default 100 ms): heartbeats every tick, elections after 10-20 ticks. */
  readonly tickMs?: number;
  readonly electionTick?: number;
  readonly snapshotEvery?: number;
  readonly snapshotsKept?: number;
  /** Entries kept in the log behind the newest snapshot, so slightly lagging followers catch up without one. */
  readonly logTailKept?: number;
  readonly recordMaxBytes?: number;
  readonly maxClockDriftMs?: number;
  /** Give up waiting for a proposal or a read after this long (the outcome of a proposal is then unknown). */
  readonly requestTimeoutMs?: number;
  /** Snapshots are sent in chunks of this size (default 1 MiB), each its own transport frame. */
  readonly snapshotChunkBytes?: number;
  /**
   * Dial these peers at another address than the membership names (a fault-injecting proxy in the chaos harness,
   * or a NAT); the peer still proves its identity in the handshake, so a wrong address only fails to connect.
   */
  readonly dialOverrides?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  /** Forward HTTP requests for these peers (when they lead) to another address than their `http` URL. */
  readonly httpDialOverrides?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  readonly logger?: Logger;
  readonly version?: string;
}

const DEFAULTS = {
  tickMs: 100,
  electionTick: 10,
  snapshotEvery: 1000,
  snapshotsKept: 2,
  logTailKept: 1000,
  recordMaxBytes: 256 * 1024,
  maxClockDriftMs: 60_000,
  requestTimeoutMs: 10_000,
  snapshotChunkBytes: 1024 * 1024,
};

// A follower accepts a snapshot up to this size; larger state needs a streaming install that is not built.
const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

interface Pending {
  readonly term: number;
  readonly entry: LogEntry;
  /** The state the pre-check ran on, and its result (what apply gives when it applies to that same state). */
  readonly base: StateDocument;
  readonly result: ReduceResult;
  readonly predicted: Digest;
  readonly resolve: (a: Admission) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

interface Divergence {
  readonly index: number;
  readonly peer: string;
  readonly ours: Digest;
  readonly theirs: string;
}

/**
 * What travels between replicas: a Raft message plus the sender's newest applied (index, hash). A snapshot
 * travels as chunks; only the last chunk's frame carries the message.
 */
interface PeerFrame {
  readonly raft?: Message;
  readonly applied: readonly [number, string];
  readonly chunk?: SnapshotChunk;
}

const HASH_HISTORY = 4096;

export class RaftReplica implements ReplicaService, ClusterAdmin {
  readonly metrics: ReplicaMetrics;
  readonly raftMetrics: RaftMetrics;
  readonly log: Logger;
  private readonly cfg: typeof DEFAULTS;
  private transport: PeerTransport | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private clock: Hlc;
  private applied: { state: StateDocument; index: number; hash: Digest };
  /**
   * What this replica shows (health, reads, answers): the applied state once its decision records are written,
   * so a client that sees index N (a 202, /health, a read) finds the DR for N too.
   */
  private recorded: { index: number; hash: Digest };
  private speculative: StateDocument;
  private readonly pending = new Map<number, Pending>();
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private readonly readWaiters = new Map<string, (index: number) => void>();
  private readonly recentHashes = new Map<number, Digest>();
  private readonly heartbeatSentAt = new Map<NodeId, number>();
  private readSeq = 0;
  private processing = false;
  private closing = false;
  private failure: string | null = null;
  private divergence: Divergence | null = null;
  private lead: NodeId | null = null;
  private snapshotIndex: number;
  private snapshotHlc: string | null;
  private snapshotting = false;
  private readonly self: ClusterMember | undefined;
  private readonly dialOverrides: RaftReplicaConfig['dialOverrides'];
  private readonly httpDialOverrides: RaftReplicaConfig['httpDialOverrides'];
  private readonly sendFailuresSeen = new Map<string, number>();
  private ticks = 0;
  private snapshotSends = 0;
  private readonly assembler = new SnapshotAssembler(MAX_SNAPSHOT_BYTES);

  private constructor(
    readonly nodeId: string,
    private readonly store: ReplicaStore,
    private readonly storage: MemoryStorage,
    readonly node: RawNode,
    readonly genesis: Genesis,
    readonly cluster: ClusterConfig,
    private members: Map<string, ClusterMember>,
    readonly recovery: RecoveryReport,
    state: StateDocument,
    appliedIndex: number,
    private readonly key: SigningKey,
    config: RaftReplicaConfig,
  ) {
    this.self = config.self;
    this.dialOverrides = config.dialOverrides;
    this.httpDialOverrides = config.httpDialOverrides;
    this.cfg = { ...DEFAULTS, ...Object.fromEntries(Object.entries(config).filter(([k, v]) => v !== undefined && k in DEFAULTS)) } as typeof DEFAULTS;
    this.log = config.logger ?? createLogger({ name: nodeId });
    this.metrics = createMetrics();
    this.raftMetrics = createRaftMetrics(this.metrics.registry, config.version ?? '0.1.0');
    const hash = stateHash(state);
    this.applied = { state, index: appliedIndex, hash };
    this.recorded = { index: appliedIndex, hash };
    this.recentHashes.set(appliedIndex, hash);
    this.speculative = state;
    this.snapshotIndex = storage.snapshot().meta.index;
    this.snapshotHlc = recovery.snapshot?.hlc ?? null;
    const last = state.hlc_last === null ? null : parseHlc(state.hlc_last);
    this.clock = last !== null && last.ok ? last.value : { ms: 0, logical: 0 };
    // Unapplied entries in our log carry stamps too: as a future leader we must stamp after all of them.
    for (const e of storage.entries(appliedIndex + 1, storage.lastIndex() + 1)) if (e.type === 'normal' && e.data.length > 0) this.observeStamp(decodeCommand(e.data).stamp);
    this.metrics.recoveryTime.set(recovery.duration_seconds);
  }

  /** Opens (and on first use, bootstraps) a cluster replica's data directory, recovering its applied state. */
  static async open(config: RaftReplicaConfig): Promise<RaftReplica> {
    const store = await ReplicaStore.open(storeDir(config.dataDir));
    try {
      const raw = await store.readGenesis();
      if (raw === null) throw new NoGenesisError(`${config.dataDir} holds no genesis; create the cluster with: swoosh cluster up --data DIR`);
      const g = parseGenesis(raw);
      if (!g.ok) throw new Error(`the stored genesis is invalid: ${g.reasons.join('; ')}`);
      const cluster = await RaftReplica.clusterOf(store, config);
      const hard = ((await store.readMeta(KEYS.hardState)) as HardStateRecord | null) ?? { term: 0, vote: null, commit: 0 };
      const recovered = await recover(store, g.genesis, { upTo: hard.commit });
      const snap = recovered.report.snapshot;
      let storage: MemoryStorage;
      let members = new Map(cluster.members.map((m) => [m.id, m]));
      if (snap !== null && snap.raft !== undefined) {
        // Recovery verified this snapshot a moment ago; Raft needs its bytes to send to lagging followers.
        const f = await store.readSnapshot(snap.index);
        if (!f.ok) throw new Error(`snapshot ${snap.index} became unreadable during startup (${f.reason})`);
        storage = new MemoryStorage();
        storage.applySnapshot({ meta: { index: snap.index, term: snap.raft.term, conf: snap.raft.conf }, data: encodeSnapshotData(f.value as SnapshotRecord) });
        members = new Map(snap.raft.members.map((m, i) => [(m as ClusterMember).id, parseMember(m, `snapshot ${snap.index} members[${i}]`)]));
      } else {
        storage = MemoryStorage.withVoters(cluster.members.map((m) => m.id));
      }
      storage.append(recovered.records.map(entryOfRecord));
      storage.setHardState({ ...hard, commit: Math.min(Math.max(hard.commit, recovered.lastIndex), storage.lastIndex()) });
      const node = new RawNode(
        { id: config.nodeId, electionTick: config.electionTick ?? DEFAULTS.electionTick, heartbeatTick: 1, applied: recovered.lastIndex, random: (n) => randomInt(n) },
        storage,
      );
      for (const cc of recovered.confChanges) {
        node.applyConfChange(cc);
        applyMemberChange(members, cc);
      }
      // A replica added by `swoosh member add` is not in the bootstrap membership: it knows itself from its
      // node.json until the change that adds it is applied here.
      const me = members.get(config.nodeId) ?? config.self;
      if (me === undefined) throw new Error(`${config.nodeId} is not a member of cluster ${cluster.cluster_id} (members: ${[...members.keys()].join(', ')})`);
      if (me.signer !== config.key.signer) throw new Error(`the node key's signer is not the one cluster ${cluster.cluster_id} names for ${config.nodeId}`);
      const replica = new RaftReplica(config.nodeId, store, storage, node, g.genesis, cluster, members, recovered.report, recovered.state, recovered.lastIndex, config.key, config);
      replica.log.info({ event: 'recovered', ...recovered.report, hard_state: hard }, 'replica recovered');
      if (recovered.report.torn_tail !== null) replica.log.error({ event: 'torn_tail', ...recovered.report.torn_tail }, 'WAL tail record was torn or corrupt; preserved and not applied');
      for (const sk of recovered.report.skipped_snapshots) replica.log.warn({ event: 'snapshot_skipped', ...sk }, 'snapshot failed verification; preserved aside, recovered from an older base');
      return replica;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  private static async clusterOf(store: ReplicaStore, config: RaftReplicaConfig): Promise<ClusterConfig> {
    const stored = await store.readMeta(KEYS.cluster);
    if (stored !== null) {
      const c = parseClusterConfig(stored);
      if (config.cluster !== undefined && config.cluster.cluster_id !== c.cluster_id) {
        throw new Error(`this data directory belongs to cluster ${c.cluster_id}, not ${config.cluster.cluster_id}`);
      }
      return c;
    }
    if (config.cluster === undefined) throw new Error('this data directory has no cluster config yet; pass --cluster FILE');
    await store.writeMeta(KEYS.cluster, config.cluster);
    return config.cluster;
  }

  /** The peers to dial: the membership, with this replica's dial overrides applied. */
  private dialTargets(): PeerIdentity[] {
    return [...this.members.values()].map((m) => {
      const p = peerIdentity(m);
      const via = this.dialOverrides?.[m.id];
      return via === undefined ? p : { ...p, address: { host: via.host, port: via.port } };
    });
  }

  /** Starts the transport and the tick timer. */
  async start(): Promise<void> {
    const me = this.selfMember();
    this.transport = await PeerTransport.start({
      self: peerIdentity(me),
      key: this.key,
      peers: this.dialTargets(),
      onMessage: (from, payload) => this.onPeerFrame(from, payload),
      logger: this.log.child({ component: 'transport' }),
    });
    this.ticker = setInterval(() => {
      this.node.tick();
      if (++this.ticks % 10 === 0) this.syncTransportMetrics();
      this.schedule();
    }, this.cfg.tickMs);
    this.ticker.unref();
    // A single-member cluster need not wait an election timeout.
    if (this.node.raft.voters().length === 1 && this.node.raft.voters()[0] === this.nodeId) this.node.campaign();
    this.schedule();
  }

  // ------------------------------------------------------------------ the Ready loop

  private schedule(): void {
    if (this.processing || this.closing || this.failure !== null) return;
    this.processing = true;
    setImmediate(() => void this.processReady());
  }

  private async processReady(): Promise<void> {
    try {
      while (!this.closing && this.failure === null && this.node.hasReady()) {
        const rd = this.node.ready();
        await this.handleReady(rd);
        this.node.advance();
      }
    } catch (e) {
      this.fail(`Ready handling failed: ${(e as Error).message}`);
    } finally {
      this.processing = false;
    }
    if (!this.closing && this.failure === null && this.node.hasReady()) this.schedule();
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState !== null) this.onSoftState(rd.softState.lead, rd.softState.role);
    if (rd.hardState !== null) this.raftMetrics.term.set(rd.hardState.term);
    // A leader may send appends before its own write lands (Raft thesis §10.2.1): the commit index that
    // depends on that write can only go out in a later Ready, after this one is durable.
    const leader = this.node.raft.role === 'leader';
    const early = leader ? rd.messages.filter((m) => m.type === 'app' || m.type === 'heartbeat') : [];
    const late = leader ? rd.messages.filter((m) => m.type !== 'app' && m.type !== 'heartbeat') : rd.messages;
    this.send(early);
    await this.persist(rd);
    this.send(late);
    if (rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries);
    for (const rs of rd.readStates) {
      const waiter = this.readWaiters.get(rs.requestCtx);
      if (waiter !== undefined) waiter(rs.index);
    }
  }

  private async persist(rd: Ready): Promise<void> {
    let installing: { record: SnapshotRecord; check: VerifiedSnapshot } | undefined;
    if (rd.snapshot !== null) {
      // A leader's snapshot replaces our state only once it re-parses and re-hashes to what it claims.
      const record = decodeSnapshotData(rd.snapshot.data) as SnapshotRecord;
      const check = verifySnapshot(record, rd.snapshot.meta.index);
      if (!check.ok) throw new Error(`the leader's snapshot at ${rd.snapshot.meta.index} failed verification: ${check.reason}`);
      installing = { record, check };
    }
    if (installing === undefined && rd.entries.length === 0 && rd.hardState === null) return;
    const records = rd.entries.map(recordOfEntry);
    const write = await this.store.persistRaft({ ...(installing === undefined ? {} : { snapshot: installing.record }), entries: records, hardState: rd.hardState, sync: rd.mustSync || installing !== undefined });
    if (rd.mustSync) this.metrics.fsyncDuration.observe(write.fsyncSeconds);
    if (rd.entries.length > 0) this.metrics.batchSize.observe(rd.entries.length);
    if (rd.snapshot !== null && installing !== undefined) this.installSnapshot(rd.snapshot, installing.record, installing.check);
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    for (const r of records) if (!isControlEntry(r)) this.observeStamp(r.stamp);
  }

  private installSnapshot(snap: Snapshot, record: SnapshotRecord, check: VerifiedSnapshot): void {
    const { index, term } = snap.meta;
    const data = snap.data;
    this.storage.applySnapshot({ meta: { index, term, conf: record.raft?.conf ?? this.node.raft.confState() }, data });
    if (record.raft !== undefined) {
      this.members = new Map(record.raft.members.map((m, i) => [(m as ClusterMember).id, parseMember(m, `snapshot members[${i}]`)]));
      this.transport?.setPeers(this.dialTargets());
    }
    this.setApplied(check.state, index);
    this.recorded = { index, hash: this.applied.hash };
    this.snapshotIndex = index;
    this.snapshotHlc = check.hlc;
    this.speculative = check.state;
    this.raftMetrics.snapshotsInstalled.inc();
    this.log.info({ event: 'snapshot_installed', index, state_hash: check.hash }, "installed the leader's snapshot");
  }

  private send(messages: readonly Message[]): void {
    const t = this.transport;
    if (t === null) return;
    const applied: [number, string] = [this.applied.index, this.applied.hash];
    for (const m of messages) {
      if (m.type === 'heartbeat') this.heartbeatSentAt.set(m.to, performance.now());
      if (m.type === 'snap' && m.snapshot !== undefined) {
        // Queued is all the transport can promise: a lost chunk shows up as a rejected append, and Raft resends.
        const { chunks, head } = splitSnapshot(m, this.cfg.snapshotChunkBytes, ++this.snapshotSends);
        const ok = chunks.every((chunk, i) => t.send(m.to, { ...(i === chunks.length - 1 ? { raft: head } : {}), applied, chunk } satisfies PeerFrame));
        this.node.reportSnapshot(m.to, ok);
        if (ok) this.raftMetrics.snapshotsSent.inc();
        this.log.info({ event: 'snapshot_sent', peer: m.to, index: m.snapshot.meta.index, bytes: m.snapshot.data.length, chunks: chunks.length, queued: ok }, 'sending a snapshot to a lagging follower');
        continue;
      }
      // A link that is down makes Raft probe the peer (one append at a time) instead of pipelining into a queue
      // the peer may never drain, as etcd does when a peer's stream breaks.
      const up = t.isConnected(m.to);
      if (!t.send(m.to, { raft: m, applied } satisfies PeerFrame) || (!up && m.type === 'app')) this.node.reportUnreachable(m.to);
    }
  }

  /** The transport counts send failures per peer; the metric is a counter, so add what is new since last time. */
  private syncTransportMetrics(): void {
    for (const [peer, st] of Object.entries(this.transport?.stats() ?? {})) {
      const delta = st.sendFailures - (this.sendFailuresSeen.get(peer) ?? 0);
      if (delta > 0) this.raftMetrics.peerSendFailures.inc({ peer }, delta);
      this.sendFailuresSeen.set(peer, st.sendFailures);
    }
  }

  private onPeerFrame(from: string, payload: unknown): void {
    const f = payload as Partial<PeerFrame> | null;
    let m = f?.raft;
    if (f?.chunk !== undefined && f.chunk !== null) {
      const r = this.assembler.add(from, f.chunk, m);
      if (!r.ok) {
        this.log.warn({ event: 'snapshot_chunk_dropped', peer: from, reason: r.reason }, 'dropped a partial snapshot; the leader will resend it');
        return;
      }
      if (r.message === null) return;
      m = r.message;
    }
    if (m === undefined || m === null || typeof m !== 'object' || typeof m.type !== 'string' || m.from !== from || m.to !== this.nodeId) {
      this.log.warn({ event: 'peer_frame_dropped', peer: from }, 'malformed or misaddressed frame from a peer');
      return;
    }
    if (Array.isArray(f!.applied)) this.checkDivergence(from, f!.applied[0] as number, f!.applied[1] as string);
    if (m.type === 'heartbeat-resp') {
      const sent = this.heartbeatSentAt.get(from);
      if (sent !== undefined) this.raftMetrics.peerRtt.observe({ peer: from }, (performance.now() - sent) / 1000);
    }
    try {
      this.node.step(m);
    } catch (e) {
      this.log.error({ event: 'step_failed', peer: from, type: m.type, err: (e as Error).message }, 'a peer message could not be stepped');
      return;
    }
    this.schedule();
  }

  // ------------------------------------------------------------------ applying

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const decisions: DecisionEntryRecord[] = [];
    const answers: [Entry, Outcome, DecisionRecord | null][] = [];
    let enteredReverb = false;
    for (const e of entries) {
      if (e.index <= this.applied.index) continue;
      this.raftMetrics.committed.inc();
      if (e.type === 'conf-change') {
        const cc = decodeConfChange(e);
        this.node.applyConfChange(cc);
        applyMemberChange(this.members, cc);
        this.transport?.setPeers(this.dialTargets());
        this.log.info({ event: 'conf_change', index: e.index, change: cc }, 'membership changed');
        this.setApplied(this.applied.state, e.index);
        continue;
      }
      if (e.data.length === 0) {
        this.setApplied(this.applied.state, e.index);
        continue;
      }
      const result = this.reduceCommitted(e);
      this.setApplied(result.state, e.index);
      this.raftMetrics.applied.inc();
      const d = result.decisionRecord;
      if (d !== null) {
        decisions.push({ index: e.index, timestamp: Date.now(), decision: d });
        if (result.outcome.status === 'quarantined') this.metrics.quarantines.inc();
        else if (result.outcome.status === 'accepted') this.metrics.transitions.inc({ transition: d.transition! });
        if (d.to.includes('EXECUTION.REVERB') && !d.from.includes('EXECUTION.REVERB')) enteredReverb = true;
      }
      answers.push([e, result.outcome, d]);
    }
    await this.store.putDecisions(decisions);
    this.recorded = { index: this.applied.index, hash: this.applied.hash };
    for (const [e, outcome, d] of answers) this.resolvePending(e, outcome, d);
    this.appliedWaitersRelease();
    if (this.pending.size === 0) this.speculative = this.applied.state;
    this.raftMetrics.pending.set(this.pending.size);
    this.metrics.walLag.set(this.node.raft.log.lastIndex() - this.applied.index);
    if (!this.snapshotting && snapshotDue(this.applied.index - this.snapshotIndex, enteredReverb, this.cfg.snapshotEvery)) void this.snapshot();
  }

  /**
   * reduce() is pure: when this leader's own pre-check ran on exactly the state being applied to, with the
   * entry now committed (same index, stamp and term), its result is the apply result, so it is not computed twice.
   */
  private reduceCommitted(e: Entry): ReduceResult {
    const p = this.pending.get(e.index);
    if (p !== undefined && p.term === e.term && p.base === this.applied.state) return p.result;
    const cmd = decodeCommand(e.data);
    // The leader verified the signature when it admitted the entry; replicas apply the authenticated log.
    return reduce(this.applied.state, { index: e.index, stamp: cmd.stamp, proposal: cmd.proposal }, { verifySignatures: false });
  }

  private setApplied(state: StateDocument, index: number): void {
    const hash = state === this.applied.state ? this.applied.hash : stateHash(state);
    this.applied = { state, index, hash };
    this.recentHashes.set(index, hash);
    if (this.recentHashes.size > HASH_HISTORY) this.recentHashes.delete(this.recentHashes.keys().next().value!);
  }

  private resolvePending(e: Entry, outcome: Outcome, decision: DecisionRecord | null): void {
    const p = this.pending.get(e.index);
    if (p === undefined) return;
    this.pending.delete(e.index);
    clearTimeout(p.timer);
    if (p.term !== e.term) {
      // Another leader's entry took this index: ours never committed. The client retries with the same idem_key.
      this.raftMetrics.failed.inc();
      p.resolve({ kind: 'refused', code: 'unavailable', reasons: [`leadership changed before index ${e.index} committed; retry with the same idem_key`] });
      this.rebuildSpeculative();
      return;
    }
    if (outcome.state_post_hash !== p.predicted) this.rebuildSpeculative();
    p.resolve({ kind: 'decided', outcome, decision });
  }

  /** The speculative state went wrong (an entry of another term applied first): redo it from the applied state. */
  private rebuildSpeculative(): void {
    let s = this.applied.state;
    for (const [, p] of [...this.pending].sort(([a], [b]) => a - b)) s = reduce(s, p.entry, { verifySignatures: false }).state;
    this.speculative = s;
  }

  private appliedWaitersRelease(): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (w.index <= this.recorded.index) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private waitApplied(index: number): Promise<boolean> {
    if (index <= this.recorded.index) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.cfg.requestTimeoutMs);
      this.appliedWaiters.push({ index, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }

  private observeStamp(text: string): void {
    const stamp = parseHlc(text);
    if (stamp.ok && compareHlc(stamp.value, this.clock) > 0) this.clock = stamp.value;
  }

  private onSoftState(lead: NodeId | null, role: string): void {
    if (lead !== this.lead) {
      if (lead !== null) this.raftMetrics.leaderChanges.inc();
      this.log.info({ event: 'leader_changed', leader: lead, term: this.node.raft.term, role }, lead === null ? 'no leader' : `leader is ${lead}`);
      this.lead = lead;
      // A read index requested from the old leader will never be answered: let those readers retry now.
      for (const [ctx, waiter] of [...this.readWaiters]) {
        this.readWaiters.delete(ctx);
        waiter(-1);
      }
    }
    this.raftMetrics.hasLeader.set(lead === null ? 0 : 1);
    this.raftMetrics.isLeader.set(role === 'leader' ? 1 : 0);
    if (role === 'leader') this.speculative = this.applied.state;
  }

  // ------------------------------------------------------------------ the API

  async submit(raw: unknown): Promise<Admission> {
    if (this.failure !== null || this.closing) return { kind: 'refused', code: 'unavailable', reasons: [this.failure ?? 'the replica is shutting down'] };
    if (this.divergence !== null) return { kind: 'refused', code: 'diverged', reasons: [this.divergenceText()] };
    const raft = this.node.raft;
    if (raft.role !== 'leader') {
      return { kind: 'not-leader', leader: this.leaderAddress() };
    }
    const now = Date.now();
    const claimed = typeof (raw as { hlc?: unknown } | null)?.hlc === 'string' ? parseHlc((raw as { hlc: string }).hlc) : null;
    const stamped = claimed !== null && claimed.ok ? hlcReceive(this.clock, claimed.value, now, this.cfg.maxClockDriftMs) : hlcSend(this.clock, now);
    if (!stamped.ok) {
      this.metrics.rejections.inc({ reason: 'clock_drift' });
      return { kind: 'refused', code: 'clock_drift', reasons: [stamped.detail] };
    }
    this.clock = stamped.value;
    const index = raft.log.lastIndex() + 1;
    const entry: LogEntry = { index, stamp: formatHlc(stamped.value), proposal: raw };
    const base = this.speculative;
    const result = reduce(base, entry, { verifySignatures: true });
    const o = result.outcome;
    if (o.duplicate) {
      this.metrics.retries.inc({ transition: (raw as { transition: string }).transition });
      // The original may still be in flight: answer only once it is applied here.
      if (!(await this.waitApplied(o.index))) return { kind: 'refused', code: 'unavailable', reasons: [`index ${o.index} was not applied within ${this.cfg.requestTimeoutMs} ms`] };
      return { kind: 'decided', outcome: o, decision: null };
    }
    if (o.status === 'rejected') {
      this.metrics.rejections.inc({ reason: o.code ?? 'unknown' });
      if (o.failing_guard !== null) this.metrics.guardFailures.inc({ guard: o.failing_guard });
      return { kind: 'decided', outcome: o, decision: result.decisionRecord };
    }
    const data = encodeCommand(entry);
    if (data.length >= this.cfg.recordMaxBytes) {
      this.metrics.rejections.inc({ reason: 'record_too_large' });
      return { kind: 'refused', code: 'record_too_large', reasons: [`the log record would be ${data.length} bytes; the maximum is ${this.cfg.recordMaxBytes}`] };
    }
    if (!this.node.propose(data) || raft.log.lastIndex() !== index) {
      return { kind: 'refused', code: 'unavailable', reasons: ['the proposal was dropped (leadership is being transferred); retry with the same idem_key'] };
    }
    this.speculative = result.state;
    const admittedAt = performance.now();
    const term = raft.term;
    return new Promise<Admission>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(index)) {
          this.raftMetrics.failed.inc();
          resolve({ kind: 'refused', code: 'unavailable', reasons: [`index ${index} did not commit within ${this.cfg.requestTimeoutMs} ms; its outcome is unknown: retry with the same idem_key`] });
        }
      }, this.cfg.requestTimeoutMs);
      this.pending.set(index, {
        term,
        entry,
        base,
        result,
        predicted: stateHash(result.state),
        timer,
        resolve: (a) => {
          if (a.kind === 'decided') for (const region of result.advanced) this.metrics.stateAdvanceLatency.observe({ region }, (performance.now() - admittedAt) / 1000);
          resolve(a);
        },
      });
      this.raftMetrics.pending.set(this.pending.size);
      this.schedule();
    });
  }

  readonly consistency = { writes: 'committed-on-majority-and-applied-before-202', reads: 'linearizable-readindex', stale_reads: 'consistency=stale' };

  /** Linearizable reads confirm leadership with a ReadIndex round and wait until that index is applied here. */
  async read(consistency: Consistency): Promise<ReadResult> {
    if (consistency === 'stale') {
      const contact = this.leaderContactMs();
      return { ok: true, view: { ...this.view(), staleness: { leader_commit_seen: this.node.raft.log.committed, last_leader_contact_ms: contact } } };
    }
    if (this.node.raft.lead === null) return { ok: false, code: 'no_leader', reasons: ['no leader is known; retry shortly or read with ?consistency=stale'] };
    const ctx = `${this.nodeId}:${++this.readSeq}`;
    const index = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        this.readWaiters.delete(ctx);
        resolve(null);
      }, this.cfg.requestTimeoutMs);
      this.readWaiters.set(ctx, (i) => {
        clearTimeout(timer);
        this.readWaiters.delete(ctx);
        resolve(i < 0 ? null : i);
      });
      if (!this.node.readIndex(ctx)) {
        clearTimeout(timer);
        this.readWaiters.delete(ctx);
        resolve(null);
      }
      this.schedule();
    });
    if (index === null) return { ok: false, code: 'unavailable', reasons: ['the leader could not confirm a read index (the leader changed, no quorum, or it has not committed in its term yet); retry, or read with ?consistency=stale'] };
    if (!(await this.waitApplied(index))) return { ok: false, code: 'unavailable', reasons: [`index ${index} was not applied within ${this.cfg.requestTimeoutMs} ms`] };
    return { ok: true, view: this.view() };
  }

  private view() {
    const a = this.applied;
    return { state: a.state, index: a.index, hash: a.hash, hlc: a.state.hlc_last };
  }

  private leaderContactMs(): number | null {
    const lead = this.node.raft.lead;
    if (lead === null) return null;
    if (lead === this.nodeId) return 0;
    const seen = this.transport?.stats()[lead]?.lastContactMs ?? null;
    return seen === null ? null : Date.now() - seen;
  }

  // ------------------------------------------------------------------ divergence, snapshots, health

  private checkDivergence(peer: string, index: number, theirs: string): void {
    if (this.divergence !== null || !Number.isInteger(index)) return;
    const ours = this.recentHashes.get(index);
    if (ours === undefined || ours === theirs) return;
    this.divergence = { index, peer, ours, theirs };
    this.raftMetrics.diverged.set(1);
    this.log.fatal({ event: 'divergence', ...this.divergence }, this.divergenceText());
  }

  private divergenceText(): string {
    const d = this.divergence!;
    return `state diverged from ${d.peer} at index ${d.index}: ours ${d.ours}, theirs ${d.theirs}; compare their decision records (GET /decisions) to find the first differing index`;
  }

  /** Snapshot the applied state, verify it by re-reading, then compact the store and Raft's log behind it. */
  async snapshot(): Promise<{ index: number } | null> {
    if (this.snapshotting || this.applied.index <= this.snapshotIndex) return null;
    this.snapshotting = true;
    try {
      const { state, index } = this.applied;
      const term = this.storage.term(index);
      if (term === null) return null;
      const raftMeta = { term, conf: this.node.raft.confState(), members: [...this.members.values()] };
      const record = snapshotOf(state, index, Date.now(), raftMeta);
      await this.store.putSnapshot(record);
      const f = await this.store.readSnapshot(index);
      const check = f.ok ? verifySnapshot(f.value, index) : { ok: false as const, reason: f.reason };
      if (!check.ok) {
        this.log.error({ event: 'snapshot_unverified', index, reason: check.reason }, 'snapshot failed verification; log not compacted');
        return null;
      }
      this.storage.createSnapshot(index, raftMeta.conf, encodeSnapshotData(record));
      this.snapshotIndex = index;
      this.snapshotHlc = record.hlc;
      const all = await this.store.snapshotIndexes();
      const drop = all.slice(0, Math.max(0, all.length - this.cfg.snapshotsKept));
      if (drop.length > 0) await this.store.deleteSnapshots(drop);
      const compactTo = Math.min(index - this.cfg.logTailKept, all.slice(-this.cfg.snapshotsKept)[0] ?? 0);
      let compacted = 0;
      if (compactTo > this.storage.firstIndex()) {
        this.storage.compact(compactTo);
        compacted = await this.store.compactLog(compactTo + 1);
      }
      this.log.info({ event: 'snapshot', index, state_hash: record.state_hash, compacted_records: compacted }, 'snapshot taken and verified');
      return { index };
    } catch (e) {
      this.log.error({ event: 'snapshot_failed', err: (e as Error).message }, 'snapshot failed');
      return null;
    } finally {
      this.snapshotting = false;
    }
  }

  /** Asks Raft to hand leadership to `to` (for rolling restarts). */
  transferLeadership(to: string): boolean {
    const ok = this.node.transferLeader(to);
    this.schedule();
    return ok;
  }

  snapshotFile(): Uint8Array {
    const { state, index } = this.applied;
    const raftMeta = { term: this.node.raft.log.term(index) ?? 0, conf: this.node.raft.confState(), members: [...this.members.values()] };
    return encodeSnapshotFile({ cluster_id: this.cluster.cluster_id, genesis: this.genesis, snapshot: snapshotOf(state, index, Date.now(), raftMeta) });
  }

  health(): Record<string, unknown> {
    const raft = this.node.raft;
    const status = this.node.status();
    const stats = this.transport?.stats() ?? {};
    const beatMs = this.cfg.tickMs;
    const peers: Record<string, unknown> = {};
    const leader = raft.role === 'leader';
    for (const [id, m] of this.members) {
      if (id === this.nodeId) continue;
      const contact = stats[id]?.lastContactMs ?? null;
      const missed = contact === null ? Infinity : (Date.now() - contact) / beatMs;
      // Heartbeats flow between the leader and each follower only: a follower can judge the leader, not its peers.
      const tracked = leader || id === raft.lead;
      peers[id] = {
        http: m.http,
        match_index: leader ? (status.progress[id]?.match ?? null) : null,
        last_contact_ms_ago: contact === null ? null : Date.now() - contact,
        presence: !tracked ? 'untracked' : missed < 2 ? 'ok' : missed < 4 ? 'degraded' : 'offline',
        connected: stats[id]?.connected ?? false,
      };
    }
    const torn = this.recovery.torn_tail;
    const hasLeader = raft.lead !== null;
    return {
      status: this.failure !== null || this.divergence !== null ? 'failed' : torn !== null || !hasLeader ? 'degraded' : 'ok',
      node_id: this.nodeId,
      consensus: {
        mode: 'raft',
        cluster_id: this.cluster.cluster_id,
        role: raft.role,
        term: raft.term,
        leader_id: raft.lead,
        leader_http: raft.lead === null ? null : (this.members.get(raft.lead)?.http ?? null),
        commit_index: raft.log.committed,
        applied_index: this.recorded.index,
        snapshot_index: this.snapshotIndex,
        voters: raft.voters(),
        learners: raft.learners(),
        peers,
        divergence: this.divergence,
      },
      lastSnapshotIndex: this.snapshotIndex,
      walLag: raft.log.lastIndex() - this.applied.index,
      wal: { durable_index: this.storage.lastIndex(), last_index: raft.log.lastIndex(), torn_tail: torn, failure: this.failure },
      lastSnapshotHLC: this.snapshotHlc,
      state_hash: this.recorded.hash,
      hlc: this.applied.state.hlc_last,
      configuration: this.applied.state.configuration.top,
      machine: { version: MACHINE_VERSION, statechart_hash: STATECHART_HASH },
      recovery: { replayed: this.recovery.replayed, snapshot_index: this.recovery.snapshot?.index ?? null, duration_seconds: this.recovery.duration_seconds, skipped_snapshots: this.recovery.skipped_snapshots, restored_decisions: this.recovery.restored_decisions },
    };
  }

  /** This replica's own entry (from the membership, or its node.json before it has applied its own addition). */
  selfMember(): ClusterMember {
    return this.members.get(this.nodeId) ?? this.self!;
  }

  /** True while this replica is the Raft leader (the adapter host runs only then). */
  get isLeader(): boolean {
    return this.node.raft.role === 'leader';
  }

  /** The leader's `http` URL (what clients are told), and `via`: where this replica forwards to it. */
  leaderAddress(): { id: string; http: string; via: string } | null {
    const lead = this.node.raft.lead;
    const m = lead === null ? undefined : this.members.get(lead);
    if (m === undefined) return null;
    const o = this.httpDialOverrides?.[m.id];
    return { id: m.id, http: m.http, via: o === undefined ? m.http : `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}` };
  }

  // ClusterAdmin (docs/admin.md)
  get clusterId(): string {
    return this.cluster.cluster_id;
  }

  membersView(): Record<string, unknown> {
    return { cluster_id: this.cluster.cluster_id, leader_id: this.node.raft.lead, members: this.memberList(), bootstrap: this.cluster.members };
  }

  identities(): Readonly<Record<string, Identity>> {
    return this.applied.state.boot.identities;
  }

  execute(request: AdminRequest): Promise<AdminResult> {
    return executeAdmin(this, request);
  }

  /** Members as this replica knows them (config + applied membership changes). */
  memberList(): { id: string; http: string; raft: string; voter: boolean; learner: boolean; leader: boolean }[] {
    const raft = this.node.raft;
    return [...this.members.values()].map((m) => ({
      id: m.id,
      http: m.http,
      raft: `${m.raft.host}:${m.raft.port}`,
      voter: raft.voters().includes(m.id),
      learner: raft.learners().includes(m.id),
      leader: raft.lead === m.id,
    }));
  }

  /** Proposes a membership change (leader only); resolves once it is applied or refused. */
  async changeMembership(cc: ConfChange): Promise<{ ok: true; index: number } | { ok: false; reason: string }> {
    if (this.node.raft.role !== 'leader') return { ok: false, reason: 'not the leader' };
    if (this.node.raft.pendingConfIndex > this.applied.index) return { ok: false, reason: 'another membership change is still being applied; retry when it is' };
    if (!this.node.proposeConfChange(cc)) return { ok: false, reason: 'the change was dropped (leadership transfer in progress)' };
    const index = this.node.raft.log.lastIndex();
    this.schedule();
    return (await this.waitApplied(index)) ? { ok: true, index } : { ok: false, reason: `index ${index} was not applied within ${this.cfg.requestTimeoutMs} ms` };
  }

  async decision(hash: string): Promise<DecisionEntryRecord | null> {
    const index = await this.store.decisionIndexById(hash);
    return index === null ? null : this.store.readDecision(index);
  }

  decisions(after: number, limit: number): Promise<DecisionEntryRecord[]> {
    return this.store.scanDecisions(after, limit);
  }

  get retentionMs(): number {
    return this.applied.state.meta.dedupe_retention_ms;
  }

  get appliedIndex(): number {
    return this.applied.index;
  }

  get stateHash(): Digest {
    return this.applied.hash;
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.log.error({ event: 'replica_failed', reason }, 'the replica stopped serving writes; restart it after checking the disk');
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'refused', code: 'unavailable', reasons: [reason] });
    }
    this.pending.clear();
  }

  /** Stops ticking and the transport, lets the Ready loop finish, and closes the store. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    while (this.processing || this.snapshotting) await sleep(5);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'refused', code: 'unavailable', reasons: ['the replica is shutting down; retry with the same idem_key'] });
    }
    this.pending.clear();
    await this.transport?.close();
    await this.store.close();
  }
}

/** Keeps the member directory in step with applied membership changes (a change's context names the member). */
function applyMemberChange(members: Map<string, ClusterMember>, cc: ConfChange): void {
  if (cc.type === 'remove') members.delete(cc.node);
  else if (cc.context !== undefined) members.set(cc.node, parseMember(cc.context, `conf change for ${cc.node}`));
}

