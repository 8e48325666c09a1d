// One simulated replica: a RawNode over a simulated disk (synced vs in-flight writes) applying entries through the reducer.
import { genesisState, type Genesis } from '../core/genesis.ts';
import { stateFromJson, stateToJson } from '../core/state-json.ts';
import { formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import type { Prng } from '../core/prng.ts';
import { reduce, type Outcome } from '../core/reducer.ts';
import type { StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import { decodeConfChange, RawNode } from '../raft/raw-node.ts';
import { MemoryStorage } from '../raft/storage.ts';
import type { Entry, NodeId, Ready } from '../raft/types.ts';
import type { SimNetwork } from './sim-network.ts';

export interface AppliedRecord {
  readonly term: number;
  readonly postHash: string;
  readonly idemKey: string | null;
  readonly status: Outcome['status'] | null;
}

export interface ApplyEvent {
  readonly replica: NodeId;
  readonly index: number;
  readonly idemKey: string;
  readonly outcome: Outcome;
}

interface CommandData {
  readonly stamp: string;
  readonly proposal: { idem_key?: string };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(stamp: string, proposal: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ stamp, proposal }));
}

export class SimReplica {
  /** The synced disk: survives crashes. Only written when an in-flight Ready completes its sync. */
  readonly storage: MemoryStorage;
  node: RawNode | null = null;
  state: StateDocument;
  clock: Hlc = { ms: 0, logical: 0 };
  /** Every index this replica has applied (kept across restarts, to check replays reproduce it). */
  readonly applied = new Map<number, AppliedRecord>();
  /** Violations found while applying (a replay that differs from an earlier apply). */
  readonly problems: string[] = [];
  private inflight: { rd: Ready; until: number } | null = null;
  private lastSnapshot = 0;
  /** Leader snapshots this replica verified and installed (InstallSnapshot). */
  snapshotsInstalled = 0;

  constructor(
    readonly id: NodeId,
    voters: readonly NodeId[],
    private readonly genesis: Genesis,
    private readonly rng: Prng,
    readonly skewMs: number,
    private readonly electionTick: number,
    /** Snapshot and compact after this many applied entries (0: never). */
    private readonly snapshotEvery = 0,
  ) {
    this.storage = MemoryStorage.withVoters(voters);
    this.state = genesisState(genesis);
  }

  get alive(): boolean {
    return this.node !== null;
  }

  /** (Re)starts from the synced disk: volatile state is gone; the app state is rebuilt by re-applying. */
  start(): void {
    const snap = this.storage.snapshot();
    // The app says what it has applied: the snapshot's index. Storage keeps a log tail below the snapshot, so
    // Raft's own guess (first index - 1) would hand out entries the snapshot already contains (etcd: Config.Applied).
    this.node = new RawNode({ id: this.id, electionTick: this.electionTick, heartbeatTick: 1, applied: snap.meta.index, random: (n) => this.rng.int(0, n - 1) }, this.storage);
    this.state = snap.meta.index > 0 ? this.restoreSnapshot(snap.data, snap.meta.index) ?? genesisState(this.genesis) : genesisState(this.genesis);
    this.inflight = null;
  }

  /** Rebuilds state from snapshot data, verifying its hash first; records a problem and returns null if it fails. */
  private restoreSnapshot(data: Uint8Array, index: number): StateDocument | null {
    const { state, hash } = JSON.parse(decoder.decode(data)) as { state: Record<string, unknown>; hash: string };
    const rebuilt = stateFromJson(state);
    if (stateHash(rebuilt) !== hash) {
      this.problems.push(`replica ${this.id}: snapshot at ${index} does not hash to its recorded ${hash}`);
      return null;
    }
    return rebuilt;
  }

  private maybeSnapshot(): void {
    const applied = this.node?.raft.log.applied ?? 0;
    if (this.snapshotEvery === 0 || applied - this.lastSnapshot < this.snapshotEvery || applied <= this.storage.snapshot().meta.index) return;
    const data = encoder.encode(JSON.stringify({ state: stateToJson(this.state), hash: stateHash(this.state) }));
    this.storage.createSnapshot(applied, this.node!.raft.confState(), data);
    // Keep a short tail so most laggards catch up from the log; the rest need the snapshot.
    this.storage.compact(Math.max(this.storage.firstIndex() - 1, applied - 5));
    this.lastSnapshot = applied;
  }

  crash(): void {
    this.node = null;
    this.inflight = null;
  }

  physicalMs(round: number): number {
    return 1_767_225_600_000 + round * 10 + this.skewMs;
  }

  /** The leader stamps a proposal with its HLC and proposes it; false if Raft dropped it. */
  propose(round: number, proposal: unknown): boolean {
    if (this.node === null) return false;
    const r = hlcSend(this.clock, this.physicalMs(round));
    if (!r.ok) return false;
    this.clock = r.value;
    return this.node.propose(encodeCommand(formatHlc(this.clock), proposal));
  }

  /** Handles Ready: a write may stay in flight (unsynced) for a few rounds; messages leave only after the sync. */
  process(round: number, net: SimNetwork, syncDelayMax: number, onApply: (e: ApplyEvent) => void): void {
    if (this.node === null) return;
    if (this.inflight !== null && round >= this.inflight.until) this.complete(round, net, onApply);
    if (this.inflight === null && this.node.hasReady()) {
      const rd = this.node.ready();
      this.inflight = { rd, until: round + this.rng.int(0, syncDelayMax) };
      if (this.inflight.until <= round) this.complete(round, net, onApply);
    }
  }

  private complete(round: number, net: SimNetwork, onApply: (e: ApplyEvent) => void): void {
    const node = this.node!;
    const { rd } = this.inflight!;
    this.inflight = null;
    if (rd.snapshot !== null) {
      // A follower installs the leader's snapshot only after checking it re-hashes to what it claims.
      const restored = this.restoreSnapshot(rd.snapshot.data, rd.snapshot.meta.index);
      if (restored !== null) {
        this.storage.applySnapshot(rd.snapshot);
        this.state = restored;
        this.snapshotsInstalled++;
      }
    }
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    // Every stamp this replica stores moves its clock, so as a future leader it stamps after all of them.
    for (const e of rd.entries) this.observe(e, round);
    for (const m of rd.messages) {
      if (!net.send(round, m) && m.type === 'snap') node.reportSnapshot(m.to, false);
    }
    for (const e of rd.committedEntries) this.apply(e, onApply);
    node.advance();
    this.maybeSnapshot();
  }

  private observe(e: Entry, round: number): void {
    if (e.type !== 'normal' || e.data.length === 0) return;
    const stamp = parseHlc((JSON.parse(decoder.decode(e.data)) as CommandData).stamp);
    if (!stamp.ok) return;
    const r = hlcReceive(this.clock, stamp.value, this.physicalMs(round));
    if (r.ok) this.clock = r.value;
  }

  private apply(e: Entry, onApply: (ev: ApplyEvent) => void): void {
    let record: AppliedRecord;
    if (e.type === 'conf-change') {
      this.node!.applyConfChange(decodeConfChange(e));
      record = { term: e.term, postHash: stateHash(this.state), idemKey: null, status: null };
    } else if (e.data.length === 0) {
      record = { term: e.term, postHash: stateHash(this.state), idemKey: null, status: null };
    } else {
      const cmd = JSON.parse(decoder.decode(e.data)) as CommandData;
      const result = reduce(this.state, { index: e.index, stamp: cmd.stamp, proposal: cmd.proposal }, { verifySignatures: false });
      this.state = result.state;
      const idemKey = cmd.proposal.idem_key ?? null;
      record = { term: e.term, postHash: stateHash(this.state), idemKey, status: result.outcome.status };
      if (idemKey !== null) onApply({ replica: this.id, index: e.index, idemKey, outcome: result.outcome });
    }
    const before = this.applied.get(e.index);
    if (before !== undefined && (before.term !== record.term || before.postHash !== record.postHash)) {
      this.problems.push(`replica ${this.id} re-applied index ${e.index} differently: term ${before.term}->${record.term}, hash ${before.postHash}->${record.postHash}`);
    }
    this.applied.set(e.index, record);
  }
}
