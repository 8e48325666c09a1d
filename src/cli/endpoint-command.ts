// `swoosh endpoint health|status|hash`: etcdctl-shaped operator views over each endpoint's /health.
import { parseArgs } from 'node:util';
import { printJson, UsageError } from './cli-io.ts';
import { DEFAULT_CLUSTER_ENDPOINTS, endpointsOf, firstAnswer } from './endpoints.ts';
import { table } from './table.ts';

interface Row {
  readonly endpoint: string;
  readonly ok: boolean;
  readonly error: string | null;
  readonly health: Record<string, unknown> | null;
  readonly took_ms: number;
}

async function probe(endpoint: string, timeoutMs: number): Promise<Row> {
  const started = Date.now();
  try {
    const res = await fetch(`${endpoint.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const health = (await res.json()) as Record<string, unknown>;
    return { endpoint, ok: res.ok && health['status'] !== 'failed', error: res.ok ? null : `HTTP ${res.status}`, health, took_ms: Date.now() - started };
  } catch (e) {
    return { endpoint, ok: false, error: (e as Error).message, health: null, took_ms: Date.now() - started };
  }
}

export async function endpointCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { endpoints: { type: 'string' }, cluster: { type: 'boolean' }, 'write-out': { type: 'string', short: 'w' }, 'command-timeout': { type: 'string' } },
  });
  const sub = positionals[0];
  if (sub !== 'health' && sub !== 'status' && sub !== 'hash') throw new UsageError('usage: swoosh endpoint health|status|hash [--endpoints URL,URL] [--cluster] [-w table|json]');
  let list = endpointsOf(values.endpoints, DEFAULT_CLUSTER_ENDPOINTS);
  // --cluster: every member, as the first answering replica lists them (etcdctl's --cluster).
  if (values.cluster === true) list = (await firstAnswer<{ members: { http: string }[] }>(list, '/members')).body.members.map((m) => m.http);
  const format = values['write-out'] ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('-w takes table or json');
  const rows = await Promise.all(list.map((e) => probe(e, Number(values['command-timeout'] ?? 5000))));
  for (const r of rows) if (!r.ok) process.stderr.write(`${r.endpoint} is unhealthy: ${r.error ?? String(r.health?.['status'])}\n`);
  const c = (r: Row) => (r.health?.['consensus'] ?? {}) as Record<string, unknown>;
  if (format === 'json') {
    printJson(rows.map((r) => ({ endpoint: r.endpoint, ok: r.ok, error: r.error, took_ms: r.took_ms, ...(sub === 'health' ? { status: r.health?.['status'] ?? null } : sub === 'hash' ? { applied_index: c(r)['applied_index'] ?? null, state_hash: r.health?.['state_hash'] ?? null } : { health: r.health }) })));
  } else if (sub === 'health') {
    process.stdout.write(table(['ENDPOINT', 'HEALTH', 'STATUS', 'TOOK', 'ERROR'], rows.map((r) => [r.endpoint, String(r.ok), String(r.health?.['status'] ?? '-'), `${r.took_ms}ms`, r.error ?? ''])));
  } else if (sub === 'hash') {
    process.stdout.write(table(['ENDPOINT', 'APPLIED INDEX', 'STATE HASH'], rows.map((r) => [r.endpoint, String(c(r)['applied_index'] ?? '-'), String(r.health?.['state_hash'] ?? '-')])));
  } else {
    process.stdout.write(
      table(
        ['ENDPOINT', 'ID', 'LEADER', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'SNAPSHOT', 'STATE HASH'],
        rows.map((r) => [r.endpoint, String(r.health?.['node_id'] ?? '-'), String(c(r)['leader_id'] ?? '-'), String(c(r)['role'] ?? '-'), String(c(r)['term'] ?? '-'), String(c(r)['commit_index'] ?? '-'), String(c(r)['applied_index'] ?? '-'), String(c(r)['snapshot_index'] ?? '-'), String(r.health?.['state_hash'] ?? '-')]),
      ),
    );
  }
  return rows.every((r) => r.ok) ? 0 : 1;
}
