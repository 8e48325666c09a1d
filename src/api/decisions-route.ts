// GET /decisions/{id} and the paginated DR feed GET /decisions?after=INDEX&limit=N.
import type { Context } from 'hono';
import type { ReplicaService } from './replica-service.ts';
import { problem } from './problem.ts';

const HASH = /^sha256-[0-9a-f]{64}$/;
export const MAX_FEED_LIMIT = 1000;

export async function getDecision(c: Context, replica: ReplicaService): Promise<Response> {
  // Accept the bare hash or the whole bubble://dr/ address (URL-encoded).
  const id = decodeURIComponent(c.req.param('id') ?? '').replace(/^bubble:\/\/dr\//, '');
  if (!HASH.test(id)) return problem(c, 'invalid_query', ['a decision id is sha256-<64 hex> or bubble://dr/sha256-<64 hex>']);
  const record = await replica.decision(id);
  if (record === null) return problem(c, 'not_found', [`no decision record ${id}`]);
  return c.json(record);
}

function intParam(value: string | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : null;
}

export async function getDecisions(c: Context, replica: ReplicaService): Promise<Response> {
  const after = intParam(c.req.query('after'), 0);
  const limit = intParam(c.req.query('limit'), 100);
  if (after === null || limit === null || limit < 1 || limit > MAX_FEED_LIMIT) {
    return problem(c, 'invalid_query', [`after is a log index (default 0); limit is 1..${MAX_FEED_LIMIT} (default 100)`]);
  }
  const items = await replica.decisions(after, limit);
  return c.json({ items, next_after: items.length === limit ? items[items.length - 1]!.index : null });
}
