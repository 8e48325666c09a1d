// A leader's view of one follower: match/next, probe vs replicate vs snapshot state, and the in-flight window.
import type { NodeId } from './types.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: one append at a time until the follower answers. */
  probeSent = false;
  /** In snapshot state: the snapshot index being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum. */
  recentActive = false;
  /** Last index of each append in flight (replicate state), oldest first: bounded flow control. */
  inflights: number[] = [];

  constructor(
    readonly id: NodeId,
    next: number,
    public isLearner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot, resume just after it; otherwise from the last known match.
    this.next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights = [];
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights = [];
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.inflights = [];
  }

  /** The follower acknowledged `index`; returns true if that moved match forward. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Records an append sent up to `last` (optimistically advancing next in replicate state). */
  sentEntries(last: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.push(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  freeInflightsTo(index: number): void {
    let n = 0;
    while (n < this.inflights.length && this.inflights[n]! <= index) n++;
    if (n > 0) this.inflights = this.inflights.slice(n);
  }

  /**
   * A rejection of the append after `rejected`: back off next using the follower's hint. Returns false when the
   * rejection is stale (an answer to an older append) and must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Whether sending more would overflow the window or repeat an unanswered probe. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }
}
