// A small SWOOSH client: read HEAD, stamp with an HLC, sign, POST, and retry when the state moved on.
import type { Json } from '../core/canonical-json.ts';
import { formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import type { Proposal } from '../core/proposal.ts';
import { signProposal } from './proposal-signer.ts';

export interface ProposeRequest {
  readonly url: string;
  readonly secretKey: Uint8Array;
  readonly transition: string;
  readonly inputs: Json;
  readonly windowId?: string | null;
  readonly evidence: readonly string[];
  /** Reused across retries: a stale rejection records nothing, so the same key is safe. */
  readonly idemKey: string;
  readonly maxAttempts?: number;
}

export interface ProposeResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly attempts: number;
  readonly proposal: Proposal;
}

/** Client-side HLC: physical time from this machine, merged with every HLC the server reports. */
export class ClientClock {
  private hlc: Hlc = { ms: 0, logical: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  observe(text: string | null): void {
    const remote = text === null ? null : parseHlc(text);
    if (remote === null || !remote.ok) return;
    const r = hlcReceive(this.hlc, remote.value, this.now());
    if (r.ok) this.hlc = r.value;
  }

  tick(): string {
    const r = hlcSend(this.hlc, this.now());
    if (!r.ok) throw new Error(r.detail);
    this.hlc = r.value;
    return formatHlc(this.hlc);
  }
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { reason: 'invalid_json', reasons: [`HTTP ${res.status}: ${text.slice(0, 200)}`] };
  }
}

/** Retry at once on these: the body says what changed (HEAD, or the server's newer HLC). */
const CONTENTION = new Set(['stale_state_hash', 'hlc_time_travel']);

/** How propose() reaches the cluster: read HEAD, send one signed proposal. Both may throw (no answer). */
export interface ProposeTransport {
  readHead(): Promise<{ hash: string; hlc: string | null }>;
  post(proposal: Proposal): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * The HTTP transport to one replica. A failed GET /state (a 503, or a pooled keep-alive connection the server
 * closed just as it was reused) is retried by propose(), which backs off between reads.
 */
export function httpTransport(url: string): ProposeTransport {
  const base = url.replace(/\/+$/, '');
  return {
    async readHead() {
      const res = await fetch(`${base}/state?projection=hlc_last`);
      if (!res.ok) throw new Error(`GET ${base}/state: HTTP ${res.status} ${String((await json(res))['reason'] ?? '')}`.trimEnd());
      return (await res.json()) as { hash: string; hlc: string | null };
    },
    async post(proposal) {
      const res = await fetch(`${base}/transition`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': proposal.idem_key }, body: JSON.stringify(proposal) });
      return { status: res.status, body: await json(res) };
    },
  };
}

export async function propose(req: ProposeRequest, clock = new ClientClock(), transport: ProposeTransport = httpTransport(req.url)): Promise<ProposeResult> {
  const max = req.maxAttempts ?? 20;
  let headHash: string | null = null;
  let last: ProposeResult | null = null;
  for (let attempt = 1; attempt <= max; attempt++) {
    if (headHash === null) {
      // A read is safe to repeat: a 503 (no leader during an election, read index not confirmed) or no answer
      // is retried with the same backoff as a 503 on POST; the last failure is thrown.
      let h: { hash: string; hlc: string | null };
      try {
        h = await transport.readHead();
      } catch (e) {
        if (attempt === max) throw e;
        await backoff(attempt);
        continue;
      }
      clock.observe(h.hlc);
      headHash = h.hash;
    }
    const proposal = signProposal(
      { current_state_hash: headHash as Proposal['current_state_hash'], transition: req.transition, idem_key: req.idemKey, hlc: clock.tick(), window_id: req.windowId ?? null, evidence: [...req.evidence], inputs: req.inputs },
      req.secretKey,
    );
    const { status, body } = await transport.post(proposal);
    last = { status, body, attempts: attempt, proposal };
    const reason = body['reason'];
    if (status === 400 && typeof reason === 'string' && CONTENTION.has(reason)) {
      // A rejection carries the HEAD it was checked against and the replica's stamp: retry against those.
      clock.observe((body['decision_record'] as { stamp?: string } | null)?.stamp ?? null);
      headHash = typeof body['current_state_hash'] === 'string' ? body['current_state_hash'] : null;
      if (attempt % 5 === 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      continue;
    }
    // 503 is transient (no leader, unavailable) except `diverged`, which waits for an operator.
    if (status !== 503 || reason === 'diverged') return last;
    headHash = null;
    await backoff(attempt);
  }
  return last!;
}

/** Exponential backoff with jitter, capped at about a second (a 503 carries Retry-After: 1). */
function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random())));
}
