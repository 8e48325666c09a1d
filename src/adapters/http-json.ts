// One JSON request to an external system through the license gate, with a timeout and a typed failure.
import { OutboundRefused, type ExternalSystem, type OutboundGate } from './outbound-gate.ts';

export type HttpFailureKind = 'refused' | 'network' | 'timeout' | 'http' | 'invalid_json';

export type HttpResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly headers: Headers }
  | { readonly ok: false; readonly kind: HttpFailureKind; readonly status: number | null; readonly message: string; readonly retryAfterMs: number };

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

function retryAfter(headers: Headers): number {
  const v = Number(headers.get('retry-after'));
  return Number.isFinite(v) && v > 0 ? Math.min(v, 3600) * 1000 : 0;
}

export async function requestJson(gate: OutboundGate, system: ExternalSystem, url: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await gate.fetch(system, url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
  } catch (e) {
    if (e instanceof OutboundRefused) return { ok: false, kind: 'refused', status: null, message: e.message, retryAfterMs: 0 };
    const name = (e as Error).name;
    const kind = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    return { ok: false, kind, status: null, message: `${system} ${url}: ${kind === 'timeout' ? 'timed out' : (e as Error).message}`, retryAfterMs: 0 };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 304) return { ok: true, status: 304, body: null, headers: res.headers };
  if (!res.ok) {
    return { ok: false, kind: 'http', status: res.status, message: `${system} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, retryAfterMs: retryAfter(res.headers) };
  }
  if (text === '') return { ok: true, status: res.status, body: null, headers: res.headers };
  try {
    return { ok: true, status: res.status, body: JSON.parse(text) as unknown, headers: res.headers };
  } catch {
    return { ok: false, kind: 'invalid_json', status: res.status, message: `${system} ${url}: response is not JSON`, retryAfterMs: 0 };
  }
}
