// Which replicas an operator command talks to: --endpoints, else SWOOSH_ENDPOINTS, else the local default.
import { UsageError } from './cli-io.ts';

/** The local cluster `npm start` runs; its first replica answers for the cluster. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:7071';
/** The replicas `npm start` (swoosh cluster up) serves: the default for the operator views. */
export const DEFAULT_CLUSTER_ENDPOINTS = 'http://127.0.0.1:7071,http://127.0.0.1:7072,http://127.0.0.1:7073';

export function endpointsOf(value: string | undefined, fallback = DEFAULT_ENDPOINT): string[] {
  const list = (value ?? process.env['SWOOSH_ENDPOINTS'] ?? fallback).split(',').map((e) => e.trim().replace(/\/+$/, '')).filter(Boolean);
  if (list.length === 0) throw new UsageError('--endpoints (or SWOOSH_ENDPOINTS) names no endpoint');
  return list;
}

/** The first endpoint that answers; a cluster operation needs one live replica, not all of them. */
export async function firstAnswer<T>(endpoints: readonly string[], path: string): Promise<{ endpoint: string; body: T }> {
  const errors: string[] = [];
  for (const e of endpoints) {
    try {
      const res = await fetch(`${e}${path}`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return { endpoint: e, body: (await res.json()) as T };
      errors.push(`${e}: HTTP ${res.status}${res.status === 404 ? ' (not a cluster replica?)' : ''}`);
    } catch (err) {
      errors.push(`${e}: ${(err as Error).message}`);
    }
  }
  throw new UsageError(`no endpoint answered GET ${path}: ${errors.join('; ')}`);
}

