// A client for chaos runs: the SDK's propose() contract, sent to seeded-random replicas, with client-level faults
// (duplicate, reorder, drop) and every POST recorded as a history operation with real-time bounds.
import type { Proposal } from '../../src/core/proposal.ts';
import { Prng } from '../../src/core/prng.ts';
import { ClientClock, type ProposeRequest, type ProposeResult } from '../../src/sdk/client.ts';
import { signProposal } from '../../src/sdk/proposal-signer.ts';
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
const CONTENTION = new Set(['stale_state_hash', 'hlc_time_travel']);

/** One recorded POST. `null` body: no answer (timeout or network error). */
interface Sent {
  readonly status: number | null;
  readonly body: Record<string, unknown> | null;
}

export class ChaosClient {
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

  private endpoint(): string {
    return this.rng.pick(this.endpoints);
  }

  private async head(): Promise<{ hash: string; hlc: string | null } | null> {
    for (let i = 0; i < this.endpoints.length; i++) {
      const res = await fetch(`${this.endpoint()}/state?projection=hlc_last`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => null);
      if (res?.ok === true) return (await res.json()) as { hash: string; hlc: string | null };
    }
    return null;
  }

  /** POSTs one proposal and records it; never throws. */
  private async post(p: Proposal, url: string): Promise<Sent> {
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

  /** The SDK's propose(): re-reads HEAD and retries on contention; faults are applied to each send. */
  async propose(req: ProposeRequest): Promise<ProposeResult> {
    const max = req.maxAttempts ?? 20;
    let headHash: string | null = null;
    let last: ProposeResult | null = null;
    for (let attempt = 1; attempt <= max; attempt++) {
      if (headHash === null) {
        const h = await this.head();
        if (h === null) return { status: 503, body: { reason: 'no_replica_answered', reasons: [] }, attempts: attempt, proposal: null as unknown as Proposal };
        this.clock.observe(h.hlc);
        headHash = h.hash;
      }
      const proposal = signProposal(
        { current_state_hash: headHash as Proposal['current_state_hash'], transition: req.transition, idem_key: req.idemKey, hlc: this.clock.tick(), window_id: req.windowId ?? null, evidence: [...req.evidence], inputs: req.inputs },
        req.secretKey,
      );
      const sent = await this.sendWithFaults(proposal);
      const body = sent.body ?? { reason: 'no_answer', reasons: ['the request timed out or the connection failed'] };
      last = { status: sent.status ?? 599, body, attempts: attempt, proposal };
      const reason = body['reason'];
      if (sent.status === 400 && typeof reason === 'string' && CONTENTION.has(reason)) {
        this.clock.observe((body['decision_record'] as { stamp?: string } | null)?.stamp ?? null);
        headHash = typeof body['current_state_hash'] === 'string' ? body['current_state_hash'] : null;
        continue;
      }
      if (sent.status !== null && sent.status !== 503 && sent.status !== 421) return last;
      headHash = null;
      await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    }
    return last!;
  }

  private async sendWithFaults(p: Proposal): Promise<Sent> {
    const url = this.endpoint();
    if (this.rng.chance(this.faults.dropPermille)) return { status: null, body: null };
    if (this.held === null && this.rng.chance(this.faults.reorderPermille)) {
      // Held back: it goes out after this client's next proposal, by then usually stale.
      this.held = { proposal: p, url };
      return { status: null, body: null };
    }
    const sent = await this.post(p, url);
    if (this.rng.chance(this.faults.duplicatePermille)) await this.post(p, this.endpoint());
    if (this.held !== null && this.held.proposal !== p) {
      const h = this.held;
      this.held = null;
      await this.post(h.proposal, h.url);
    }
    return sent;
  }
}
