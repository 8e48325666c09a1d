// GET /state, /health, /metrics and /capabilities.
import type { Context } from 'hono';
import { MACHINE_VERSION, STATECHART_HASH } from '../generated/statechart.ts';
import { LIMITS } from '../core/proposal.ts';
import { JSON_SECTIONS, type StateDocument } from '../core/state.ts';
import type { ReplicaService } from './replica-service.ts';
import { problem } from './problem.ts';
import { MAX_REQUEST_BYTES } from './json-body.ts';

const PROJECTIONS = [...JSON_SECTIONS, 'dedupe'] as const;

function section(state: StateDocument, name: (typeof PROJECTIONS)[number]): unknown {
  // The dedupe table can hold a year of keys: reads get its size and set hash, not its rows.
  return name === 'dedupe' ? { size: state.dedupe.size, digest: state.dedupe.digest() } : state[name];
}

/** GET /state?projection=Council,Ingestion: names are the state sections, case-insensitive. */
export async function getState(c: Context, replica: ReplicaService): Promise<Response> {
  const consistency = c.req.query('consistency') ?? 'linearizable';
  if (consistency !== 'linearizable' && consistency !== 'stale') return problem(c, 'invalid_query', ['consistency is linearizable (default) or stale']);
  const param = c.req.query('projection');
  const wanted = param === undefined || param === '' ? [...PROJECTIONS] : param.split(',').map((p) => p.trim().toLowerCase());
  const unknown = wanted.filter((w) => !(PROJECTIONS as readonly string[]).includes(w));
  if (unknown.length > 0) return problem(c, 'invalid_query', [`unknown projection ${unknown.join(', ')}; known: ${PROJECTIONS.join(', ')}`]);
  const read = await replica.read(consistency);
  if (!read.ok) return problem(c, read.code, read.reasons);
  const head = read.view;
  const projection = Object.fromEntries(wanted.map((w) => [w, section(head.state, w as (typeof PROJECTIONS)[number])]));
  return c.json({ hash: head.hash, index: head.index, hlc: head.hlc, consistency, ...(head.staleness === undefined ? {} : { staleness: head.staleness }), projection });
}

export function getHealth(c: Context, replica: ReplicaService): Response {
  const h = replica.health();
  return c.json(h, h['status'] === 'failed' ? 503 : 200);
}

export async function getMetrics(c: Context, replica: ReplicaService): Promise<Response> {
  c.header('Content-Type', replica.metrics.registry.contentType);
  return c.body(await replica.metrics.registry.metrics());
}

/** Versioned features with their parameters, so clients can negotiate instead of guessing (docs/api.md). */
export function getCapabilities(c: Context, replica: ReplicaService): Response {
  return c.json({
    features: [
      { name: 'proposal', version: 1, params: { signature: 'ed25519-rfc8032-strict', canonical_json: 'rfc8785', hash: 'sha256', limits: { ...LIMITS, request_bytes: MAX_REQUEST_BYTES } } },
      { name: 'dedupe', version: 1, params: { mode: 'replicated-state', scope: 'idem_key', retention_ms: replica.retentionMs, expiry_clock: 'hlc' } },
      { name: 'state_hash', version: 1, params: { sections: 'sha256-per-section', dedupe_set: 'lthash16-shake256' } },
      { name: 'statechart', version: MACHINE_VERSION, params: { statechart_hash: STATECHART_HASH } },
      { name: 'consistency', version: 1, params: replica.consistency },
      { name: 'decisions_feed', version: 1, params: { max_limit: 1000 } },
    ],
  });
}
