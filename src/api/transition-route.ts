// POST /transition: the proposal contract over HTTP (docs/api.md).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { httpStatusOf } from '../core/reason-codes.ts';
import type { ReplicaService } from './replica-service.ts';
import { problem } from './problem.ts';

export const MAX_REQUEST_BYTES = 512 * 1024;

export async function postTransition(c: Context, replica: ReplicaService): Promise<Response> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return problem(c, 'unsupported_media_type', [`Content-Type is ${type || 'missing'}; send application/json`]);
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_REQUEST_BYTES) return problem(c, 'payload_too_large', [`the body is ${declared} bytes; the maximum is ${MAX_REQUEST_BYTES}`]);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) return problem(c, 'payload_too_large', [`the body exceeds ${MAX_REQUEST_BYTES} bytes`]);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return problem(c, 'invalid_json', [(e as Error).message]);
  }
  const header = c.req.header('idempotency-key');
  const idem = (body as { idem_key?: unknown } | null)?.idem_key;
  if (header !== undefined && header !== idem) {
    return problem(c, 'idempotency_key_mismatch', [`Idempotency-Key ${JSON.stringify(header)} differs from idem_key ${JSON.stringify(idem)}`]);
  }

  const admission = await replica.submit(body);
  if (admission.kind === 'refused') return problem(c, admission.code, admission.reasons);
  if (admission.kind === 'not-leader') return forwardToLeader(c, admission.leader, text, header);
  const o = admission.outcome;
  if (o.status === 'rejected') {
    return c.json(
      // current_state_hash is the HEAD the proposal was checked against (admitted writes included).
      { reason: o.code, failing_guard: o.failing_guard, reasons: o.reasons, current_state_hash: o.state_post_hash, decision_record: admission.decision },
      httpStatusOf(o.code!) as ContentfulStatusCode,
    );
  }
  return c.json(
    { index: o.index, hlc: o.hlc, state_post_hash: o.state_post_hash, decision_record_id: o.decision_record_id, duplicate: o.duplicate, status: o.status, code: o.code, reasons: o.reasons },
    202,
  );
}

/** Header marking a request one replica forwarded to another, so a stale leader hint cannot make a loop. */
export const FORWARDED_HEADER = 'x-swoosh-forwarded';
const FORWARD_TIMEOUT_MS = 15_000;

/**
 * A follower forwards a proposal to the leader once and relays its answer, so every replica offers the same
 * API. A request that was already forwarded is answered 421 naming the leader instead (docs/api.md).
 */
async function forwardToLeader(c: Context, leader: { id: string; http: string } | null, body: string, idemHeader: string | undefined): Promise<Response> {
  if (leader === null) return problem(c, 'no_leader', ['no leader is known right now (an election is running or a majority is unreachable); retry shortly']);
  if (c.req.header(FORWARDED_HEADER) !== undefined) {
    return problem(c, 'not_leader', [`this replica is not the leader; send the proposal to ${leader.http}`], { leader_id: leader.id, leader_url: leader.http });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', [FORWARDED_HEADER]: '1' };
  if (idemHeader !== undefined) headers['idempotency-key'] = idemHeader;
  let res: Response;
  try {
    res = await fetch(`${leader.http}/transition`, { method: 'POST', headers, body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
  } catch (e) {
    return problem(c, 'unavailable', [`forwarding to the leader ${leader.id} at ${leader.http} failed: ${(e as Error).message}; the outcome is unknown, retry with the same idem_key`]);
  }
  const out = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/json' });
  const retry = res.headers.get('retry-after');
  if (retry !== null) out.set('retry-after', retry);
  return new Response(await res.text(), { status: res.status, headers: out });
}
