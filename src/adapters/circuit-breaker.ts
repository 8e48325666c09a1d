// A circuit breaker around one external system: after a failure, no request until the open period ends.
// Time is passed in (the adapter tick's `now`), so tests and virtual clocks drive it.
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Open period after the first failure; doubles with each further failure up to `maxOpenMs`. */
  readonly baseOpenMs: number;
  readonly maxOpenMs: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;

  constructor(private readonly options: BreakerOptions) {}

  state(now: number): BreakerState {
    if (this.failures === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half_open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Closed, or open long enough that one trial request may go (half-open). */
  canRequest(now: number): boolean {
    return this.state(now) !== 'open';
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  /** `retryAfterMs` (from a 429) extends the open period when the server asks for longer. */
  failure(now: number, retryAfterMs = 0): void {
    this.failures++;
    const backoff = Math.min(this.options.maxOpenMs, this.options.baseOpenMs * 2 ** (this.failures - 1));
    this.openUntil = now + Math.max(backoff, retryAfterMs);
  }
}
