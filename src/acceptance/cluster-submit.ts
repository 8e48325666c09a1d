// Sends one proposal to a cluster over HTTP and retries (same bytes, same idem_key) while the cluster cannot
// decide it: no leader, leader changing, a replica unreachable.
import { setTimeout as sleep } from 'node:timers/promises';

/** A 202 body (docs/api.md). */
export interface AcceptedBody {
  readonly index: number;
  readonly hlc: string;
  readonly state_post_hash: string;
  readonly decision_record_id: string;
  readonly duplicate: boolean;
  readonly status: 'accepted' | 'quarantined';
  readonly code: string | null;
}

/** A refusal body; `decision_record` is present when the reducer (not the replica's admission) rejected it. */
export interface RefusalBody {
  readonly reason: string;
  readonly reasons?: readonly string[];
  readonly current_state_hash?: string;
  readonly decision_record?: { readonly id: string; readonly index: number; readonly stamp: string } | null;
}

export type ClusterAnswer =
  | { readonly kind: 'decided'; readonly body: AcceptedBody; readonly attempts: Attempt[] }
  | { readonly kind: 'refused'; readonly status: number; readonly body: RefusalBody; readonly attempts: Attempt[] }
  | { readonly kind: 'gave-up'; readonly attempts: Attempt[] };

/** One try that did not decide the proposal. `unknown`: it may have been committed anyway. */
export interface Attempt {
  readonly url: string;
  readonly why: string;
  readonly unknown: boolean;
}

export interface SubmitOptions {
  /** Chooses the replica for each attempt. */
  readonly pickUrl: () => string;
  readonly maxAttempts: number;
  /** Awaited before each attempt (the harness paces the proposal's hlc against the cluster clock there). */
  readonly beforeAttempt?: () => Promise<void>;
}

// The replica's request timeout is 10 s and a forward adds up to 15 s; wait a little longer than both.
const REQUEST_TIMEOUT_MS = 30_000;
// 421 means a forwarded request met a replica that is not the leader either; clock_drift means the proposal
// ran ahead of the leader's clock. Neither admitted anything.
const RETRY_400 = new Set(['clock_drift']);

export async function submitToCluster(proposal: unknown, o: SubmitOptions): Promise<ClusterAnswer> {
  const attempts: Attempt[] = [];
  const body = JSON.stringify(proposal);
  for (let n = 0; n < o.maxAttempts; n++) {
    if (n > 0) await sleep(Math.min(50 * 2 ** (n - 1), 1000));
    await o.beforeAttempt?.();
    const url = o.pickUrl();
    let res: Response;
    let parsed: unknown;
    try {
      res = await fetch(`${url}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      parsed = JSON.parse(await res.text());
    } catch (e) {
      attempts.push({ url, why: `network: ${(e as Error).message}`, unknown: true });
      continue;
    }
    const reason = (parsed as { reason?: unknown } | null)?.reason;
    if (res.status === 202) return { kind: 'decided', body: parsed as AcceptedBody, attempts };
    if (res.status === 421 || res.status >= 500 || (res.status === 400 && RETRY_400.has(String(reason)))) {
      // `unavailable` may follow an admitted entry whose commit was not seen in time; no_leader admitted nothing.
      attempts.push({ url, why: `${res.status} ${String(reason)}`, unknown: reason === 'unavailable' || res.status === 500 });
      continue;
    }
    return { kind: 'refused', status: res.status, body: parsed as RefusalBody, attempts };
  }
  return { kind: 'gave-up', attempts };
}
