// RawNode (after etcd's rawnode.go): turns the Raft state machine into Ready batches the caller persists, sends and applies.
import { Raft } from './raft.ts';
import type { Storage } from './storage.ts';
import type { ConfChange, ConfState, Entry, HardState, NodeId, RaftConfig, Ready, Role, SoftState } from './types.ts';

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly lead: NodeId | null;
  readonly role: Role;
  readonly progress: Record<NodeId, { readonly match: number; readonly next: number; readonly state: string }>;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cc));
}

export function decodeConfChange(e: Entry): ConfChange {
  return JSON.parse(new TextDecoder().decode(e.data)) as ConfChange;
}

const sameHard = (a: HardState, b: HardState): boolean => a.term === b.term && a.vote === b.vote && a.commit === b.commit;

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: Ready | null = null;

  constructor(config: RaftConfig, storage: Storage) {
    this.raft = new Raft(config, storage);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): void {
    this.raft.step({ type: 'hup', from: this.raft.id, to: this.raft.id, term: 0 });
  }

  /** Proposes opaque data; false when dropped (no leader known, or a leadership transfer in progress). */
  propose(data: Uint8Array): boolean {
    return this.raft.step({ type: 'prop', from: this.raft.id, to: this.raft.id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data }] });
  }

  proposeConfChange(cc: ConfChange): boolean {
    return this.raft.step({ type: 'prop', from: this.raft.id, to: this.raft.id, term: 0, entries: [{ term: 0, index: 0, type: 'conf-change', data: encodeConfChange(cc) }] });
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message from the network. Local message types are refused: they come only from this API. */
  step(m: Parameters<Raft['step']>[0]): void {
    if (m.type === 'hup' || m.type === 'beat' || m.type === 'check-quorum') return;
    this.raft.step(m);
  }

  readIndex(requestCtx: string): boolean {
    return this.raft.step({ type: 'read-index', from: this.raft.id, to: this.raft.id, term: 0, context: requestCtx });
  }

  transferLeader(to: NodeId): boolean {
    return this.raft.step({ type: 'transfer-leader', from: to, to: this.raft.id, term: 0 });
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step({ type: 'unreachable', from: id, to: this.raft.id, term: 0 });
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step({ type: 'snap-status', from: id, to: this.raft.id, term: 0, reject: !ok });
  }

  hasReady(): boolean {
    const log = this.raft.log;
    const soft = this.softState();
    return (
      soft.lead !== this.prevSoft.lead ||
      soft.role !== this.prevSoft.role ||
      !sameHard(this.hardState(), this.prevHard) ||
      log.unstableSnapshot !== null ||
      log.unstableEntries.length > 0 ||
      log.hasNextCommitted() ||
      this.raft.readStates.length > 0 ||
      this.raft.hasPendingMessages()
    );
  }

  ready(): Ready {
    if (this.inFlight !== null) throw new Error('raft: ready() called again before advance()');
    const log = this.raft.log;
    const soft = this.softState();
    const hard = this.hardState();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role;
    const hardChanged = !sameHard(hard, this.prevHard);
    const entries = [...log.unstableEntries];
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hard : null,
      snapshot: log.unstableSnapshot,
      entries,
      committedEntries: log.hasNextCommitted() ? log.nextCommitted() : [],
      messages: this.raft.readMessages(),
      readStates: this.raft.readStates.splice(0),
      mustSync: entries.length > 0 || (hardChanged && (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote)),
    };
    this.inFlight = rd;
    return rd;
  }

  /** The last Ready was persisted, sent and applied. */
  advance(): void {
    const rd = this.inFlight;
    if (rd === null) return;
    this.inFlight = null;
    const log = this.raft.log;
    if (rd.softState !== null) this.prevSoft = rd.softState;
    if (rd.hardState !== null) this.prevHard = rd.hardState;
    if (rd.snapshot !== null) {
      log.stableSnapTo(rd.snapshot.meta.index);
      log.applied = Math.max(log.applied, rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) log.stableTo(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied !== undefined) log.appliedTo(applied.index);
  }

  status(): RaftStatus {
    const progress: Record<NodeId, { match: number; next: number; state: string }> = {};
    for (const [id, pr] of this.raft.progress) progress[id] = { match: pr.match, next: pr.next, state: pr.state };
    return { ...this.hardState(), applied: this.raft.log.applied, lead: this.raft.lead, role: this.raft.role, id: this.raft.id, progress };
  }
}
