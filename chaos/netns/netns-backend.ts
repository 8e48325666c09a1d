// The `netns` chaos backend: one Linux network namespace per replica, joined by a bridge in the root namespace;
// partitions and link faults are applied by the kernel (routes into a packet sink, htb classes, netem when the
// kernel has it). See chaos/netns/README.md.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { spawnServe, type ServeChild } from '../../src/node/serve-process.ts';
import { BackendUnavailable, type BackendOptions, type ChaosBackend } from '../harness/backend.ts';
import type { LinkFaults, NetworkFaults } from '../network/link-faults.ts';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');
const execFileP = promisify(execFile);

/** Every namespace, bridge and veth this backend creates starts with this (then a 7-char tag: owner pid + random). */
export const NETNS_PREFIX = 'swc';
const EXEC_TIMEOUT_MS = 15_000;

/** A ChaosBackend plus what the netns backend set up (for tests and reports). */
export interface NetnsBackend extends ChaosBackend {
  readonly name: 'netns';
  readonly replicas: LocalCluster;
  /** The prefix of every namespace and root-namespace link of this backend (`swc` + tag). */
  readonly prefix: string;
  /** e.g. 10.213.77.0/24: the bridge is .1 (fakeHost), replica i is .(i+2). */
  readonly subnet: string;
  /** Replica id → namespace name. */
  readonly namespaces: ReadonlyMap<string, string>;
  /** What the kernel offers here: ifb (silent cuts, else blackhole routes), htb + u32 (rate), netem (the rest). */
  readonly capabilities: Caps;
}

async function run(cmd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: EXEC_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: unknown };
    const detail = (err.stderr ?? '').trim() || err.message;
    throw new Error(`${cmd} ${args.join(' ')}: ${detail}`);
  }
}

const ok = (p: Promise<unknown>): Promise<boolean> => p.then(
  () => true,
  () => false,
);

function runSync(cmd: string, args: readonly string[]): string | null {
  try {
    return execFileSync(cmd, args, { timeout: EXEC_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  } catch {
    return null;
  }
}

/** Whether this host can run the netns backend: Linux, root, iproute2, and `ip netns add` / veth / bridge work. */
export async function netnsAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (run as uid 0)' };
  try {
    await run('ip', ['-V']);
  } catch {
    return { ok: false, reason: 'the `ip` command (iproute2) is missing' };
  }
  const tag = `${NETNS_PREFIX}${tagFor()}`;
  const ns = `${tag}-probe`;
  try {
    await run('ip', ['netns', 'add', ns]);
  } catch (e) {
    return { ok: false, reason: `ip netns add fails: ${(e as Error).message}` };
  }
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['link', 'add', `${tag}v0`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['link', 'add', `${tag}br`, 'type', 'bridge']);
    await run('ip', ['netns', 'exec', ns, 'true']);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `cannot build a namespace network: ${(e as Error).message}` };
  } finally {
    await ok(run('ip', ['link', 'del', `${tag}br`]));
    await ok(run('ip', ['link', 'del', `${tag}v0`]));
    await ok(run('ip', ['netns', 'del', ns]));
  }
}

/** 5 base-36 chars of the owner pid (so a later run can tell a dead owner's leftovers) and 2 random ones. */
function tagFor(): string {
  const pid = process.pid.toString(36).padStart(5, '0').slice(-5);
  const rnd = [...randomBytes(2)].map((b) => (b % 36).toString(36)).join('');
  return pid + rnd;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function netnsNames(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

async function rootLinkNames(): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((l) => l.ifname);
}

/**
 * Removes leftovers of runs whose owner process is gone (killed before its exit hook ran): their namespaces and
 * root-namespace links. A namespace some process still lives in (an orphaned replica) is left alone and named in
 * `busy`. Best effort.
 */
export async function cleanupStaleNetns(): Promise<{ removed: string[]; busy: string[] }> {
  const removed: string[] = [];
  const busyNs: string[] = [];
  const tagRe = new RegExp(`^${NETNS_PREFIX}([0-9a-z]{5})([0-9a-z]{2})`);
  const deadTag = (name: string): string | null => {
    const m = tagRe.exec(name);
    if (m === null) return null;
    const pid = parseInt(m[1]!, 36);
    return pid === process.pid || pidAlive(pid) ? null : m[0];
  };
  const busy = new Set<string>();
  try {
    for (const ns of await netnsNames()) {
      const tag = deadTag(ns);
      if (tag === null) continue;
      const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => 'unknown')).trim();
      if (pids !== '') {
        busy.add(tag);
        busyNs.push(ns);
        continue;
      }
      if (await ok(run('ip', ['netns', 'del', ns]))) removed.push(ns);
    }
    for (const link of await rootLinkNames()) {
      const tag = deadTag(link);
      if (tag === null || busy.has(tag)) continue;
      if (await ok(run('ip', ['link', 'del', link]))) removed.push(link);
    }
  } catch {
    // best effort
  }
  return { removed, busy: busyNs };
}

// ---- addresses ----

const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function overlaps(a: string, aLen: number, b: string, bLen: number): boolean {
  const len = Math.min(aLen, bLen);
  if (len === 0) return false; // a default route overlaps everything; it does not make a subnet "used"
  const mask = len === 32 ? 0xffffffff : ~((1 << (32 - len)) >>> 0) >>> 0;
  return ((ipToInt(a) & mask) >>> 0) === ((ipToInt(b) & mask) >>> 0);
}

/** A 10.x.y.0/24 that no address or route in the root namespace overlaps, picked from the seed and the pid. */
async function pickSubnet(seed: number): Promise<string> {
  const used: { net: string; len: number }[] = [];
  const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show'])) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  for (const l of addrs) for (const a of l.addr_info ?? []) if (a.local !== undefined) used.push({ net: a.local, len: a.prefixlen ?? 32 });
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst?: string }[];
  for (const r of routes) {
    if (r.dst === undefined || r.dst === 'default') continue;
    const [net, len] = r.dst.split('/');
    if (net !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(net)) used.push({ net, len: len === undefined ? 32 : Number(len) });
  }
  let h = (Math.imul(seed >>> 0, 2654435761) ^ Math.imul(process.pid, 40503) ^ randomBytes(2).readUInt16BE(0)) >>> 0;
  for (let k = 0; k < 256; k++, h = (Math.imul(h, 1103515245) + 12345) >>> 0) {
    const net = `10.${200 + (h % 50)}.${(h >>> 8) % 256}.0`;
    if (!used.some((u) => overlaps(net, 24, u.net, u.len))) return net;
  }
  throw new BackendUnavailable('netns', 'no free 10.200-249.x.0/24 subnet in the root namespace');
}

// ---- replica processes ----

/** `ip netns exec NS node bin/swoosh.mjs serve ARGS`: ip execs node, so the child's pid is node's (signals reach it). */
function spawnInNamespace(ns: string, args: readonly string[], label: string, timeoutMs: number, children: Set<ChildProcess>): ServeChild {
  const s = spawnServe(args, `${label} (netns ${ns})`, timeoutMs, ['ip', 'netns', 'exec', ns]);
  children.add(s.child);
  s.child.once('exit', () => children.delete(s.child));
  s.listening.catch(() => {});
  return s;
}

// ---- network faults ----

interface Node {
  readonly id: string;
  readonly ns: string;
  readonly ip: string;
  /** 1-based, for class ids and sink names. */
  readonly n: number;
}

export interface Caps {
  /** Cuts go into an ifb device (silent drop); without ifb, a blackhole route (the sender gets EINVAL at once). */
  readonly ifb: boolean;
  readonly htb: boolean;
  readonly netem: boolean;
}

const SHAPING = ['delay_ms', 'jitter_ms', 'drop_permille', 'duplicate_permille', 'reorder_permille', 'bytes_per_second'] as const;
const NETEM = ['delay_ms', 'jitter_ms', 'drop_permille', 'duplicate_permille', 'reorder_permille'] as const;

const hasShaping = (f: LinkFaults): boolean => SHAPING.some((k) => (f[k] ?? 0) > 0);
const shapingKey = (f: LinkFaults): string => JSON.stringify(SHAPING.map((k) => f[k] ?? 0));

interface LinkCounters {
  sets: number;
  cuts: number;
  /** Kernel counters already harvested (a tc tree is rebuilt when a `from` replica's shaping changes). */
  shaped_packets: number;
  shaped_bytes: number;
  shaped_dropped: number;
  overlimits: number;
}

/** Per-class counters from `tc -s class show` text (this iproute2 has no JSON for classes). */
function parseClassStats(text: string): Map<string, { packets: number; bytes: number; dropped: number; overlimits: number }> {
  const out = new Map<string, { packets: number; bytes: number; dropped: number; overlimits: number }>();
  const re = /class htb (\S+)[^\n]*\n\s*Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.set(m[1]!, { bytes: Number(m[2]), packets: Number(m[3]), dropped: Number(m[4]), overlimits: Number(m[5]) });
  return out;
}

class NetnsFaults implements NetworkFaults {
  readonly supports: ReadonlySet<keyof LinkFaults>;
  private readonly links = new Map<string, LinkFaults>();
  private readonly counters = new Map<string, LinkCounters>();
  private readonly sinks = new Set<string>();
  /** One chain of kernel changes per `from` namespace, so concurrent set() calls never interleave a rebuild. */
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly nodes: ReadonlyMap<string, Node>,
    private readonly caps: Caps,
  ) {
    const s = new Set<keyof LinkFaults>(['cut']);
    if (caps.htb) s.add('bytes_per_second');
    if (caps.htb && caps.netem) for (const k of NETEM) s.add(k);
    this.supports = s;
  }

  private node(id: string): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`netns backend: no replica ${id} (have ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  private count(key: string): LinkCounters {
    let c = this.counters.get(key);
    if (c === undefined) this.counters.set(key, (c = { sets: 0, cuts: 0, shaped_packets: 0, shaped_bytes: 0, shaped_dropped: 0, overlimits: 0 }));
    return c;
  }

  private serial(from: string, f: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(from) ?? Promise.resolve()).then(f);
    this.chains.set(
      from,
      next.catch(() => {}),
    );
    return next;
  }

  async set(from: string, to: string, faults: LinkFaults): Promise<void> {
    if (this.closed) throw new Error('netns backend: the network is closed');
    const a = this.node(from);
    const b = this.node(to);
    if (from === to) throw new Error(`netns backend: ${from} -> ${to} is not a link`);
    for (const [k, v] of Object.entries(faults) as [keyof LinkFaults, unknown][]) {
      if (v === undefined || v === false || v === 0) continue;
      if (!this.supports.has(k)) throw new Error(`netns backend cannot apply ${k} here (supports ${[...this.supports].join(', ')})`);
      if (k !== 'cut' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k.endsWith('_permille') && v > 1000))) throw new Error(`netns backend: bad ${k} ${String(v)}`);
    }
    await this.serial(from, async () => {
      const key = `${from}->${to}`;
      const prev = this.links.get(key) ?? {};
      const c = this.count(key);
      c.sets++;
      if (faults.cut === true && prev.cut !== true) {
        await this.cut(a, b);
        c.cuts++;
      } else if (faults.cut !== true && prev.cut === true) {
        await this.uncut(a, b);
      }
      this.links.set(key, { ...faults });
      if (shapingKey(prev) !== shapingKey(faults)) await this.rebuild(a);
    });
  }

  private sinkName(to: Node): string {
    return `cut${to.n}`;
  }

  private async cut(a: Node, b: Node): Promise<void> {
    if (!this.caps.ifb) {
      await run('ip', ['-n', a.ns, 'route', 'replace', 'blackhole', `${b.ip}/32`]);
      return;
    }
    const sink = this.sinkName(b);
    if (!this.sinks.has(`${a.ns}/${sink}`)) {
      // An ifb device drops every packet that was not redirected to it by tc: a silent sink (its rx_dropped counts them).
      await run('ip', ['-n', a.ns, 'link', 'add', sink, 'type', 'ifb']);
      await run('ip', ['-n', a.ns, 'link', 'set', sink, 'up']);
      this.sinks.add(`${a.ns}/${sink}`);
    }
    await run('ip', ['-n', a.ns, 'route', 'replace', `${b.ip}/32`, 'dev', sink]);
  }

  private async uncut(a: Node, b: Node): Promise<void> {
    if (this.caps.ifb) await run('ip', ['-n', a.ns, 'route', 'del', `${b.ip}/32`, 'dev', this.sinkName(b)]);
    else await run('ip', ['-n', a.ns, 'route', 'del', 'blackhole', `${b.ip}/32`]);
  }

  /** Adds the class counters of `a`'s current tc tree to the totals (before the tree is replaced). */
  private async harvest(a: Node): Promise<void> {
    const text = await run('tc', ['-n', a.ns, '-s', 'class', 'show', 'dev', 'eth0']).catch(() => '');
    this.addClassStats(a, parseClassStats(text), true);
  }

  private addClassStats(a: Node, classes: ReturnType<typeof parseClassStats>, persist: boolean, into?: Map<string, LinkCounters>): void {
    for (const b of this.nodes.values()) {
      const st = classes.get(`1:${b.n.toString(16)}`);
      if (st === undefined || b.id === a.id) continue;
      const key = `${a.id}->${b.id}`;
      const c = persist ? this.count(key) : into!.get(key);
      if (c === undefined) continue;
      c.shaped_packets += st.packets;
      c.shaped_bytes += st.bytes;
      c.shaped_dropped += st.dropped;
      c.overlimits += st.overlimits;
    }
  }

  /** Rebuilds `a`'s egress tree: htb root (unclassified traffic goes direct), one class per shaped destination. */
  private async rebuild(a: Node): Promise<void> {
    await this.harvest(a);
    await ok(run('tc', ['-n', a.ns, 'qdisc', 'del', 'dev', 'eth0', 'root']));
    const shaped = [...this.nodes.values()].filter((b) => b.id !== a.id && hasShaping(this.links.get(`${a.id}->${b.id}`) ?? {}));
    if (shaped.length === 0) return;
    await run('tc', ['-n', a.ns, 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb', 'default', '0']);
    for (const b of shaped) {
      const f = this.links.get(`${a.id}->${b.id}`)!;
      const minor = b.n.toString(16);
      const bps = f.bytes_per_second ?? 0;
      const rate = bps > 0 ? `${Math.max(8, Math.round(bps * 8))}bit` : '10gbit';
      const burst = bps > 0 ? `${Math.max(1600, Math.round(bps / 20))}b` : '64kb';
      await run('tc', ['-n', a.ns, 'class', 'add', 'dev', 'eth0', 'parent', '1:', 'classid', `1:${minor}`, 'htb', 'rate', rate, 'ceil', rate, 'burst', burst, 'cburst', burst]);
      if (NETEM.some((k) => (f[k] ?? 0) > 0)) {
        const args = ['-n', a.ns, 'qdisc', 'add', 'dev', 'eth0', 'parent', `1:${minor}`, 'handle', `${(b.n + 1).toString(16)}:`, 'netem', 'limit', '100000'];
        const delay = f.delay_ms ?? 0;
        const jitter = f.jitter_ms ?? 0;
        // netem reorders only delayed packets: a reorder without a delay gets a 1 ms one.
        const d = delay > 0 || jitter > 0 || (f.reorder_permille ?? 0) > 0 ? Math.max(delay, (f.reorder_permille ?? 0) > 0 ? 1 : 0) : 0;
        if (d > 0 || jitter > 0) args.push('delay', `${d}ms`, ...(jitter > 0 ? [`${jitter}ms`] : []));
        if ((f.drop_permille ?? 0) > 0) args.push('loss', `${f.drop_permille! / 10}%`);
        if ((f.duplicate_permille ?? 0) > 0) args.push('duplicate', `${f.duplicate_permille! / 10}%`);
        if ((f.reorder_permille ?? 0) > 0) args.push('reorder', `${f.reorder_permille! / 10}%`);
        await run('tc', args);
      }
      await run('tc', ['-n', a.ns, 'filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${b.ip}/32`, 'flowid', `1:${minor}`]);
    }
  }

  async healAll(): Promise<void> {
    const froms = new Set<string>();
    for (const key of this.links.keys()) froms.add(key.split('->')[0]!);
    await Promise.all(
      [...froms].map((from) =>
        this.serial(from, async () => {
          const a = this.node(from);
          let shaped = false;
          for (const b of this.nodes.values()) {
            const key = `${a.id}->${b.id}`;
            const f = this.links.get(key);
            if (f === undefined) continue;
            if (f.cut === true) await this.uncut(a, b);
            if (hasShaping(f)) shaped = true;
            this.links.delete(key);
          }
          if (shaped) await this.rebuild(a);
        }),
      ),
    );
  }

  /** Per directed link: set() calls, cuts applied, packets eaten by the cut sink, and shaped-class counters. */
  stats(): Readonly<Record<string, Readonly<Record<string, number>>>> {
    const out = new Map<string, LinkCounters & { dropped: number }>();
    for (const [k, c] of this.counters) out.set(k, { ...c, dropped: 0 });
    const froms = new Set([...out.keys()].map((k) => k.split('->')[0]!));
    for (const from of froms) {
      const a = this.nodes.get(from);
      if (a === undefined) continue;
      if (this.links.size > 0 && [...this.links.keys()].some((k) => k.startsWith(`${from}->`) && hasShaping(this.links.get(k)!))) {
        const text = runSync('tc', ['-n', a.ns, '-s', 'class', 'show', 'dev', 'eth0']);
        if (text !== null) this.addClassStats(a, parseClassStats(text), false, out);
      }
      if (this.caps.ifb) {
        const json = runSync('ip', ['-n', a.ns, '-s', '-j', 'link', 'show']);
        if (json === null) continue;
        try {
          const links = JSON.parse(json) as { ifname: string; stats64?: { rx?: { dropped?: number } } }[];
          for (const b of this.nodes.values()) {
            const l = links.find((x) => x.ifname === this.sinkName(b));
            const c = out.get(`${a.id}->${b.id}`);
            if (l !== undefined && c !== undefined) c.dropped += l.stats64?.rx?.dropped ?? 0;
          }
        } catch {
          // counters are best effort
        }
      }
    }
    const res: Record<string, Record<string, number>> = {};
    for (const [k, c] of out) res[k] = { ...c, dropped: c.dropped + c.shaped_dropped };
    return res;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.healAll().catch(() => {});
    this.closed = true;
  }
}

async function probeCaps(ns: string): Promise<Caps> {
  const ifb = await ok(run('ip', ['-n', ns, 'link', 'add', 'swcprobe', 'type', 'ifb']));
  if (ifb) await ok(run('ip', ['-n', ns, 'link', 'del', 'swcprobe']));
  const htb =
    (await ok(run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '0']))) &&
    (await ok(run('tc', ['-n', ns, 'class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:2', 'htb', 'rate', '1mbit']))) &&
    (await ok(run('tc', ['-n', ns, 'filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '127.0.0.2/32', 'flowid', '1:2'])));
  const netem = htb && (await ok(run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'parent', '1:2', 'handle', '2:', 'netem', 'delay', '1ms'])));
  await ok(run('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'lo', 'root']));
  return { ifb, htb, netem };
}

// ---- the backend ----

/**
 * Creates the namespaces, bridge and veths, the cluster directory (replica i at 10.x.y.(i+2), fakes expected on
 * the bridge address 10.x.y.1) and starts every replica inside its namespace.
 */
export async function createNetnsBackend(o: BackendOptions): Promise<NetnsBackend> {
  const avail = await netnsAvailable();
  if (!avail.ok) throw new BackendUnavailable('netns', avail.reason);
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 250) throw new Error(`netns backend: replicas must be 1..250, got ${o.replicas}`);
  await cleanupStaleNetns();

  const prefix = `${NETNS_PREFIX}${tagFor()}`;
  const subnet = await pickSubnet(o.seed);
  const base = subnet.split('.').slice(0, 3).join('.');
  const bridge = `${prefix}br`;
  const bridgeIp = `${base}.1`;
  const namespaces = Array.from({ length: o.replicas }, (_, i) => `${prefix}-${i + 1}`);
  const rootVeths = Array.from({ length: o.replicas }, (_, i) => `${prefix}v${i + 1}`);
  const hosts = Array.from({ length: o.replicas }, (_, i) => `${base}.${i + 2}`);
  const children = new Set<ChildProcess>();

  /** Synchronous teardown for process exit: kill our replicas, delete veths, bridge, namespaces. */
  const teardownSync = (): void => {
    for (const c of children) {
      try {
        c.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    for (const v of rootVeths) runSync('ip', ['link', 'del', v]);
    runSync('ip', ['link', 'del', bridge]);
    for (const ns of namespaces) runSync('ip', ['netns', 'del', ns]);
  };
  process.once('exit', teardownSync);

  const teardown = async (): Promise<string[]> => {
    // Namespaces outlive `ip netns del` while a process is in them: our replicas must be gone first.
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(resolve, 5000);
            c.once('exit', () => (clearTimeout(t), resolve()));
            c.kill('SIGKILL');
          }),
      ),
    );
    const problems: string[] = [];
    const links = new Set(await rootLinkNames().catch(() => [...rootVeths, bridge]));
    for (const v of [...rootVeths, bridge]) if (links.has(v)) await run('ip', ['link', 'del', v]).catch((e: Error) => problems.push(e.message));
    const present = new Set(await netnsNames().catch(() => namespaces));
    for (const ns of namespaces) if (present.has(ns)) await run('ip', ['netns', 'del', ns]).catch((e: Error) => problems.push(e.message));
    process.off('exit', teardownSync);
    return problems;
  };

  let cluster: LocalCluster;
  let network: NetnsFaults;
  let caps: Caps;
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${bridgeIp}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    for (let i = 0; i < o.replicas; i++) {
      const ns = namespaces[i]!;
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['link', 'add', rootVeths[i]!, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run('ip', ['link', 'set', rootVeths[i]!, 'master', bridge]);
      await run('ip', ['link', 'set', rootVeths[i]!, 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', `${hosts[i]}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    caps = await probeCaps(namespaces[0]!);

    const nsOf = new Map<string, string>();
    cluster = await LocalCluster.prepare(o.dir, {
      replicas: o.replicas,
      serveArgs: o.serveArgs,
      hosts,
      fakeHost: bridgeIp,
      fakePortBase: o.fakePortBase,
      spawn: (args, id, timeoutMs) => {
        const ns = nsOf.get(id);
        if (ns === undefined) throw new Error(`netns backend: replica ${id} has no namespace (only bootstrap replicas are supported)`);
        return spawnInNamespace(ns, args, id, timeoutMs, children);
      },
    });
    const nodes = new Map<string, Node>();
    cluster.config.members.forEach((m, i) => {
      nsOf.set(m.id, namespaces[i]!);
      nodes.set(m.id, { id: m.id, ns: namespaces[i]!, ip: hosts[i]!, n: i + 1 });
    });
    network = new NetnsFaults(nodes, caps);
    await o.beforeStart?.(o.dir);
    await cluster.startAll();
  } catch (e) {
    await teardown().catch(() => {});
    throw e;
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const id of cluster.ids) cluster.resume(id); // a stopped process would sit on SIGTERM until the SIGKILL
      await cluster.stop();
      await network.close().catch(() => {});
      const problems = await teardown();
      if (problems.length > 0) throw new Error(`netns backend: teardown left something behind:\n${problems.join('\n')}`);
    })());

  return {
    name: 'netns',
    replicas: cluster,
    network,
    fakeHost: bridgeIp,
    prefix,
    subnet: `${subnet}/24`,
    namespaces: new Map(cluster.config.members.map((m, i) => [m.id, namespaces[i]!])),
    capabilities: caps,
    close,
  };
}
