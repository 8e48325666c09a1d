// Waiting on a cluster from outside, through each replica's GET /health: an agreed leader, or convergence.
import { setTimeout as sleep } from 'node:timers/promises';

export interface HealthView {
  readonly node_id: string;
  readonly status: string;
  readonly state_hash: string;
  readonly consensus: { readonly role: string; readonly term: number; readonly leader_id: string | null; readonly commit_index: number; readonly applied_index: number };
}

/** What the waits need: the replicas, which of them run, and each one's health (null: no answer). */
export interface Watched {
  readonly ids: readonly string[];
  alive(id: string): boolean;
  health(id: string): Promise<HealthView | null>;
}

/** Fetches `url`/health; null when the replica does not answer within 2 s. */
export async function fetchHealth(url: string): Promise<HealthView | null> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as HealthView;
  } catch {
    return null;
  }
}

/** Waits until the live replicas agree on one leader; returns its id. */
export async function agreedLeader(c: Watched, timeoutMs: number, pollMs = 50): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const views = (await Promise.all(c.ids.filter((id) => c.alive(id)).map((id) => c.health(id)))).filter((h) => h !== null);
    const leaders = views.filter((h) => h.consensus.role === 'leader');
    if (leaders.length === 1 && views.every((h) => h.consensus.leader_id === leaders[0]!.node_id)) return leaders[0]!.node_id;
    await sleep(pollMs);
  }
  throw new Error(`no agreed leader within ${timeoutMs} ms`);
}

/** Waits until every live replica has applied the same index with the same state hash; returns their views. */
export async function converged(c: Watched, timeoutMs: number, pollMs = 100): Promise<HealthView[]> {
  const deadline = Date.now() + timeoutMs;
  let last: (HealthView | null)[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(c.ids.filter((id) => c.alive(id)).map((id) => c.health(id)));
    const views = last.filter((h) => h !== null);
    const same = (h: HealthView) => h.consensus.applied_index === views[0]!.consensus.applied_index && h.state_hash === views[0]!.state_hash && h.consensus.applied_index === h.consensus.commit_index;
    if (views.length === last.length && views.every(same)) return views;
    await sleep(pollMs);
  }
  throw new Error(`replicas did not converge within ${timeoutMs} ms: ${JSON.stringify(last.map((h) => h && { id: h.node_id, applied: h.consensus.applied_index, hash: h.state_hash }))}`);
}
