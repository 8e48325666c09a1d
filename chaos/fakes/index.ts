// Starting the fakes: one by kind, or all six on consecutive ports (what `swoosh fakes up` runs).
import { startBackbeatFake, type BackbeatControls, type BackbeatFakeOptions } from './backbeat-fake.ts';
import { startEnvironmentFake, type EnvironmentControls, type EnvironmentFakeOptions } from './environment-fake.ts';
import type { CommonOptions, RunningFake } from './fake-server.ts';
import { startHmmmFake, type HmmmControls, type HmmmFakeOptions } from './hmmm-fake.ts';
import { startKachingFake, type KachingControls, type KachingFakeOptions } from './kaching-fake.ts';
import { startMcpFake, type McpControls, type McpFakeOptions } from './mcp-fake.ts';
import { startShhhFake, type ShhhControls, type ShhhFakeOptions } from './shhh-fake.ts';

export type { CommonControls, CommonOptions, FakeStats, RunningFake } from './fake-server.ts';

/** In port order: `startAllFakes` gives kind i the port `port_base + i`. */
export const FAKE_KINDS = ['kaching', 'backbeat', 'hmmm', 'mcp', 'shhh', 'environment'] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

export interface FakeOptionsByKind {
  kaching: KachingFakeOptions;
  backbeat: BackbeatFakeOptions;
  hmmm: HmmmFakeOptions;
  mcp: McpFakeOptions;
  shhh: ShhhFakeOptions;
  environment: EnvironmentFakeOptions;
}

export interface ControlsByKind {
  kaching: KachingControls;
  backbeat: BackbeatControls;
  hmmm: HmmmControls;
  mcp: McpControls;
  shhh: ShhhControls;
  environment: EnvironmentControls;
}

const STARTERS: { [K in FakeKind]: (options: FakeOptionsByKind[K]) => Promise<RunningFake<ControlsByKind[K]>> } = {
  kaching: startKachingFake,
  backbeat: startBackbeatFake,
  hmmm: startHmmmFake,
  mcp: startMcpFake,
  shhh: startShhhFake,
  environment: startEnvironmentFake,
};

export function isFakeKind(value: string): value is FakeKind {
  return (FAKE_KINDS as readonly string[]).includes(value);
}

/** Starts one fake in-process; it listens on `host` (127.0.0.1) and `port` (0: any free port). */
export async function startFake<K extends FakeKind>(kind: K, options: FakeOptionsByKind[K] = {}): Promise<RunningFake<ControlsByKind[K]>> {
  const start = STARTERS[kind] as (o: FakeOptionsByKind[K]) => Promise<RunningFake<ControlsByKind[K]>>;
  return start(options);
}

export interface AllFakesOptions {
  host?: string;
  /** Kind i listens on port_base + i; 0 (the default) gives each a free port. */
  port_base?: number;
  seed?: number;
  now?: () => number;
  tempo_bpm?: number;
  /** Options for single fakes, over the shared ones above. */
  per_kind?: { [K in FakeKind]?: FakeOptionsByKind[K] };
}

export interface AllFakes {
  readonly fakes: { readonly [K in FakeKind]: RunningFake<ControlsByKind[K]> };
  readonly urls: Record<FakeKind, string>;
  close(): Promise<void>;
}

/** Starts all six; if one fails to start, the ones already started are closed before the error is rethrown. */
export async function startAllFakes(options: AllFakesOptions = {}): Promise<AllFakes> {
  const started: RunningFake[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(started.map((f) => f.close()));
  };
  try {
    const fakes: Partial<Record<FakeKind, RunningFake>> = {};
    for (const [i, kind] of FAKE_KINDS.entries()) {
      const common: CommonOptions = {
        host: options.host ?? '127.0.0.1',
        port: options.port_base === undefined || options.port_base === 0 ? 0 : options.port_base + i,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.now === undefined ? {} : { now: options.now }),
      };
      const extra = kind === 'backbeat' && options.tempo_bpm !== undefined ? { tempo_bpm: options.tempo_bpm } : {};
      const fake = await startFake(kind, { ...common, ...extra, ...options.per_kind?.[kind] });
      started.push(fake as RunningFake);
      fakes[kind] = fake as RunningFake;
    }
    const all = fakes as AllFakes['fakes'];
    const urls = Object.fromEntries(FAKE_KINDS.map((k) => [k, all[k].url])) as Record<FakeKind, string>;
    return { fakes: all, urls, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
