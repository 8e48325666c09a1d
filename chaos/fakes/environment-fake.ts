// Environment fake (docs/integrations/environment.md): GPU/CPU capacity, allocations, and capacity churn.
import {
  derivedPrng,
  fail,
  requireMessage,
  startFakeServer,
  type CommonControls,
  type CommonOptions,
  type ControlCheck,
  type FakeResponse,
  type RunningFake,
} from './fake-server.ts';

export type Resource = 'gpu' | 'cpu';
export type Units = Record<Resource, number>;
const RESOURCES: readonly Resource[] = ['gpu', 'cpu'];

export interface EnvironmentFakeOptions extends CommonOptions {
  /** Totals (default 8 GPUs, 64 CPUs). */
  capacity?: Units;
}

export interface EnvironmentExtraControls {
  capacity: Units;
  churn: { period_ms: number; low_permille: number } | null;
}

export interface EnvironmentControls extends CommonControls, EnvironmentExtraControls {}

const isUnits: ControlCheck = (v) => {
  const u = v as Partial<Record<Resource, unknown>> | null;
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return 'must be {gpu, cpu}';
  for (const r of RESOURCES) if (!Number.isInteger(u[r]) || (u[r] as number) < 0 || (u[r] as number) > 1_000_000) return `${r} must be an integer in 0..1000000`;
  return null;
};

const isChurn: ControlCheck = (v) => {
  if (v === null) return null;
  const c = v as { period_ms?: unknown; low_permille?: unknown };
  if (typeof v !== 'object' || Array.isArray(v)) return 'must be null or {period_ms, low_permille}';
  if (!Number.isInteger(c.period_ms) || (c.period_ms as number) < 2 || (c.period_ms as number) > 86_400_000) return 'period_ms must be an integer in 2..86400000';
  if (!Number.isInteger(c.low_permille) || (c.low_permille as number) < 0 || (c.low_permille as number) > 1000) return 'low_permille must be an integer in 0..1000';
  return null;
};

export function startEnvironmentFake(options: EnvironmentFakeOptions = {}): Promise<RunningFake<EnvironmentControls>> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const initial: Units = { ...(options.capacity ?? { gpu: 8, cpu: 64 }) };
  let totals: Units = { ...initial };
  let churn: EnvironmentExtraControls['churn'] = null;
  // Churn is counted from when it was set: the first half of every period is the low half.
  let churnSince = now();
  let allocations = new Map<string, Units>();
  let ids = derivedPrng(seed, 'environment-allocation');

  function free(r: Resource): number {
    let used = 0;
    for (const a of allocations.values()) used += a[r];
    let f = Math.max(0, totals[r] - used);
    if (churn !== null && (now() - churnSince) % churn.period_ms < churn.period_ms / 2) f = Math.min(f, Math.floor((totals[r] * churn.low_permille) / 1000));
    return f;
  }

  const capacity = (): FakeResponse => ({
    status: 200,
    body: { type: 'environment.capacity.v1', resources: { gpu: { total: totals.gpu, free: free('gpu') }, cpu: { total: totals.cpu, free: free('cpu') } } },
  });

  function allocate(body: unknown): FakeResponse {
    requireMessage('environment.allocate.v1', body);
    const asked = (body as { resources: Partial<Units> }).resources;
    const want: Units = { gpu: asked.gpu ?? 0, cpu: asked.cpu ?? 0 };
    const short = RESOURCES.filter((r) => want[r] > free(r));
    if (short.length > 0) fail(409, 'insufficient_capacity', short.map((r) => `${r}: asked ${want[r]}, free ${free(r)}`).join('; '));
    const id = `alloc-${ids.hex(16)}`;
    allocations.set(id, want);
    return { status: 201, body: { type: 'environment.allocation.v1', allocation_id: id, resources: want } };
  }

  function release(id: string): FakeResponse {
    if (!allocations.delete(id)) fail(404, 'unknown_allocation', `no allocation ${id}`);
    return { status: 204 };
  }

  return startFakeServer<EnvironmentExtraControls>(
    {
      kind: 'environment',
      system: 'environment',
      controls: { defaults: { capacity: { ...initial }, churn: null }, checks: { capacity: isUnits, churn: isChurn } },
      onControl: (prev, next) => {
        totals = { ...next.capacity };
        if (prev.churn !== next.churn) churnSince = now();
        churn = next.churn;
      },
      reset: () => {
        allocations = new Map();
        ids = derivedPrng(seed, 'environment-allocation');
      },
      routes: [
        { method: 'GET', pattern: '/v1/capacity', handler: capacity },
        { method: 'POST', pattern: '/v1/allocations', handler: (req) => allocate(req.body) },
        { method: 'DELETE', pattern: '/v1/allocations/:allocation_id', handler: (req) => release(req.params.allocation_id!) },
      ],
    },
    options,
  );
}
