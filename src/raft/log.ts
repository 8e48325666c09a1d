// The Raft log as Raft sees it: stable entries in Storage, an unstable tail not yet persisted, commit and applied.
import type { Storage } from './storage.ts';
import type { Entry, Snapshot } from './types.ts';

export class RaftLog {
  /** Entries (and possibly a snapshot) received but not yet handed to the caller for persistence. */
  unstableEntries: Entry[] = [];
  unstableSnapshot: Snapshot | null = null;
  /** Index of the first unstable entry. */
  unstableOffset: number;
  committed: number;
  applied: number;

  constructor(readonly storage: Storage, applied = 0) {
    this.unstableOffset = storage.lastIndex() + 1;
    const snapIndex = storage.firstIndex() - 1;
    this.committed = snapIndex;
    this.applied = Math.max(snapIndex, applied);
  }

  firstIndex(): number {
    return this.unstableSnapshot !== null ? this.unstableSnapshot.meta.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot !== null) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The term of entry i, or null if i is compacted away or past the end. */
  term(i: number): number | null {
    if (i === 0) return 0;
    if (this.unstableSnapshot !== null && i === this.unstableSnapshot.meta.index) return this.unstableSnapshot.meta.term;
    if (i >= this.unstableOffset && i < this.unstableOffset + this.unstableEntries.length) return this.unstableEntries[i - this.unstableOffset]!.term;
    if (this.unstableSnapshot !== null && i < this.unstableSnapshot.meta.index) return null;
    if (i > this.lastIndex()) return null;
    return this.storage.term(i);
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const t = this.lastTerm();
    return lastTerm > t || (lastTerm === t && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), from storage and the unstable tail. */
  slice(lo: number, hi: number): Entry[] {
    if (lo >= hi) return [];
    const out: Entry[] = [];
    if (lo < this.unstableOffset) out.push(...this.storage.entries(lo, Math.min(hi, this.unstableOffset)));
    if (hi > this.unstableOffset) {
      const a = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      out.push(...this.unstableEntries.slice(a, hi - this.unstableOffset));
    }
    return out;
  }

  /** Appends after truncating the unstable tail at the first new index. Returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    if (after < this.committed) throw new Error(`raft log: append after ${after} would overwrite committed ${this.committed}`);
    if (after + 1 === this.unstableOffset + this.unstableEntries.length) {
      this.unstableEntries.push(...entries);
    } else if (after + 1 <= this.unstableOffset) {
      // Replaces the whole unstable tail (and shadows conflicting stable entries).
      this.unstableOffset = after + 1;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries = [...this.unstableEntries.slice(0, after + 1 - this.unstableOffset), ...entries];
    }
    return this.lastIndex();
  }

  /**
   * Follower side of AppendEntries (§5.3): if our entry at `index` has `logTerm`, drop any conflicting suffix and
   * append what is new. Returns the last new index, or null on a mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, entries: readonly Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) throw new Error(`raft log: conflict at ${conflict} is at or below commit ${this.committed}`);
      this.append(entries.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** The first entry whose term differs from ours (or is new), or 0 when all are already present. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * For fast backtracking: the largest index <= `index` whose term is <= `term`. A leader uses the follower's hint
   * to skip a whole term of mismatched entries per round trip.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex()); i >= 0; i--) {
      const t = this.term(i);
      if (t === null) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new Error(`raft log: commit ${index} beyond last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** Leader rule (§5.4.2): commit `index` only if it is from the current term. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applied && this.applied + 1 >= this.firstIndex();
  }

  nextCommitted(maxEntries = Number.MAX_SAFE_INTEGER): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed + 1, lo + maxEntries);
    return this.slice(lo, hi);
  }

  appliedTo(index: number): void {
    if (index > this.committed || index < this.applied) throw new Error(`raft log: applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /** The caller persisted the unstable entries up to (index, term): they now live in storage. */
  stableTo(index: number, term: number): void {
    if (this.term(index) !== term || index < this.unstableOffset) return;
    this.unstableEntries = this.unstableEntries.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot !== null && this.unstableSnapshot.meta.index === index) this.unstableSnapshot = null;
  }

  /** A follower installs a leader's snapshot: the log restarts after it. */
  restore(snap: Snapshot): void {
    this.committed = snap.meta.index;
    this.unstableOffset = snap.meta.index + 1;
    this.unstableEntries = [];
    this.unstableSnapshot = snap;
  }

  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}
