// Shared setup for adapter tests: an in-process replica on a test clock, adapters hosted against it, fakes on loopback.
import { AdapterHost, type HostedAdapter } from '../../src/adapters/adapter-host.ts';
import type { Adapter } from '../../src/adapters/adapter.ts';
import { FactProposer, type FactResult } from '../../src/adapters/fact-proposer.ts';
import type { Json } from '../../src/core/canonical-json.ts';
import type { Genesis } from '../../src/core/genesis.ts';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import type { StateDocument } from '../../src/core/state.ts';
import { createLogger } from '../../src/node/logger.ts';
import type { Replica } from '../../src/node/replica.ts';
import type { SigningKey } from '../../src/workload/signing-key.ts';
import type { RunningFake } from '../../chaos/fakes/index.ts';
import { keys, testGenesis } from '../support/fixtures.ts';
import { cleanup, initDataDir, openReplica, tempDir, type TestClock } from '../support/replica-harness.ts';

export interface Rig {
  readonly clock: TestClock;
  readonly replica: Replica;
  readonly host: AdapterHost;
  readonly hosted: HostedAdapter[];
  state(): StateDocument;
  /** Proposes as one of the test identities (an agent or operator), through the same path adapters use. */
  as(key: SigningKey, role: string, transition: string, inputs: Json): Promise<FactResult>;
  /** One tick of the adapter for `system`. */
  tick(system: string): Promise<void>;
  close(): Promise<void>;
}

export async function rig(clock: TestClock, adapters: { adapter: Adapter; url: string; key: SigningKey; role: string; timeoutMs?: number }[], genesis: Partial<Genesis> = {}): Promise<Rig> {
  const dir = tempDir('adapters');
  await initDataDir(dir, testGenesis(genesis));
  const replica = await openReplica(dir, clock);
  const hosted: HostedAdapter[] = adapters.map((a) => ({ adapter: a.adapter, url: a.url, timeoutMs: a.timeoutMs, identity: { name: a.adapter.system, role: a.role, key: a.key } }));
  const host = new AdapterHost({ service: replica, isLeader: () => true, adapters: hosted, log: createLogger({ level: 'silent' }), now: clock.now });
  const agents = new FactProposer(replica, 'test', clock.now);
  return {
    clock,
    replica,
    host,
    hosted,
    state: () => replica.head().state,
    as: (key, role, transition, inputs) => agents.propose({ name: role, role, key }, { transition, inputs, topic: 'test' }),
    tick: async (system) => {
      const h = hosted.find((x) => x.adapter.system === system);
      if (h === undefined) throw new Error(`no ${system} adapter in this rig`);
      await host.tickOnce(h);
    },
    close: async () => {
      await host.stop();
      await replica.close();
      cleanup(dir);
    },
  };
}

export async function requestCount(fake: RunningFake, route?: string): Promise<number> {
  const s = await fake.stats();
  return Object.entries(s.requests)
    .filter(([k]) => route === undefined || k === route)
    .reduce((n, [, v]) => n + v, 0);
}

export const configOk = (r: Rig) => r.as(keys.op, 'operator', 'Boot_ConfigOk', { config_hash: digestJson({ config: 'test' }) });

export async function metricValue(r: Rig, name: string, labels: Record<string, string>): Promise<number> {
  const m = await r.replica.metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

/** A valid license verdict far in the future, Boot_ConfigOk and Boot_Licensed: the state adapters need to call out. */
export async function licensed(r: Rig): Promise<void> {
  const verdictHash = digestJson({ verdict: 'test' });
  const until = formatHlc({ ms: r.clock.ms + 30 * 86_400_000, logical: 0 });
  const steps = [
    await r.as(keys.lic, 'license_adapter', 'License_RecordVerdict', { verdict: 'valid', verdict_hash: verdictHash, valid_until: until, grace_ms: 60_000 }),
    await configOk(r),
    await r.as(keys.lic, 'license_adapter', 'Boot_Licensed', { verdict_hash: verdictHash }),
  ];
  const bad = steps.find((s) => s.kind !== 'accepted');
  if (bad !== undefined) throw new Error(`licensing the test replica failed: ${bad.kind} ${bad.code} ${bad.reasons.join('; ')}`);
}
