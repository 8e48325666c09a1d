// Cluster operator endpoints (docs/admin.md): GET /members, and POST /admin for signed operator requests.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { verifyAdminRequest } from './admin-request.ts';
import { forwardToLeader } from './forward.ts';
import { problem } from './problem.ts';
import type { ClusterAdmin } from './replica-service.ts';
import { readJsonBody } from './json-body.ts';

export function getMembers(c: Context, admin: ClusterAdmin): Response {
  return c.json(admin.membersView());
}

export async function postAdmin(c: Context, admin: ClusterAdmin): Promise<Response> {
  const read = await readJsonBody(c);
  if (!read.ok) return read.response;
  const { text, body } = read;
  // Every replica checks the signature before acting or forwarding: unsigned requests go no further.
  const v = verifyAdminRequest(body, admin.clusterId, Date.now(), admin.identities());
  if (!v.ok) return problem(c, v.code, [v.reason]);
  const result = await admin.execute(v.request);
  if (result.kind === 'not-leader') return forwardToLeader(c, result.leader, '/admin', text);
  if (result.kind === 'refused') return problem(c, result.code, result.reasons);
  return c.json(result.body, 200 as ContentfulStatusCode);
}
