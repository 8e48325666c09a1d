// The simulated network: delays, drops, duplicates and reordering, plus (asymmetric) partitions, from one PRNG.
import type { Prng } from '../core/prng.ts';
import type { Message, NodeId } from '../raft/types.ts';

export interface NetworkFaults {
  /** Permille of messages dropped, duplicated. */
  readonly dropPermille: number;
  readonly duplicatePermille: number;
  /** Delivery delay in rounds is uniform in [1, maxDelay]: a spread of delays reorders messages. */
  readonly maxDelay: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly m: Message;
}

export class SimNetwork {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Directed cuts: "a>b" means a's messages to b are lost. */
  private cuts = new Set<string>();

  constructor(
    private readonly rng: Prng,
    public faults: NetworkFaults,
  ) {}

  /** Queues a message; returns false when the network dropped it (a transport would report that for snapshots). */
  send(now: number, m: Message): boolean {
    if (this.rng.chance(this.faults.dropPermille)) return false;
    const copies = this.rng.chance(this.faults.duplicatePermille) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.queue.push({ at: now + this.rng.int(1, Math.max(1, this.faults.maxDelay)), seq: this.seq++, m });
    return true;
  }

  /** Messages due by `now`, in delivery order, and those lost to a cut at delivery time. */
  due(now: number): { delivered: Message[]; lost: Message[] } {
    const ready = this.queue.filter((f) => f.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.queue = this.queue.filter((f) => f.at > now);
    const cut = (m: Message) => this.cuts.has(`${m.from}>${m.to}`);
    return { delivered: ready.filter((f) => !cut(f.m)).map((f) => f.m), lost: ready.filter((f) => cut(f.m)).map((f) => f.m) };
  }

  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** Splits the cluster into two sides that cannot talk (both directions). */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.cut(x, y);
      this.cut(y, x);
    }
  }

  heal(): void {
    this.cuts.clear();
  }

  get partitioned(): boolean {
    return this.cuts.size > 0;
  }

  /** Drops everything in flight to a crashed replica, returning it (a transport reports lost snapshots). */
  dropFor(id: NodeId): Message[] {
    const lost = this.queue.filter((f) => f.m.to === id).map((f) => f.m);
    this.queue = this.queue.filter((f) => f.m.to !== id);
    return lost;
  }
}
