// A deterministic in-memory network of Raft (or RawNode) peers, after etcd's newNetwork: messages are delivered
// breadth-first until none remain; links can be cut, peers isolated, messages dropped (seeded) or ignored by type.
import { Prng } from '../../src/core/prng.ts';
import { Raft } from '../../src/raft/raft.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import { MemoryStorage } from '../../src/raft/storage.ts';
import type { ConfChange, Entry, HardState, Message, MessageType, NodeId, RaftConfig, ReadState } from '../../src/raft/types.ts';

export const SEED = Number(process.env['SWOOSH_TEST_SEED'] ?? 20261122);

/** Appended to every assertion message so a failure names the seed that reproduces it. */
export function seedNote(extra = ''): string {
  return `(reproduce with SWOOSH_TEST_SEED=${SEED}${extra ? '; ' + extra : ''})`;
}

/** A per-node seeded `random(n)` in [0, n), independent between nodes. */
export function seededRandom(id: NodeId, salt = 0): (n: number) => number {
  let h = (SEED ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  const prng = new Prng(h);
  return (n: number) => prng.next() % n;
}

/** Paper defaults (no pre-vote, no check-quorum): electionTick 10, heartbeatTick 1. */
export function testConfig(id: NodeId, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return { id, electionTick: 10, heartbeatTick: 1, checkQuorum: false, preVote: false, random: seededRandom(id), ...overrides };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Entries with consecutive indexes starting at `first`, one per term given (etcd's index(i).terms(...)). */
export function ents(first: number, ...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: first + i, type: 'normal' as const, data: new Uint8Array() }));
}

export interface StorageInit {
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
}

export function newStorage(voters: readonly NodeId[], init: StorageInit = {}): MemoryStorage {
  const s = MemoryStorage.withVoters(voters);
  if (init.entries !== undefined) s.append(init.entries);
  if (init.hardState !== undefined) s.setHardState(init.hardState);
  return s;
}

export function newRaft(id: NodeId, voters: readonly NodeId[], init: StorageInit = {}, overrides: Partial<RaftConfig> = {}): Raft {
  return new Raft(testConfig(id, overrides), newStorage(voters, init));
}

/** The (term) column of a log from index 1 to its last index. */
export function logTerms(r: Raft): number[] {
  return r.log.slice(r.log.firstIndex(), r.log.lastIndex() + 1).map((e) => e.term);
}

export function ids(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => String(i + 1));
}

function isConfChange(v: unknown): v is ConfChange {
  if (typeof v !== 'object' || v === null) return false;
  const t: unknown = Reflect.get(v, 'type');
  const n: unknown = Reflect.get(v, 'node');
  return (t === 'add-voter' || t === 'add-learner' || t === 'remove') && typeof n === 'string';
}

export function decodeCc(e: Entry): ConfChange {
  const v: unknown = JSON.parse(dec(e.data));
  if (!isConfChange(v)) throw new Error(`not a conf change: ${dec(e.data)}`);
  return v;
}

export const ccData = (cc: ConfChange): Uint8Array => enc(JSON.stringify(cc));

interface RaftPeer {
  readonly kind: 'raft';
  readonly raft: Raft;
}

interface RawPeer {
  readonly kind: 'raw';
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  /** Every committed entry handed out by Ready, in order. */
  readonly applied: Entry[];
  /** Every ReadState handed out by Ready, in order. */
  readonly readStates: ReadState[];
  /** Whether to apply committed conf changes automatically (what an application does). */
  autoApplyConf: boolean;
}

type Peer = RaftPeer | RawPeer;

/** A peer is a Raft, a RawNode with its storage, or null for a black hole that swallows everything. */
export type PeerSpec = Raft | { readonly node: RawNode; readonly storage: MemoryStorage } | null;

const MAX_DELIVERIES = 200_000;

export class Network {
  private readonly peers = new Map<NodeId, Peer | null>();
  private readonly dropm = new Map<string, number>();
  private readonly ignorem = new Set<MessageType>();
  private readonly prng: Prng;
  /** Every message delivered to a live peer, in delivery order. Tests may clear it. */
  trace: Message[] = [];
  /** Called for every message before filtering; return false to drop it. */
  hook: ((m: Message) => boolean) | null = null;

  constructor(peers: ReadonlyMap<NodeId, PeerSpec>, seed = SEED) {
    this.prng = new Prng(seed ^ 0x5eed);
    for (const [id, p] of peers) {
      if (p === null) this.peers.set(id, null);
      else if (p instanceof Raft) this.peers.set(id, { kind: 'raft', raft: p });
      else this.peers.set(id, { kind: 'raw', node: p.node, storage: p.storage, applied: [], readStates: [], autoApplyConf: true });
    }
  }

  /** N Raft peers over fresh MemoryStorage with the given voters (defaults: all of them). */
  static ofRafts(peerIds: readonly NodeId[], overrides: Partial<RaftConfig> | ((id: NodeId) => Partial<RaftConfig>) = {}): Network {
    const m = new Map<NodeId, PeerSpec>();
    for (const id of peerIds) {
      const o = typeof overrides === 'function' ? overrides(id) : overrides;
      m.set(id, new Raft(testConfig(id, o), MemoryStorage.withVoters(peerIds)));
    }
    return new Network(m);
  }

  /** N RawNode peers; `voters` defaults to all ids (a peer outside it starts knowing that configuration). */
  static ofRawNodes(peerIds: readonly NodeId[], overrides: Partial<RaftConfig> | ((id: NodeId) => Partial<RaftConfig>) = {}, voters: readonly NodeId[] = peerIds): Network {
    const m = new Map<NodeId, PeerSpec>();
    for (const id of peerIds) {
      const o = typeof overrides === 'function' ? overrides(id) : overrides;
      const storage = MemoryStorage.withVoters(voters);
      m.set(id, { node: new RawNode(testConfig(id, o), storage), storage });
    }
    return new Network(m);
  }

  ids(): NodeId[] {
    return [...this.peers.keys()];
  }

  private peer(id: NodeId): Peer {
    const p = this.peers.get(id);
    if (p === undefined || p === null) throw new Error(`network: no live peer ${id}`);
    return p;
  }

  private raw(id: NodeId): RawPeer {
    const p = this.peer(id);
    if (p.kind !== 'raw') throw new Error(`network: peer ${id} is not a RawNode`);
    return p;
  }

  raft(id: NodeId): Raft {
    const p = this.peer(id);
    return p.kind === 'raft' ? p.raft : p.node.raft;
  }

  rawNode(id: NodeId): RawNode {
    return this.raw(id).node;
  }

  storage(id: NodeId): MemoryStorage {
    return this.raw(id).storage;
  }

  applied(id: NodeId): Entry[] {
    return this.raw(id).applied;
  }

  readStates(id: NodeId): ReadState[] {
    return this.raw(id).readStates;
  }

  setAutoApplyConf(id: NodeId, on: boolean): void {
    this.raw(id).autoApplyConf = on;
  }

  /** Live peers (black holes excluded). */
  live(): NodeId[] {
    return this.ids().filter((id) => this.peers.get(id) !== null);
  }

  /** The leader with the highest term, or null. */
  leader(): NodeId | null {
    let best: NodeId | null = null;
    for (const id of this.live()) {
      const r = this.raft(id);
      if (r.role === 'leader' && (best === null || r.term > this.raft(best).term)) best = id;
    }
    return best;
  }

  /**
   * Drains a peer's outgoing messages without delivering them. For a RawNode peer this handles every pending
   * Ready the way an application must: persist snapshot, entries and hard state, collect the messages, apply
   * committed entries (conf changes included), record read states, then advance().
   */
  collect(id: NodeId): Message[] {
    const p = this.peers.get(id);
    if (p === undefined || p === null) return [];
    if (p.kind === 'raft') return p.raft.readMessages();
    const out: Message[] = [];
    for (let guard = 0; p.node.hasReady(); guard++) {
      if (guard > 10_000) throw new Error(`network: peer ${id} never stops producing Ready ${seedNote()}`);
      const rd = p.node.ready();
      if (rd.snapshot !== null) p.storage.applySnapshot(rd.snapshot);
      p.storage.append(rd.entries);
      if (rd.hardState !== null) p.storage.setHardState(rd.hardState);
      out.push(...rd.messages);
      for (const e of rd.committedEntries) {
        p.applied.push(e);
        if (e.type === 'conf-change' && p.autoApplyConf) p.node.applyConfChange(decodeCc(e));
      }
      p.readStates.push(...rd.readStates);
      p.node.advance();
    }
    return out;
  }

  private dropped(m: Message): boolean {
    if (this.hook !== null && !this.hook(m)) return true;
    if (this.ignorem.has(m.type)) return true;
    if (m.from === m.to) return false;
    const ratio = this.dropm.get(`${m.from}->${m.to}`) ?? 0;
    if (ratio <= 0) return false;
    if (ratio >= 1) return true;
    return this.prng.next() / 0x1_0000_0000 < ratio;
  }

  private stepPeer(p: Peer, m: Message): void {
    if (p.kind === 'raft') p.raft.step(m);
    else p.node.step(m);
  }

  /** Delivers messages breadth-first, with everything they cause, until no message remains. */
  send(...msgs: Message[]): void {
    const queue: Message[] = [...msgs];
    let delivered = 0;
    for (let i = 0; i < queue.length; i++) {
      const m = queue[i]!;
      if (this.dropped(m)) continue;
      const p = this.peers.get(m.to);
      if (p === undefined || p === null) continue;
      if (++delivered > MAX_DELIVERIES) throw new Error(`network: more than ${MAX_DELIVERIES} deliveries; a message loop? ${seedNote()}`);
      this.trace.push(m);
      this.stepPeer(p, m);
      queue.push(...this.collect(m.to));
      if (i > 4096) {
        queue.splice(0, i + 1);
        i = -1;
      }
    }
  }

  /** Delivers whatever a peer has produced so far. */
  flush(id: NodeId): void {
    this.send(...this.collect(id));
  }

  /** Campaign (pre-vote first when enabled) and deliver everything that follows. */
  campaign(id: NodeId): void {
    const p = this.peer(id);
    if (p.kind === 'raw') p.node.campaign();
    else p.raft.step({ type: 'hup', from: id, to: id, term: 0 });
    this.flush(id);
  }

  /** Propose data at `id` and deliver everything that follows. Returns what propose/step returned. */
  propose(id: NodeId, data: Uint8Array): boolean {
    const p = this.peer(id);
    let ok: boolean;
    if (p.kind === 'raw') ok = p.node.propose(data);
    else ok = p.raft.step({ type: 'prop', from: id, to: id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data }] }) !== false;
    this.flush(id);
    return ok;
  }

  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    const ok = this.rawNode(id).proposeConfChange(cc);
    this.flush(id);
    return ok;
  }

  /** Ticks one peer `n` times, delivering after each tick. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      const p = this.peer(id);
      if (p.kind === 'raw') p.node.tick();
      else p.raft.tick();
      this.flush(id);
    }
  }

  /** Ticks every live peer once (in id order) per round, then delivers all they produced. */
  tickAll(rounds = 1): void {
    for (let i = 0; i < rounds; i++) {
      const out: Message[] = [];
      for (const id of this.live()) {
        const p = this.peer(id);
        if (p.kind === 'raw') p.node.tick();
        else p.raft.tick();
        out.push(...this.collect(id));
      }
      this.send(...out);
    }
  }

  /** Drops messages from `from` to `to` with probability `ratio` (seeded). */
  drop(from: NodeId, to: NodeId, ratio: number): void {
    this.dropm.set(`${from}->${to}`, ratio);
  }

  cut(a: NodeId, b: NodeId): void {
    this.drop(a, b, 1);
    this.drop(b, a, 1);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids()) if (other !== id) this.cut(id, other);
  }

  ignore(type: MessageType): void {
    this.ignorem.add(type);
  }

  recover(): void {
    this.dropm.clear();
    this.ignorem.clear();
  }
}

/** Builds a network over the given peers; `null` entries are black holes (etcd's nopStepper). */
export function networkOf(peers: ReadonlyArray<readonly [NodeId, PeerSpec]>): Network {
  return new Network(new Map(peers));
}
