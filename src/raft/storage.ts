// Raft's read view of persisted state (etcd's Storage), and an in-memory implementation used by tests and the runtime.
import type { ConfState, Entry, HardState, Snapshot } from './types.ts';

export interface Storage {
  initialState(): { hardState: HardState; conf: ConfState };
  /** Entries in [lo, hi). lo must be > the snapshot index. */
  entries(lo: number, hi: number): Entry[];
  /** Term of entry i; the snapshot's term for i = snapshot index; null when compacted or beyond the end. */
  term(i: number): number | null;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

/** Holds everything in memory: `ents[0]` is a dummy entry at the snapshot's index and term. */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: new Uint8Array() };
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array() }];

  static withVoters(voters: readonly string[]): MemoryStorage {
    const s = new MemoryStorage();
    s.snap = { meta: { index: 0, term: 0, conf: { voters: [...voters], learners: [] } }, data: new Uint8Array() };
    return s;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: this.hardState, conf: this.snap.meta.conf };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  term(i: number): number | null {
    if (i < this.offset || i > this.lastIndex()) return null;
    return this.ents[i - this.offset]!.term;
  }

  entries(lo: number, hi: number): Entry[] {
    if (lo <= this.offset) throw new Error(`raft storage: entries(${lo}) compacted (first index ${this.firstIndex()})`);
    if (hi > this.lastIndex() + 1) throw new Error(`raft storage: entries(..${hi}) beyond last index ${this.lastIndex()}`);
    return this.ents.slice(lo - this.offset, hi - this.offset);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces everything with the snapshot (a follower installing one). Older snapshots are ignored. */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index <= this.snap.meta.index) return;
    this.snap = snap;
    this.ents = [{ term: snap.meta.term, index: snap.meta.index, type: 'normal', data: new Uint8Array() }];
  }

  /** Records a snapshot of applied state at `index` (the caller compacts separately). */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) return this.snap;
    if (index > this.lastIndex()) throw new Error(`raft storage: snapshot ${index} beyond last index ${this.lastIndex()}`);
    this.snap = { meta: { index, term: this.term(index)!, conf }, data };
    return this.snap;
  }

  /** Drops entries up to and including `index`. */
  compact(index: number): void {
    if (index <= this.offset) return;
    if (index > this.lastIndex()) throw new Error(`raft storage: compact(${index}) beyond last index ${this.lastIndex()}`);
    const term = this.term(index)!;
    this.ents = [{ term, index, type: 'normal', data: new Uint8Array() }, ...this.ents.slice(index - this.offset + 1)];
  }

  /** Appends entries, truncating any conflicting suffix (what a follower's log does on a conflict). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first + entries.length - 1 <= this.offset) return;
    const from = Math.max(first, this.offset + 1);
    const kept = entries.slice(from - first);
    this.ents = [...this.ents.slice(0, from - this.offset), ...kept];
  }
}
