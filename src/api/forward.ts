// Followers forward writes (proposals, operator requests) to the leader once and relay its answer (docs/api.md).
import type { Context } from 'hono';
import { problem } from './problem.ts';
import type { LeaderAddress } from './replica-service.ts';

/** Marks a request one replica forwarded to another, so a stale leader hint cannot make a loop. */
export const FORWARDED_HEADER = 'x-swoosh-forwarded';
const FORWARD_TIMEOUT_MS = 15_000;

/** A request that was already forwarded is answered 421 naming the leader instead of being forwarded again. */
export async function forwardToLeader(c: Context, leader: LeaderAddress | null, path: string, body: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
  if (leader === null) return problem(c, 'no_leader', ['no leader is known right now (an election is running or a majority is unreachable); retry shortly']);
  if (c.req.header(FORWARDED_HEADER) !== undefined) {
    return problem(c, 'not_leader', [`this replica is not the leader; send the request to ${leader.http}`], { leader_id: leader.id, leader_url: leader.http });
  }
  let res: Response;
  try {
    res = await fetch(`${leader.via ?? leader.http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [FORWARDED_HEADER]: '1', ...extraHeaders }, body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
  } catch (e) {
    return problem(c, 'unavailable', [`forwarding to the leader ${leader.id} at ${leader.http} failed: ${(e as Error).message}; the outcome is unknown, retry (a proposal with the same idem_key)`]);
  }
  const out = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/json' });
  const retry = res.headers.get('retry-after');
  if (retry !== null) out.set('retry-after', retry);
  return new Response(await res.text(), { status: res.status, headers: out });
}
