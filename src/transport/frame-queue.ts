// A fixed-capacity FIFO ring that evicts its oldest element when full: the per-peer outbound queue.
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`; returns true when that evicted the oldest element. */
  push(item: T): boolean {
    const tail = (this.head + this.count) % this.capacity;
    if (this.count === this.capacity) {
      this.items[tail] = item;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.items[tail] = item;
    this.count++;
    return false;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    // Cleared so a sent frame's buffer can be collected while the slot waits for reuse.
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
