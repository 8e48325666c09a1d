// POST /transition: the proposal contract over HTTP (docs/api.md).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { httpStatusOf } from '../core/reason-codes.ts';
import type { ReplicaService } from './replica-service.ts';
import { forwardToLeader } from './forward.ts';
import { readJsonBody } from './json-body.ts';
import { problem } from './problem.ts';


export async function postTransition(c: Context, replica: ReplicaService): Promise<Response> {
  const read = await readJsonBody(c);
  if (!read.ok) return read.response;
  const { text, body } = read;
  const header = c.req.header('idempotency-key');
  const idem = (body as { idem_key?: unknown } | null)?.idem_key;
  if (header !== undefined && header !== idem) {
    return problem(c, 'idempotency_key_mismatch', [`Idempotency-Key ${JSON.stringify(header)} differs from idem_key ${JSON.stringify(idem)}`]);
  }

  const admission = await replica.submit(body);
  if (admission.kind === 'refused') return problem(c, admission.code, admission.reasons);
  if (admission.kind === 'not-leader') return forwardToLeader(c, admission.leader, '/transition', text, header === undefined ? {} : { 'idempotency-key': header });
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
