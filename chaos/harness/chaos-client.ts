// A client for chaos runs: the SDK's propose() over a transport that picks seeded-random replicas, injects
// client-level faults (duplicate, reorder, drop) and records every POST as a history operation with real-time bounds.
import type { Proposal } from '../../src/core/proposal.ts';
import { Prng } from '../../src/core/prng.ts';
import { ClientClock, propose, type ProposeRequest, type ProposeResult, type ProposeTransport } from '../../src/sdk/client.ts';
import type { HistoryOp } from '../checkers/history.ts';

export interface ClientFaults {
  /** Send the same signed proposal a second time, to another replica (a retry after a lost answer). */
  readonly duplicatePermille: number;
  /** Hold a proposal back and send it after the next one (it usually arrives stale). */
  readonly reorderPermille: number;
  /** Never send a proposal (a lost message); the caller sees a network error. */
  readonly dropPermille: number;
}

export const NO_FAULTS: ClientFaults = { duplicatePermille: 0, reorderPermille: 0, dropPermille: 0 };

const TIMEOUT_MS = 5_000;

/** One recorded POST. `null` status: no answer (timeout or network error). */
interface Sent {
  readonly status: number | null;
  readonly body: Record<string, unknown> | null;
}

export class ChaosClient implements ProposeTransport {
  private readonly rng: Prng;
  private readonly clock = new ClientClock();
  private held: { proposal: Proposal; url: string } | null = null;

  constructor(
    readonly name: string,
    private readonly endpoints: readonly string[],
    seed: number,
    private readonly faults: ClientFaults,
    /** Appends to the run's history; ids are assigned by the recorder. */
    private readonly record: (op: Omit<HistoryOp, 'id'>) => void,
  ) {
    this.rng = new Prng(seed);
  }

  /** The SDK's propose(): re-reads HEAD and retries on contention. A lost or unanswered send throws, as fetch would. */
  propose(req: ProposeRequest): Promise<ProposeResult> {
    return propose(req, this.clock, this);
  }

  private endpoint(): string {
    return this.rng.pick(this.endpoints);
  }

  async readHead(): Promise<{ hash: string; hlc: string | null }> {
    for (let i = 0; i < this.endpoints.length; i++) {
      const res = await fetch(`${this.endpoint()}/state?projection=hlc_last`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => null);
      if (res?.ok === true) return (await res.json()) as { hash: string; hlc: string | null };
    }
    throw new Error(`${this.name}: no replica answered GET /state`);
  }

  async post(p: Proposal): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = this.endpoint();
    let sent: Sent = { status: null, body: null };
    if (this.rng.chance(this.faults.dropPermille)) {
      // lost on the way: never sent, so not in the history
    } else if (this.held === null && this.rng.chance(this.faults.reorderPermille)) {
      // Held back: it goes out after this client's next proposal, by then usually stale.
      this.held = { proposal: p, url };
    } else {
      sent = await this.send(p, url);
      if (this.rng.chance(this.faults.duplicatePermille)) await this.send(p, this.endpoint());
      if (this.held !== null) {
        const h = this.held;
        this.held = null;
        await this.send(h.proposal, h.url);
      }
    }
    if (sent.status === null) throw new Error(`${this.name}: no answer to ${p.transition} (${p.idem_key})`);
    return { status: sent.status, body: sent.body ?? { reason: 'invalid_json', reasons: [`HTTP ${sent.status}`] } };
  }

  /** POSTs one proposal and records it; never throws. */
  private async send(p: Proposal, url: string): Promise<Sent> {
    const invoke = Date.now();
    let sent: Sent = { status: null, body: null };
    try {
      const res = await fetch(`${url}/transition`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': p.idem_key }, body: JSON.stringify(p), signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = null;
      }
      sent = { status: res.status, body };
    } catch {
      // no answer: the history says `unknown`
    }
    const complete = sent.status === null ? null : Date.now();
    const b = sent.body ?? {};
    const status = typeof b['status'] === 'string' ? (b['status'] as 'accepted' | 'quarantined' | 'rejected') : null;
    const definite = sent.status !== null && sent.status < 500;
    const result: HistoryOp['result'] = sent.status === 202 ? 'ok' : definite ? 'fail' : 'unknown';
    this.record({
      client: this.name,
      transition: p.transition,
      signer: p.signer,
      idem_key: p.idem_key,
      expected_hash: p.current_state_hash,
      invoke_ms: invoke,
      complete_ms: complete,
      result,
      status: sent.status,
      outcome: sent.status === 202 ? status : definite ? 'rejected' : null,
      duplicate: b['duplicate'] === true,
      index: typeof b['index'] === 'number' ? (b['index'] as number) : null,
      state_post_hash: typeof b['state_post_hash'] === 'string' ? (b['state_post_hash'] as string) : null,
      code: typeof b['reason'] === 'string' ? (b['reason'] as string) : typeof b['code'] === 'string' ? (b['code'] as string) : null,
    });
    return sent;
  }
}
