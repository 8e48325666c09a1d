// `swoosh cluster init|up` and cluster-mode `serve`: a local Raft cluster of replicas on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startHttpServer } from '../api/http-server.ts';
import { ADAPTERS_FILE, DEFAULT_FAKE_PORT_BASE, makeAdapterKit } from './adapter-kit.ts';
import { startDemo } from '../demo/demo-run.ts';
import { startAdapterHost } from './adapters-start.ts';
import type { Genesis } from '../core/genesis.ts';
import type { SnapshotRecord } from '../storage/records.ts';
import { parseClusterConfig, parseMember, readClusterConfig, type ClusterConfig, type ClusterMember } from '../node/cluster-config.ts';
import type { Logger } from '../node/logger.ts';
import { RaftReplica } from '../node/raft-replica.ts';
import { terminate } from '../node/serve-process.ts';
import { generateKeyFile, parseKeyFile } from '../sdk/proposal-signer.ts';
import { genesisFile, keysDir, storeDir } from '../storage/data-dir.ts';
import { ReplicaStore } from '../storage/replica-store.ts';
import { KEYS } from '../storage/storage-keys.ts';
import { SigningKey } from '../workload/signing-key.ts';
import { intOption, printJson, untilSignal, UsageError } from './cli-io.ts';
import { isEmptyOrMissing, writeGenesisAndKeys } from './replica-commands.ts';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

/** A replica directory of a cluster holds its transport identity next to the store. */
export const nodeKeyFile = (dataDir: string): string => join(dataDir, 'node.key');
export const nodeIdFile = (dataDir: string): string => join(dataDir, 'node.json');
export const clusterFile = (dir: string): string => join(dir, 'cluster.json');
export const replicaDir = (dir: string, id: string): string => join(dir, id);

export function isClusterReplicaDir(dataDir: string): boolean {
  return existsSync(nodeKeyFile(dataDir));
}

export const DEFAULT_HTTP_PORT_BASE = 7071;

export interface ClusterLayout {
  readonly replicas: number;
  readonly host: string;
  /** One HTTP and one Raft port per replica, in member order. */
  readonly httpPorts: readonly number[];
  readonly raftPorts: readonly number[];
  /** One host per replica instead of `host` (e.g. one address per network namespace). */
  readonly hosts?: readonly string[];
  /** The fake external systems listen on fakeHost (default `host`), port fakePortBase + i (docs/integrations/README.md). */
  readonly fakePortBase?: number;
  readonly fakeHost?: string;
}

/**
 * Creates DIR: one genesis and identity keys for the cluster (or the given genesis), cluster.json, and one data
 * directory per replica. With `restore`, every replica starts from that snapshot instead of genesis.
 */
export async function initCluster(dir: string, layout: ClusterLayout, given?: Genesis, restore?: SnapshotRecord): Promise<ClusterConfig> {
  if (![1, 3, 5, 7].includes(layout.replicas)) throw new UsageError('--replicas must be 1, 3, 5 or 7 (an odd number of voters)');
  if (layout.httpPorts.length !== layout.replicas || layout.raftPorts.length !== layout.replicas) throw new Error('cluster layout: one HTTP and one Raft port per replica');
  // A given genesis (e.g. a seeded workload's) comes with its own identity keys; otherwise new ones are made,
  // with the adapters' identities, secrets and adapters.json (docs/adapters.md).
  let genesis: Genesis;
  if (given !== undefined) genesis = given;
  else {
    const kit = makeAdapterKit();
    genesis = (await writeGenesisAndKeys(dir, 'swoosh', kit.identities)).genesis;
    await kit.write(dir, layout.fakeHost ?? layout.host, layout.fakePortBase ?? DEFAULT_FAKE_PORT_BASE);
  }
  if (given !== undefined) {
    await mkdir(dir, { recursive: true });
    await writeFile(genesisFile(dir), JSON.stringify(given, null, 2) + '\n');
  }
  const members: ClusterMember[] = [];
  const keys: Record<string, ReturnType<typeof generateKeyFile>> = {};
  for (let i = 1; i <= layout.replicas; i++) {
    const id = memberId(i);
    const key = generateKeyFile();
    keys[id] = key;
    const host = layout.hosts?.[i - 1] ?? layout.host;
    members.push({ id, signer: key.signer, raft: { host, port: layout.raftPorts[i - 1]! }, http: `http://${host}:${layout.httpPorts[i - 1]!}` });
  }
  const cluster = parseClusterConfig({ cluster_id: randomUUID(), members });
  await writeFile(clusterFile(dir), JSON.stringify(cluster, null, 2) + '\n');
  for (const m of members) {
    const rdir = replicaDir(dir, m.id);
    await mkdir(rdir, { recursive: true, mode: 0o700 });
    await writeFile(nodeKeyFile(rdir), JSON.stringify(keys[m.id], null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await writeFile(nodeIdFile(rdir), JSON.stringify({ node_id: m.id, cluster_id: cluster.cluster_id, member: m }, null, 2) + '\n');
    await writeFile(genesisFile(rdir), JSON.stringify(genesis, null, 2) + '\n');
    const store = await ReplicaStore.open(storeDir(rdir));
    await store.writeGenesis(genesis);
    await store.writeMeta(KEYS.cluster, cluster);
    if (restore !== undefined) {
      // A new cluster whose log begins after the snapshot: term 1, every new member a voter, commit = its index.
      const conf = { voters: members.map((x) => x.id), learners: [] };
      await store.putSnapshot({ ...restore, raft: { term: 1, conf, members } });
      await store.writeMeta(KEYS.hardState, { term: 1, vote: null, commit: restore.index });
    }
    await store.close();
  }
  return cluster;
}

/** The id of the i-th member (1-based) of a cluster made by `cluster init`. */
export function memberId(i: number): string {
  return `r${i}`;
}

export interface ClusterServeOptions {
  readonly snapshotEvery?: number;
  readonly logTailKept?: number;
  readonly snapshotChunkBytes?: number;
  readonly tickMs?: number;
  readonly port?: number;
  /** An adapters.json (docs/adapters.md): run the adapters next to this replica while it leads. */
  readonly adapters?: string;
  /** `--dial ID=HOST:PORT`: reach peer ID there instead of at its membership address (docs/raft.md). */
  readonly dialOverrides?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  /** `--dial-http ID=HOST:PORT`: forward requests to peer ID (when it leads) there instead of its `http` URL. */
  readonly httpDialOverrides?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
}

/** Parses repeated `--dial ID=HOST:PORT` (or `--dial-http`) options. */
export function parseDialOverrides(values: readonly string[] | undefined, flag = '--dial'): Record<string, { host: string; port: number }> | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const out: Record<string, { host: string; port: number }> = {};
  for (const v of values) {
    const m = /^([a-z0-9][a-z0-9_-]{0,31})=([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(v);
    const port = m === null ? 0 : Number(m[3]);
    if (m === null || port < 1 || port > 65535) throw new UsageError(`${flag} ${v}: expected ID=HOST:PORT, e.g. r2=127.0.0.1:7301`);
    out[m[1]!] = { host: m[2]!.replace(/^\[|\]$/g, ''), port };
  }
  return out;
}

export async function openClusterReplica(dataDir: string, logger: Logger, options: ClusterServeOptions): Promise<RaftReplica> {
  const id = JSON.parse(await readFile(nodeIdFile(dataDir), 'utf8')) as { node_id: string; member?: unknown };
  const k = parseKeyFile(JSON.parse(await readFile(nodeKeyFile(dataDir), 'utf8')));
  if (!k.ok) throw new UsageError(`${nodeKeyFile(dataDir)}: ${k.reason}`);
  const self = id.member === undefined ? undefined : parseMember(id.member, `${nodeIdFile(dataDir)} member`);
  const replica = await RaftReplica.open({ dataDir, nodeId: id.node_id, key: new SigningKey(k.secret), logger, ...options, self });
  await replica.start();
  return replica;
}

/** Serves a cluster replica on the HTTP address its membership names. */
export async function serveClusterReplica(dataDir: string, logger: Logger, options: ClusterServeOptions): Promise<number> {
  const replica = await openClusterReplica(dataDir, logger, options);
  const me = replica.selfMember();
  const url = new URL(me.http);
  const server = await startHttpServer(replica, url.hostname, options.port ?? Number(url.port), replica);
  logger.info({ event: 'listening', url: server.url, node_id: replica.nodeId, applied_index: replica.appliedIndex, state_hash: replica.stateHash }, `listening on ${server.url}`);
  process.stderr.write(`swoosh serve: ${replica.nodeId} listening on ${server.url}\n`);
  const host = options.adapters === undefined ? null : await startAdapterHost(options.adapters, replica, () => replica.isLeader, replica.clusterId, logger).catch(async (e: unknown) => {
    await server.close();
    await replica.close();
    throw e;
  });
  await untilSignal(logger);
  await host?.stop();
  await server.close();
  await replica.close();
  return 0;
}

export const LAYOUT_OPTIONS = {
  data: { type: 'string' },
  replicas: { type: 'string' },
  host: { type: 'string' },
  'http-port-base': { type: 'string' },
  'raft-port-base': { type: 'string' },
  'fake-port-base': { type: 'string' },
} as const;

export function layoutOf(values: { replicas?: string; host?: string; 'http-port-base'?: string; 'raft-port-base'?: string; 'fake-port-base'?: string }): ClusterLayout {
  const replicas = intOption(values.replicas, 'replicas', 3);
  const http = intOption(values['http-port-base'], 'http-port-base', DEFAULT_HTTP_PORT_BASE);
  const raft = intOption(values['raft-port-base'], 'raft-port-base', http + 100);
  const range = (base: number) => Array.from({ length: replicas }, (_, i) => base + i);
  const fakePortBase = intOption(values['fake-port-base'], 'fake-port-base', DEFAULT_FAKE_PORT_BASE);
  return { replicas, host: values.host ?? '127.0.0.1', httpPorts: range(http), raftPorts: range(raft), fakePortBase };
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'init') {
    const { values } = parseArgs({ args: rest, options: LAYOUT_OPTIONS });
    if (values.data === undefined) throw new UsageError('usage: swoosh cluster init --data DIR [--replicas 3] [--host 127.0.0.1] [--http-port-base 7071] [--raft-port-base 7171] [--fake-port-base 7300]');
    const cluster = await initCluster(values.data, layoutOf(values));
    printJson({ data: values.data, cluster_id: cluster.cluster_id, members: cluster.members, operator_key: join(keysDir(values.data), 'operator.key') });
    return 0;
  }
  if (sub === 'up') return clusterUp(rest);
  throw new UsageError('usage: swoosh cluster init|up --data DIR [--replicas 3|5]');
}

/** `swoosh cluster up`: creates DIR on first use, runs one `swoosh serve` process per replica, stops them on Ctrl-C. */
async function clusterUp(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...LAYOUT_OPTIONS, 'log-level': { type: 'string' }, 'no-demo': { type: 'boolean' }, 'no-agents': { type: 'boolean' }, 'tempo-bpm': { type: 'string' } } });
  const dir = values.data ?? '.swoosh/cluster';
  let cluster: ClusterConfig;
  if (await isEmptyOrMissing(dir)) {
    process.stderr.write(`swoosh cluster up: creating ${dir}\n`);
    cluster = await initCluster(dir, layoutOf(values));
  } else {
    if (!existsSync(clusterFile(dir))) throw new UsageError(`${dir} is not empty and holds no cluster.json; pick a new directory`);
    cluster = await readClusterConfig(clusterFile(dir));
    if (values.replicas !== undefined && Number(values.replicas) !== cluster.members.length) {
      process.stderr.write(`swoosh cluster up: ${dir} already holds a ${cluster.members.length}-replica cluster; --replicas ${values.replicas} is ignored\n`);
    }
  }
  // The demo: fake external systems, adapters next to the leader, agents for the other roles, the DR feed.
  const adaptersFile = join(dir, ADAPTERS_FILE);
  const demo = values['no-demo'] !== true && existsSync(adaptersFile);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const running = demo ? await startDemo({ dir, endpoints: cluster.members.map((m) => m.http), say, agents: values['no-agents'] !== true, tempoBpm: values['tempo-bpm'] === undefined ? undefined : intOption(values['tempo-bpm'], 'tempo-bpm') }) : null;
  const children: ChildProcess[] = [];
  let stopping = false;
  for (const m of cluster.members) {
    const serveArgs = [CLI, 'serve', '--data', replicaDir(dir, m.id), '--log-level', values['log-level'] ?? 'warn', ...(demo ? ['--adapters', adaptersFile] : [])];
    const child = spawn(process.execPath, serveArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`swoosh cluster up: ${m.id} exited (${signal ?? code}); the others keep running\n`);
    });
    children.push(child);
  }
  const operatorKey = join(keysDir(dir), 'operator.key');
  const endpoints = cluster.members.map((m) => m.http).join(',');
  process.stderr.write(
    [
      `swoosh cluster up: ${cluster.members.length} replicas of cluster ${cluster.cluster_id} (Ctrl-C stops them)`,
      ...cluster.members.map((m) => `  ${m.id}  ${m.http}  (raft ${m.raft.host}:${m.raft.port}, data ${replicaDir(dir, m.id)})`),
      `Operator key: ${operatorKey}`,
      ...(demo
        ? [
            `Demo: adapters (${adaptersFile}) run next to the leader against the fake external systems;`,
            `  ${values['no-agents'] === true ? 'no agents (--no-agents): propose the lifecycle steps yourself' : 'demo agents drive BOOT -> PROJECT_LIFECYCLE -> EXECUTION loops'}; every decision record is printed below.`,
          ]
        : ['No demo (--no-demo, or no adapters.json): nothing proposes on its own.']),
      'Try, from another terminal:',
      `  export SWOOSH_ENDPOINTS=${endpoints}`,
      '  node bin/swoosh.mjs endpoint status -w table',
      `  node bin/swoosh.mjs propose --url ${cluster.members[0]!.http} --key ${operatorKey} --transition Boot_ConfigOk --inputs '{"config_hash":"sha256-${'0'.repeat(64)}"}'`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  stopping = true;
  await running?.stop();
  await Promise.all(children.map((c) => terminate(c)));
  process.stderr.write('swoosh cluster up: stopped\n');
  return 0;
}
