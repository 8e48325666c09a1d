// What an adapter is: a periodic tick that reads an external system and proposes facts about it.
import type { StateDocument } from '../core/state.ts';
import type { Logger } from '../node/logger.ts';
import type { AdapterMetrics } from './adapter-metrics.ts';
import type { FactRequest, FactResult } from './fact-proposer.ts';
import type { HttpResult, RequestOptions } from './http-json.ts';
import type { ExternalSystem } from './outbound-gate.ts';

export interface AdapterContext {
  /** The applied state when the tick began. */
  readonly state: StateDocument;
  readonly now: number;
  readonly log: Logger;
  /** A request to this adapter's system through the license gate (counted in the metrics). */
  request(path: string, options?: RequestOptions): Promise<HttpResult>;
  /** Proposes a fact signed with this adapter's identity (counted in the metrics). */
  propose(req: FactRequest): Promise<FactResult>;
  /** Counts a message that failed its contract and logs why. */
  invalid(what: string, reasons: readonly string[]): void;
  readonly metrics: AdapterMetrics;
}

export interface Adapter {
  readonly system: ExternalSystem;
  readonly intervalMs: number;
  /** One round; the host never runs two ticks of one adapter at once, and catches what a tick throws. */
  tick(ctx: AdapterContext): Promise<void>;
}
