// The machinery every fake shares: a loopback HTTP server, the /_fake/* control API, injected faults and stats.
// Contract routes are defined per fake; everything here is the same for all six (docs/integrations/README.md).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { validateContract } from '../../src/adapters/contract-schemas.ts';
import { sha256Hex } from '../../src/core/digest.ts';
import { Prng } from '../../src/core/prng.ts';

/** The controls every fake has (defaults in COMMON_DEFAULTS). */
export interface CommonControls {
  latency_ms: number;
  jitter_ms: number;
  error_permille: number;
  error_status: number;
  down: boolean;
  flap: { period_ms: number; down_ms: number } | null;
  deny: boolean;
  throttle: boolean;
}

export const COMMON_DEFAULTS: CommonControls = {
  latency_ms: 0,
  jitter_ms: 0,
  error_permille: 0,
  error_status: 503,
  down: false,
  flap: null,
  deny: false,
  throttle: false,
};

export interface FakeStats {
  requests: Record<string, number>;
  faults: { latency: number; error: number; down: number; denied: number; throttled: number };
}

/** Options every fake accepts. `now` is the wall clock (flap, churn, beats, timestamps); tests inject one. */
export interface CommonOptions {
  host?: string;
  port?: number;
  seed?: number;
  now?: () => number;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The parsed JSON body (undefined when the request had none). */
  readonly body: unknown;
  /** True when the `deny` control is on and the fake answers denial itself (KACHING). */
  readonly denied: boolean;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/elections/:election_id/votes`; also the stats label. */
  readonly pattern: string;
  readonly handler: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;
}

/** Checks one control value; returns why it is refused, or null. */
export type ControlCheck = (value: unknown) => string | null;

export interface FakeSpec<X extends object> {
  readonly kind: string;
  /** The `<system>` of `<system>.error.v1`. */
  readonly system: string;
  readonly routes: readonly Route[];
  /** Extra `/_fake/*` routes (never faulted, never counted). */
  readonly fakeRoutes?: readonly Route[];
  readonly controls: { readonly defaults: X; readonly checks: { readonly [K in keyof X]: ControlCheck } };
  /** The fake answers `deny` itself (req.denied) instead of the common 403. */
  readonly handlesDeny?: boolean;
  /** Called after controls change (e.g. BACKBEAT's stall bookkeeping). */
  onControl?(prev: CommonControls & X, next: CommonControls & X): void;
  /** System state back to its start (controls and stats are reset by the server). */
  reset(): void;
}

export interface RunningFake<C extends CommonControls = CommonControls> {
  readonly kind: string;
  readonly url: string;
  readonly port: number;
  control(partial: Partial<C>): Promise<C>;
  reset(): Promise<C>;
  stats(): Promise<FakeStats>;
  close(): Promise<void>;
}

export class FakeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** A PRNG per purpose, so turning on jitter does not shift which requests get errors. */
export function derivedPrng(seed: number, purpose: string): Prng {
  return new Prng(Number.parseInt(sha256Hex(`${seed}|${purpose}`).slice(0, 8), 16));
}

/** A seeded value in 0..999 for a keyed decision that must not depend on request timing. */
export function keyedPermille(key: string): number {
  return Number.parseInt(sha256Hex(key).slice(0, 8), 16) % 1000;
}

export function errorBody(system: string, code: string, message: string): Record<string, string> {
  return { type: `${system}.error.v1`, code, message };
}

export function fail(status: number, code: string, message: string): never {
  throw new FakeError(status, code, message);
}

// ---- control checks shared by the fakes

export const isInt =
  (lo: number, hi: number): ControlCheck =>
  (v) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? null : `must be an integer in ${lo}..${hi}`;

export const isBool: ControlCheck = (v) => (typeof v === 'boolean' ? null : 'must be a boolean');

const COMMON_CHECKS: { readonly [K in keyof CommonControls]: ControlCheck } = {
  latency_ms: isInt(0, 600_000),
  jitter_ms: isInt(0, 600_000),
  error_permille: isInt(0, 1000),
  error_status: isInt(400, 599),
  down: isBool,
  deny: isBool,
  throttle: isBool,
  flap: (v) => {
    if (v === null) return null;
    const f = v as { period_ms?: unknown; down_ms?: unknown };
    if (typeof v !== 'object' || Array.isArray(v)) return 'must be null or {period_ms, down_ms}';
    if (isInt(1, 86_400_000)(f.period_ms) !== null) return 'period_ms must be an integer in 1..86400000';
    if (!Number.isInteger(f.down_ms) || (f.down_ms as number) < 0 || (f.down_ms as number) > (f.period_ms as number)) return 'down_ms must be an integer in 0..period_ms';
    return null;
  },
};

/** Starts a fake: listens, and returns the in-process handle (the same operations as /_fake/*). */
export function startFakeServer<X extends object>(spec: FakeSpec<X>, options: CommonOptions): Promise<RunningFake<CommonControls & X>> {
  type C = CommonControls & X;
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const defaults = (): C => structuredClone({ ...COMMON_DEFAULTS, ...spec.controls.defaults }) as C;
  const checks: Record<string, ControlCheck> = { ...COMMON_CHECKS, ...(spec.controls.checks as Record<string, ControlCheck>) };

  let controls = defaults();
  let stats = emptyStats();
  let jitterPrng = derivedPrng(seed, 'jitter');
  let errorPrng = derivedPrng(seed, 'error');
  // Flap is counted from the moment it was set, so a test (or chaos step) knows where in the period it is.
  let flapSince = now();
  const timers = new Set<NodeJS.Timeout>();

  function applyControl(partial: unknown): C {
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) fail(400, 'invalid_request', 'controls must be a JSON object');
    const reasons: string[] = [];
    for (const [key, value] of Object.entries(partial)) {
      const check = checks[key];
      if (check === undefined) reasons.push(`${key}: not a control of the ${spec.kind} fake`);
      else {
        const why = check(value);
        if (why !== null) reasons.push(`${key}: ${why}`);
      }
    }
    if (reasons.length > 0) fail(400, 'invalid_request', reasons.join('; '));
    const prev = controls;
    controls = { ...controls, ...structuredClone(partial) } as C;
    if ('flap' in partial) flapSince = now();
    spec.onControl?.(prev, controls);
    return structuredClone(controls);
  }

  function resetAll(): C {
    const prev = controls;
    controls = defaults();
    stats = emptyStats();
    jitterPrng = derivedPrng(seed, 'jitter');
    errorPrng = derivedPrng(seed, 'error');
    flapSince = now();
    spec.onControl?.(prev, controls);
    spec.reset();
    return structuredClone(controls);
  }

  function isDown(): boolean {
    if (controls.down) return true;
    const f = controls.flap;
    return f !== null && (now() - flapSince) % f.period_ms < f.down_ms;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  const fakeRoutes: Route[] = [
    { method: 'GET', pattern: '/_fake/control', handler: () => ({ status: 200, body: structuredClone(controls) }) },
    { method: 'POST', pattern: '/_fake/control', handler: (req) => ({ status: 200, body: applyControl(req.body) }) },
    { method: 'POST', pattern: '/_fake/reset', handler: () => ({ status: 200, body: resetAll() }) },
    { method: 'GET', pattern: '/_fake/stats', handler: () => ({ status: 200, body: structuredClone(stats) }) },
    ...(spec.fakeRoutes ?? []),
  ];

  async function contract(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = matchRoute(spec.routes, req.method ?? 'GET', url.pathname);
    const label = `${req.method ?? 'GET'} ${match.route?.pattern ?? '*'}`;
    stats.requests[label] = (stats.requests[label] ?? 0) + 1;
    if (isDown()) {
      stats.faults.down++;
      req.socket.destroy();
      return;
    }
    const delay = controls.latency_ms + (controls.jitter_ms > 0 ? jitterPrng.int(0, controls.jitter_ms) : 0);
    if (delay > 0) {
      stats.faults.latency++;
      await sleep(delay);
    }
    if (controls.throttle) {
      stats.faults.throttled++;
      return send(res, { status: 429, headers: { 'retry-after': '1' }, body: errorBody(spec.system, 'throttled', 'throttled by the fake; retry after 1 s') });
    }
    if (controls.error_permille > 0 && errorPrng.chance(controls.error_permille)) {
      stats.faults.error++;
      return send(res, { status: controls.error_status, body: errorBody(spec.system, 'injected_error', `error injected by the fake (HTTP ${controls.error_status})`) });
    }
    if (match.route === undefined) return send(res, notMatched(spec.system, match, req.method, url.pathname));
    if (controls.deny && spec.handlesDeny !== true) {
      stats.faults.denied++;
      return send(res, { status: 403, body: errorBody(spec.system, 'denied', `the ${spec.kind} fake denies every request (control deny)`) });
    }
    if (controls.deny) stats.faults.denied++;
    await dispatch(res, req, url, match.route, match.params, controls.deny);
  }

  async function dispatch(res: ServerResponse, req: IncomingMessage, url: URL, route: Route, params: Record<string, string>, denied: boolean): Promise<void> {
    // Only POST carries a message; a stray GET body is ignored rather than judged.
    const body = route.method === 'POST' ? await readBody(req) : undefined;
    const request: FakeRequest = { method: route.method, path: url.pathname, params, query: url.searchParams, headers: req.headers, body, denied };
    send(res, await route.handler(request));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://fake.invalid');
    } catch {
      return send(res, { status: 400, body: errorBody(spec.system, 'invalid_request', 'unparseable request target') });
    }
    try {
      if (url.pathname.startsWith('/_fake/')) {
        const match = matchRoute(fakeRoutes, req.method ?? 'GET', url.pathname);
        if (match.route === undefined) return send(res, notMatched(spec.system, match, req.method, url.pathname));
        return await dispatch(res, req, url, match.route, match.params, false);
      }
      await contract(req, res, url);
    } catch (e) {
      if (e instanceof FakeError) return send(res, { status: e.status, body: errorBody(spec.system, e.code, e.message) });
      send(res, { status: 500, body: errorBody(spec.system, 'internal_error', (e as Error).message) });
    }
  }

  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => void handle(req, res));
    server.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.once('error', reject);
    const host = options.host ?? '127.0.0.1';
    server.listen(options.port ?? 0, host, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        kind: spec.kind,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        control: async (partial) => applyControl(partial),
        reset: async () => resetAll(),
        stats: async () => structuredClone(stats),
        close: () =>
          new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t);
            timers.clear();
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

function emptyStats(): FakeStats {
  return { requests: {}, faults: { latency: 0, error: 0, down: 0, denied: 0, throttled: 0 } };
}

type RouteMatch = { route: Route; params: Record<string, string>; pathMatched: true } | { route: undefined; params: Record<string, string>; pathMatched: boolean };

function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPattern(route.pattern, path);
    if (params === null) continue;
    if (route.method === method) return { route, params, pathMatched: true };
    pathMatched = true;
  }
  return { route: undefined, params: {}, pathMatched };
}

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return null;
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        fail(400, 'invalid_request', `path segment ${g} is not valid percent-encoding`);
      }
      params[w.slice(1)] = value;
    } else if (w !== g) return null;
  }
  return params;
}

function notMatched(system: string, match: RouteMatch, method: string | undefined, path: string): FakeResponse {
  return match.pathMatched
    ? { status: 405, body: errorBody(system, 'method_not_allowed', `${method ?? ''} is not allowed on ${path}`) }
    : { status: 404, body: errorBody(system, 'not_found', `${method ?? ''} ${path} is not an endpoint of this fake`) };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) fail(413, 'payload_too_large', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    fail(400, 'invalid_request', `the body is not JSON: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, r: FakeResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  if (r.body === undefined) {
    res.writeHead(r.status, headers).end();
    return;
  }
  const text = JSON.stringify(r.body);
  headers['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(r.status, headers).end(text);
}

/** A request body must be the contract message `type`; otherwise 400 invalid_request naming the reasons. */
export function requireMessage(type: string, body: unknown): void {
  const check = validateContract(type, body);
  if (!check.ok) fail(400, 'invalid_request', `not a valid ${type}: ${check.reasons.join('; ')}`);
}

/** RFC 3339 UTC with milliseconds, the contracts' time form. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
