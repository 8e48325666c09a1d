// `swoosh cluster up`'s demo: the fake external systems at the URLs in adapters.json, the demo agents, and the
// decision-record feed, all in the `cluster up` process (the replicas run the adapters).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAdaptersConfig } from '../adapters/adapters-config.ts';
import { digestJson } from '../core/digest.ts';
import { loadSecrets } from '../secrets/age-secrets.ts';
import { parseKeyFile } from '../sdk/proposal-signer.ts';
import { SigningKey } from '../workload/signing-key.ts';
import { startFake, type FakeKind, type RunningFake } from '../../chaos/fakes/index.ts';
import { DecisionFeed } from './decision-feed.ts';
import { DemoAgents, type DemoKeys } from './demo-agents.ts';

/** BACKBEAT tempo of the demo: 240 bpm is a 30 s bar (10 s per phase), so an EXECUTION loop takes about 30 s. */
export const DEMO_TEMPO_BPM = 240;

export interface DemoOptions {
  readonly dir: string;
  readonly endpoints: readonly string[];
  readonly say: (line: string) => void;
  readonly agents: boolean;
  readonly tempoBpm?: number;
}

export interface RunningDemo {
  readonly fakes: Partial<Record<FakeKind, RunningFake>>;
  stop(): Promise<void>;
}

async function key(dir: string, name: string): Promise<SigningKey> {
  const k = parseKeyFile(JSON.parse(await readFile(join(dir, 'keys', `${name}.key`), 'utf8')));
  if (!k.ok) throw new Error(`keys/${name}.key: ${k.reason}`);
  return new SigningKey(k.secret);
}

/** The agents' keys, from the plaintext key files `cluster init` writes under DIR/keys. */
export async function loadDemoKeys(dir: string): Promise<DemoKeys> {
  return {
    operator: await key(dir, 'operator'),
    ingestion: await key(dir, 'ingestion-worker'),
    council: await key(dir, 'council-agent'),
    voters: [await key(dir, 'voter-1'), await key(dir, 'voter-2'), await key(dir, 'voter-3')],
    environment: await key(dir, 'environment-agent'),
    executor: await key(dir, 'executor'),
    reviewers: [await key(dir, 'reviewer-1'), await key(dir, 'reviewer-2')],
  };
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const path = join(o.dir, 'adapters.json');
  const config = parseAdaptersConfig(JSON.parse(await readFile(path, 'utf8')), path);
  const secrets = await loadSecrets(join(o.dir, config.secrets), config.age_identity === undefined ? {} : join(o.dir, config.age_identity));
  const fakes: Partial<Record<FakeKind, RunningFake>> = {};
  const host = (url: string) => ({ host: new URL(url).hostname, port: portOf(url) });
  try {
    if (config.kaching !== undefined && secrets.kaching !== null) {
      fakes.kaching = await startFake('kaching', { ...host(config.kaching.url), licenses: { [secrets.kaching.license_key.reveal()]: 'lic-demo' }, valid_for_ms: 120_000 });
    }
    if (config.backbeat !== undefined) fakes.backbeat = await startFake('backbeat', { ...host(config.backbeat.url), tempo_bpm: o.tempoBpm ?? DEMO_TEMPO_BPM });
    if (config.hmmm !== undefined) fakes.hmmm = await startFake('hmmm', host(config.hmmm.url));
    if (config.mcp !== undefined) fakes.mcp = await startFake('mcp', { ...host(config.mcp.url), tools: { ...config.mcp.pins, 'web.search': '0.9.3' } });
    if (config.shhh !== undefined) fakes.shhh = await startFake('shhh', host(config.shhh.url));
    if (config.environment !== undefined) fakes.environment = await startFake('environment', host(config.environment.url));
  } catch (e) {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    throw new Error(`starting the fake external systems: ${(e as Error).message} (another cluster up running? pass --fake-port-base at init, or --no-demo)`);
  }
  for (const [kind, f] of Object.entries(fakes)) o.say(`fake ${kind.padEnd(11)} ${f.url}`);
  const feed = new DecisionFeed(o.endpoints, (t) => o.say(t));
  feed.start();
  let agents: DemoAgents | null = null;
  if (o.agents && config.hmmm !== undefined && config.environment !== undefined) {
    const keys = await loadDemoKeys(o.dir);
    const genesis = JSON.parse(await readFile(join(o.dir, 'genesis.json'), 'utf8')) as { project: string };
    agents = new DemoAgents({ endpoints: o.endpoints, keys, hmmmUrl: config.hmmm.url, environmentUrl: config.environment.url, project: genesis.project, configHash: digestJson(genesis), say: (l) => o.say(`agent ${l}`) });
    agents.start();
  }
  return {
    fakes,
    async stop() {
      await agents?.stop();
      feed.stop();
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}
