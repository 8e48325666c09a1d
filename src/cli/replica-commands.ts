// `swoosh init` and `swoosh serve`: make a data directory with a genesis and keys, and run a replica on it.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { digestJson } from '../core/digest.ts';
import { DEFAULT_DEDUPE_RETENTION_MS, genesisState, parseGenesis, type Genesis } from '../core/genesis.ts';
import { formatHlc } from '../core/hlc.ts';
import { stateHash } from '../core/state-hash.ts';
import type { RoleName } from '../generated/statechart.ts';
import { startHttpServer } from '../api/http-server.ts';
import { createLogger } from '../node/logger.ts';
import { CorruptLogError } from '../node/recovery.ts';
import { NoGenesisError, Replica } from '../node/replica.ts';
import { generateKeyFile } from '../sdk/proposal-signer.ts';
import { genesisFile, keysDir, storeDir } from '../storage/data-dir.ts';
import { ReplicaStore } from '../storage/replica-store.ts';
import { startAdapterHost } from './adapters-start.ts';
import { intOption, printJson, untilSignal, UsageError } from './cli-io.ts';
import { isClusterReplicaDir, parseDialOverrides, serveClusterReplica } from './cluster-commands.ts';

/** The identities `swoosh init` creates: an operator who can also administer and release, and one key per other role. */
const INITIAL_KEYS: readonly { name: string; roles: RoleName[] }[] = [
  { name: 'operator', roles: ['operator', 'admin', 'human_operator'] },
  { name: 'license-adapter', roles: ['license_adapter'] },
  { name: 'ingestion-worker', roles: ['ingestion_worker'] },
  { name: 'council-agent', roles: ['council_agent'] },
  { name: 'voter-1', roles: ['council_voter'] },
  { name: 'voter-2', roles: ['council_voter'] },
  { name: 'voter-3', roles: ['council_voter'] },
  { name: 'environment-agent', roles: ['environment_agent'] },
  { name: 'executor', roles: ['executor'] },
  { name: 'reviewer-1', roles: ['reviewer'] },
  { name: 'reviewer-2', roles: ['reviewer'] },
  { name: 'window-adapter', roles: ['window_adapter'] },
  { name: 'mcp-adapter', roles: ['mcp_adapter'] },
  { name: 'policy-engine', roles: ['policy_engine'] },
];

export async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** Writes a new genesis and one key file per initial identity into `dir` (which must be new or empty). */
/** `extra`: identities whose keys live elsewhere (the adapters', in the age-encrypted secrets file). */
export async function writeGenesisAndKeys(dir: string, project: string, extra: readonly { signer: string; roles: RoleName[]; label: string }[] = []): Promise<{ genesis: Genesis; keys: Record<string, string> }> {
  if (!(await isEmptyOrMissing(dir))) throw new UsageError(`${dir} is not empty; init only writes to a new or empty directory`);
  await mkdir(keysDir(dir), { recursive: true, mode: 0o700 });
  const keys: Record<string, string> = {};
  const identities: { signer: string; roles: RoleName[]; label: string }[] = [];
  for (const k of INITIAL_KEYS) {
    const key = generateKeyFile();
    const path = join(keysDir(dir), `${k.name}.key`);
    await writeFile(path, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    keys[k.name] = path;
    identities.push({ signer: key.signer, roles: k.roles, label: k.name });
  }
  const candidate: Genesis = {
    genesis_version: 1,
    project,
    created_at: formatHlc({ ms: Date.now(), logical: 0 }),
    identities: [...identities, ...extra],
    schedule: { version: 1, phases: { plan: ['plan'], execute: ['work'], review: ['review', 'reverb'] }, tidal: { amplitude_permille: 500, period_beats: 240, phase_offset_beats: 0 } },
    policy: { version: 1, rules: [], redact_fields: ['comment'] },
    license: { grace_ms: 24 * 3_600_000 },
    quorum: { min_votes: 2, approvals_threshold: 2 },
    mcp: { freshness_ms: 300_000 },
    dedupe: { retention_ms: DEFAULT_DEDUPE_RETENTION_MS },
  };
  const parsed = parseGenesis(candidate);
  if (!parsed.ok) throw new Error(`generated genesis is invalid: ${parsed.reasons.join('; ')}`);
  await writeFile(genesisFile(dir), JSON.stringify(parsed.genesis, null, 2) + '\n');
  return { genesis: parsed.genesis, keys };
}

export async function initCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, project: { type: 'string' } } });
  if (values.data === undefined) throw new UsageError('usage: swoosh init --data DIR [--project NAME]');
  const dir = values.data;
  const { genesis, keys } = await writeGenesisAndKeys(dir, values.project ?? 'swoosh');
  const store = await ReplicaStore.open(storeDir(dir));
  await store.writeGenesis(genesis);
  await store.close();
  printJson({ data: dir, project: genesis.project, genesis_hash: digestJson(genesis), state_hash: stateHash(genesisState(genesis)), operator_key: keys['operator'], keys });
  return 0;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'node-id': { type: 'string' },
      'snapshot-every': { type: 'string' },
      'log-tail-kept': { type: 'string' },
      'snapshot-chunk-bytes': { type: 'string' },
      'max-batch': { type: 'string' },
      'batch-delay-ms': { type: 'string' },
      'record-max-bytes': { type: 'string' },
      'record-warn-bytes': { type: 'string' },
      'log-level': { type: 'string' },
      adapters: { type: 'string' },
      dial: { type: 'string', multiple: true },
      'dial-http': { type: 'string', multiple: true },
    },
  });
  if (values.data === undefined) throw new UsageError('usage: swoosh serve --data DIR --port P [--host 127.0.0.1] [--snapshot-every N] [--max-batch N] [--batch-delay-ms MS] [--adapters adapters.json] [--dial ID=HOST:PORT ...] [--dial-http ID=HOST:PORT ...]');
  if (isClusterReplicaDir(values.data)) {
    const logger = createLogger({ level: values['log-level'] ?? 'info', name: values['node-id'] ?? values.data });
    const options = {
      snapshotEvery: values['snapshot-every'] === undefined ? undefined : intOption(values['snapshot-every'], 'snapshot-every'),
      logTailKept: values['log-tail-kept'] === undefined ? undefined : intOption(values['log-tail-kept'], 'log-tail-kept'),
      snapshotChunkBytes: values['snapshot-chunk-bytes'] === undefined ? undefined : intOption(values['snapshot-chunk-bytes'], 'snapshot-chunk-bytes'),
      port: values.port === undefined ? undefined : intOption(values.port, 'port'),
      adapters: values.adapters,
      dialOverrides: parseDialOverrides(values.dial),
      httpDialOverrides: parseDialOverrides(values['dial-http'], '--dial-http'),
    };
    try {
      return await serveClusterReplica(values.data, logger, options);
    } catch (e) {
      // As for a single replica: a log that cannot be trusted is a clear refusal (exit 1), not a stack trace.
      if (!(e instanceof CorruptLogError)) throw e;
      logger.fatal({ event: 'wal_corrupt', index: e.index, detail: e.detail }, e.message);
      process.stderr.write(`swoosh serve: ${e.message}\nThe replica will not serve. Inspect with: swoosh doctor --data ${values.data}\n`);
      return 1;
    }
  }
  const port = intOption(values.port, 'port', 7070);
  const host = values.host ?? '127.0.0.1';
  const logger = createLogger({ level: values['log-level'] ?? 'info', name: values['node-id'] ?? 'swoosh-1' });
  let replica: Replica;
  try {
    replica = await Replica.open({
      dataDir: values.data,
      nodeId: values['node-id'],
      snapshotEvery: values['snapshot-every'] === undefined ? undefined : intOption(values['snapshot-every'], 'snapshot-every'),
      maxBatch: values['max-batch'] === undefined ? undefined : intOption(values['max-batch'], 'max-batch'),
      batchDelayMs: values['batch-delay-ms'] === undefined ? undefined : intOption(values['batch-delay-ms'], 'batch-delay-ms'),
      recordMaxBytes: values['record-max-bytes'] === undefined ? undefined : intOption(values['record-max-bytes'], 'record-max-bytes'),
      recordWarnBytes: values['record-warn-bytes'] === undefined ? undefined : intOption(values['record-warn-bytes'], 'record-warn-bytes'),
      logger,
    });
  } catch (e) {
    if (e instanceof NoGenesisError) throw new UsageError(e.message);
    if (e instanceof CorruptLogError) {
      logger.fatal({ event: 'wal_corrupt', index: e.index, detail: e.detail }, e.message);
      process.stderr.write(`swoosh serve: ${e.message}\nThe replica will not serve. Inspect with: swoosh doctor --data ${values.data}\n`);
      return 1;
    }
    throw e;
  }
  const server = await startHttpServer(replica, host, port);
  logger.info({ event: 'listening', url: server.url, state_hash: replica.head().hash, index: replica.head().index }, `listening on ${server.url}`);
  // Always say where we listen, whatever the log level (stdout carries only JSON logs).
  process.stderr.write(`swoosh serve: listening on ${server.url}\n`);
  // A single replica always leads; KACHING knows it by its project name.
  const adapters = values.adapters === undefined ? null : await startAdapterHost(values.adapters, replica, () => true, replica.genesis.project, logger).catch(async (e: unknown) => {
    await server.close();
    await replica.close();
    throw e;
  });
  await untilSignal(logger);
  await adapters?.stop();
  await server.close();
  await replica.close();
  return 0;
}

/** `swoosh start` (npm start): the newcomer's path. Initializes DIR on first use, then serves it. */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  const dir = values.data ?? '.swoosh/data';
  const port = String(intOption(values.port, 'port', 7070));
  const host = values.host ?? '127.0.0.1';
  if (await isEmptyOrMissing(dir)) {
    process.stderr.write(`swoosh start: initializing ${dir} (genesis and one key per role in ${keysDir(dir)})\n`);
    const code = await captureStdout(() => initCommand(['--data', dir]));
    if (code !== 0) return code;
  }
  const url = `http://${host}:${port}`;
  process.stderr.write(
    [
      `swoosh start: serving ${dir} on ${url} (Ctrl-C stops it)`,
      'Try, from another terminal:',
      `  node bin/swoosh.mjs propose --url ${url} --key ${join(keysDir(dir), 'operator.key')} --transition Boot_ConfigOk --inputs '{"config_hash":"sha256-${'0'.repeat(64)}"}'`,
      `  curl -s '${url}/state?projection=configuration,boot'`,
      `  curl -s ${url}/decisions`,
      '',
    ].join('\n'),
  );
  return serveCommand(['--data', dir, '--port', port, '--host', host, '--log-level', 'warn']);
}

async function captureStdout(f: () => Promise<number>): Promise<number> {
  // init prints a JSON summary meant for scripts; under `start` the human lines above say the same.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await f();
  } finally {
    process.stdout.write = write;
  }
}
