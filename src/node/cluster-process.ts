// A local cluster of `swoosh serve` processes on loopback, for tests, benchmarks and the chaos harness.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initCluster, replicaDir } from '../cli/cluster-commands.ts';
import type { Genesis } from '../core/genesis.ts';
import type { ClusterConfig, ClusterMember } from './cluster-config.ts';
import { freePorts } from './free-ports.ts';
import { agreedLeader, converged, fetchHealth, type HealthView } from './cluster-watch.ts';
import { killHard, spawnServe, terminate, type ServeChild } from './serve-process.ts';

export type { HealthView } from './cluster-watch.ts';


export interface LocalClusterOptions {
  readonly replicas: number;
  readonly serveArgs?: readonly string[];
  readonly genesis?: Genesis;
  /** Where its adapters.json expects the fake external systems (the caller starts them). */
  readonly fakePortBase?: number;
  readonly fakeHost?: string;
  /** One address per replica (default 127.0.0.1 for all). */
  readonly hosts?: readonly string[];
  /** Extra `serve` arguments for one replica, asked at every (re)start: e.g. `--dial` through a fault proxy. */
  readonly argsFor?: (id: string) => readonly string[];
  /** Starts one `swoosh serve` (default: a child process here); the netns backend wraps it in `ip netns exec`. */
  readonly spawn?: (args: readonly string[], id: string, timeoutMs: number) => ServeChild;
}

export class LocalCluster {
  private readonly procs = new Map<string, ServeChild>();
  /** Replicas added after bootstrap (`swoosh member add`): their data directory and endpoint. */
  private readonly extras = new Map<string, { dir: string; member: ClusterMember }>();

  private constructor(
    readonly dir: string,
    readonly config: ClusterConfig,
    private readonly opts: LocalClusterOptions,
  ) {}

  /**
   * Creates the cluster directory (free loopback ports) and starts every replica. `fakePortBase` is where its
   * adapters.json expects the fake external systems (the caller starts them, and passes `--adapters` to use them).
   */
  static async create(dir: string, replicas: number, serveArgs: readonly string[] = ['--log-level', 'warn'], genesis?: Genesis, fakePortBase?: number): Promise<LocalCluster> {
    const cluster = await LocalCluster.prepare(dir, { replicas, serveArgs, genesis, fakePortBase });
    await cluster.startAll();
    return cluster;
  }

  /** Creates the cluster directory without starting anything (so a proxy can be put between the replicas first). */
  static async prepare(dir: string, opts: LocalClusterOptions): Promise<LocalCluster> {
    const n = opts.replicas;
    const ports = await freePorts(n * 2);
    const config = await initCluster(dir, { replicas: n, host: '127.0.0.1', hosts: opts.hosts, httpPorts: ports.slice(0, n), raftPorts: ports.slice(n), fakePortBase: opts.fakePortBase, fakeHost: opts.fakeHost }, opts.genesis);
    return new LocalCluster(dir, config, opts);
  }

  /** Starts every bootstrap replica; on failure stops those that started. */
  async startAll(): Promise<void> {
    try {
      await Promise.all(this.config.members.map((m) => this.start(m.id)));
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  member(id: string): ClusterMember {
    const m = this.config.members.find((x) => x.id === id) ?? this.extras.get(id)?.member;
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  /** Every replica this harness started, bootstrap members first. */
  get ids(): string[] {
    return [...this.config.members.map((m) => m.id), ...this.extras.keys()];
  }

  get urls(): string[] {
    return this.ids.map((id) => this.member(id).http);
  }

  /** Starts a replica created by `swoosh member add` in `dir` (its node.json names its endpoint). */
  async startExtra(id: string, dir: string): Promise<void> {
    const node = JSON.parse(await readFile(join(dir, 'node.json'), 'utf8')) as { member: ClusterMember };
    this.extras.set(id, { dir, member: node.member });
    await this.start(id);
  }

  alive(id: string): boolean {
    const p = this.procs.get(id);
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  output(id: string): string {
    return this.procs.get(id)?.output() ?? '';
  }

  /** Starts (or restarts) one replica; resolves once it listens. */
  async start(id: string, timeoutMs = 30_000): Promise<void> {
    const dataDir = this.extras.get(id)?.dir ?? replicaDir(this.dir, id);
    const args = ['--data', dataDir, ...(this.opts.serveArgs ?? ['--log-level', 'warn']), ...(this.opts.argsFor?.(id) ?? [])];
    const s = (this.opts.spawn ?? spawnServe)(args, id, timeoutMs);
    this.procs.set(id, s);
    await s.listening;
  }

  /** kill -9: no shutdown path runs. */
  async kill(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (p !== undefined) await killHard(p);
  }

  /** SIGSTOP (a paused process: its peers see silence, its sockets stay open) and SIGCONT. */
  pause(id: string): void {
    this.procs.get(id)?.child.kill('SIGSTOP');
  }

  resume(id: string): void {
    this.procs.get(id)?.child.kill('SIGCONT');
  }

  health(id: string): Promise<HealthView | null> {
    return fetchHealth(this.member(id).http);
  }

  /** Waits until the live replicas agree on one leader; returns its id. */
  leader(timeoutMs = 20_000): Promise<string> {
    return agreedLeader(this, timeoutMs);
  }

  /** Waits until every live replica has applied the same index with the same state hash; returns them. */
  converged(timeoutMs = 20_000): Promise<HealthView[]> {
    return converged(this, timeoutMs);
  }

  /** SIGTERM every replica (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => terminate(p.child)));
  }
}
