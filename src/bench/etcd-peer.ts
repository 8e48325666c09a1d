// `swoosh bench --vs etcd`: a real etcd cluster on loopback, driven through its v3 JSON gateway.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { freePorts } from '../node/free-ports.ts';

const run = promisify(execFile);
const INSTALL_HINT = "etcd not found: install Debian's etcd-server (`apt-get install etcd-server`) to run `bench --vs etcd`";
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const TAIL_CHARS = 2_000;

function findEtcd(): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const file of [...dirs.map((d) => join(d, 'etcd')), '/usr/bin/etcd']) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next one
    }
  }
  return null;
}

/** The etcd binary; as root, installs Debian's etcd-server when it is missing. */
export async function ensureEtcdInstalled(): Promise<string> {
  const found = findEtcd();
  if (found !== null) return found;
  if (process.getuid?.() !== 0) throw new Error(INSTALL_HINT);
  const apt = (args: string[]) => run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000, maxBuffer: 64 << 20 });
  try {
    await apt(['install', '-y', 'etcd-server']);
  } catch {
    // A fresh machine's package lists may be empty or stale: refresh once, then retry.
    try {
      await apt(['update']);
      await apt(['install', '-y', 'etcd-server']);
    } catch (e) {
      throw new Error(`${INSTALL_HINT}; apt-get failed: ${(e as { stderr?: string }).stderr?.slice(-TAIL_CHARS) ?? String(e)}`);
    }
  }
  const installed = findEtcd();
  if (installed === null) throw new Error(`${INSTALL_HINT}; apt-get succeeded but no etcd binary appeared`);
  return installed;
}

function post(url: string, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
}

/** The gateway's path prefix: `/v3` since 3.4, `/v3beta` in 3.3, `/v3alpha` in 3.2. Unknown paths answer 404. */
export async function etcdGatewayPrefix(endpoint: string): Promise<string> {
  for (const prefix of ['/v3', '/v3beta', '/v3alpha']) {
    const res = await post(`${endpoint}${prefix}/kv/range`, { key: 'AA==', serializable: true }, 2_000);
    await res.arrayBuffer();
    if (res.status !== 404) return prefix;
  }
  throw new Error(`${endpoint} serves no etcd v3 JSON gateway (/v3, /v3beta, /v3alpha all 404)`);
}

async function putOnce(url: string, key: string, value: string, timeoutMs?: number): Promise<void> {
  const res = await post(url, { key, value }, timeoutMs);
  const body = (await res.json().catch(() => ({}))) as { header?: unknown; error?: string };
  if (res.status !== 200 || body.header === undefined) throw new Error(`put: HTTP ${res.status} ${body.error ?? ''}`);
}

/** A member's own id and the leader it follows ('0' while it knows none), from maintenance/status. */
async function memberStatus(endpoint: string, prefix: string, timeoutMs?: number): Promise<{ member: string; leader: string }> {
  const res = await post(`${endpoint}${prefix}/maintenance/status`, {}, timeoutMs);
  const s = (await res.json()) as { header?: { member_id?: string }; leader?: string };
  if (res.status !== 200 || s.header?.member_id === undefined) throw new Error(`status ${endpoint}: HTTP ${res.status}`);
  return { member: s.header.member_id, leader: s.leader ?? '0' };
}

// A child whose spawn failed has no pid and never emits 'exit': it counts as not running.
function isRunning(c: ChildProcess): boolean {
  return c.pid !== undefined && c.exitCode === null && c.signalCode === null;
}

function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (!isRunning(c)) return Promise.resolve(true);
  return new Promise((r) => {
    const timer = setTimeout(() => r(false), ms);
    c.once('exit', () => {
      clearTimeout(timer);
      r(true);
    });
  });
}

/**
 * One member at a time: on SIGTERM an etcd leader first hands leadership to a live peer and waits for it,
 * so signalling all members at once leaves the leader waiting on peers that are already gone. In turn, a
 * leader hands off to a live follower in a few ms, and a last member with no live peers skips the handoff.
 */
async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const c of children) {
    if (!isRunning(c)) continue;
    c.kill('SIGTERM');
    if (await exited(c, STOP_GRACE_MS)) continue;
    c.kill('SIGKILL');
    await exited(c, STOP_GRACE_MS);
  }
}

/** Flags the installed etcd accepts for quiet logs: 3.4 needs `--logger zap` for `--log-level` to apply. */
async function quietFlags(bin: string): Promise<string[]> {
  const { stdout, stderr } = await run(bin, ['--help'], { timeout: 10_000, maxBuffer: 8 << 20 }).catch((e: { stdout?: string; stderr?: string }) => e);
  const help = `${stdout ?? ''}${stderr ?? ''}`;
  return [...(help.includes('--logger') ? ['--logger', 'zap'] : []), ...(help.includes('--log-level') ? ['--log-level', 'error'] : [])];
}

export interface EtcdCluster {
  readonly endpoints: string[];
  readonly version: string;
  stop(): Promise<void>;
}

/**
 * Starts `members` etcd processes with a static initial cluster, data under `dir/etcd-<i>`, fsync on
 * (etcd's defaults), and resolves once a put is acknowledged and every member follows a leader. On any failure every started member is stopped.
 */
export async function startEtcdCluster(opts: { members: number; dir: string; host?: string }): Promise<EtcdCluster> {
  const bin = findEtcd();
  if (bin === null) throw new Error(INSTALL_HINT);
  if (!Number.isInteger(opts.members) || opts.members < 1) throw new Error(`members must be a positive integer, got ${opts.members}`);
  const host = opts.host ?? '127.0.0.1';
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const version = /Version:\s*(\S+)/.exec((await run(bin, ['--version'], { timeout: 10_000 })).stdout)?.[1] ?? 'unknown';
  const quiet = await quietFlags(bin);
  const ports = await freePorts(2 * opts.members, host);
  const names = Array.from({ length: opts.members }, (_, i) => `etcd-${i}`);
  const peerUrl = (i: number) => `http://${host}:${ports[2 * i + 1]}`;
  const endpoints = names.map((_, i) => `http://${host}:${ports[2 * i]}`);
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const token = `swoosh-bench-${randomBytes(4).toString('hex')}`; // one per cluster: members with different tokens never join
  // ETCD_* variables would silently override or conflict with the flags below.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
  const children: ChildProcess[] = [];
  const tails: string[] = names.map(() => '');
  // If this process exits without stop(), take the members down with it.
  const onExit = () => children.forEach((c) => isRunning(c) && c.kill('SIGKILL'));
  process.on('exit', onExit);
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= stopAll(children).finally(() => process.off('exit', onExit));
    return stopped;
  };
  try {
    names.forEach((name, i) => {
      const args = [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', endpoints[i]!,
        '--advertise-client-urls', endpoints[i]!,
        '--listen-peer-urls', peerUrl(i),
        '--initial-advertise-peer-urls', peerUrl(i),
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', token,
        ...quiet,
      ];
      const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (d: Buffer) => (tails[i] = (tails[i] + d.toString()).slice(-TAIL_CHARS));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
      children.push(child);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastError = '';
    for (;;) {
      const dead = children.findIndex((c) => !isRunning(c));
      if (dead >= 0) throw new Error(`etcd member ${names[dead]} exited (${children[dead]!.exitCode ?? children[dead]!.signalCode ?? 'spawn failed'})`);
      try {
        const prefix = await etcdGatewayPrefix(endpoints[0]!);
        await putOnce(`${endpoints[0]}${prefix}/kv/put`, b64('swoosh-bench/ready'), b64('1'), 2_000);
        // A quorum commits the put without the rest: require every member to follow a leader, or the
        // bench would measure a degraded cluster.
        const statuses = await Promise.all(endpoints.map((ep) => memberStatus(ep, prefix, 2_000)));
        if (statuses.every((st) => st.leader !== '0')) return { endpoints, version, stop };
        lastError = 'not every member follows a leader yet';
      } catch (e) {
        lastError = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`etcd cluster did not accept a put within ${START_TIMEOUT_MS} ms (last: ${lastError})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    const logs = names.map((n, i) => `--- ${n} stderr+stdout (tail) ---\n${tails[i] || '(empty)'}`).join('\n');
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The endpoint of the member that is currently leader. */
async function leaderEndpoint(endpoints: string[], prefix: string): Promise<string> {
  for (const ep of endpoints) {
    const s = await memberStatus(ep, prefix);
    if (s.leader !== '0' && s.member === s.leader) return ep;
  }
  throw new Error(`no leader among ${endpoints.join(', ')}`);
}

export interface EtcdLoadResult {
  readonly concurrency: number;
  readonly ops: number;
  readonly ops_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
}

/**
 * `concurrency` workers put `count` distinct keys in total. All writes go to the leader, the same shape
 * as SWOOSH's bench (which writes to its leader), so neither side pays a follower-to-leader forwarding hop.
 * `ops` counts acknowledged puts; a failed or timed-out put counts in `errors` and is not retried.
 */
export async function runEtcdLoad(opts: { endpoints: string[]; concurrency: number; count: number; valueBytes?: number }): Promise<EtcdLoadResult> {
  const first = opts.endpoints[0];
  if (first === undefined) throw new Error('runEtcdLoad: no endpoints');
  const prefix = await etcdGatewayPrefix(first);
  const url = `${await leaderEndpoint(opts.endpoints, prefix)}${prefix}/kv/put`;
  // One random value for all puts: etcd does not compress, so its contents do not matter, only its size.
  const value = randomBytes(opts.valueBytes ?? 200).toString('base64');
  const tag = randomBytes(4).toString('hex');
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      const key = b64(`swoosh-bench/${tag}/${next++}`);
      const t0 = performance.now();
      try {
        await putOnce(url, key, value);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    concurrency: opts.concurrency,
    ops: latencies.length,
    ops_per_s: Math.round(latencies.length / seconds),
    p50_ms: round2(percentile(latencies, 50)),
    p99_ms: round2(percentile(latencies, 99)),
    errors,
  };
}
