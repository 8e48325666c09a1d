// The `containers` chaos backend (issue 6): one Docker container per replica, built from chaos/containers/Dockerfile
// and run through testcontainers. Replicas reach each other by network alias (r1, r2, ...) on a network of their
// own; the harness reaches them through published ports; they reach the fakes on this host through testcontainers'
// port forwarder (host.testcontainers.internal). Needs a Docker engine: containersAvailable() says why not.
// testcontainers is a devDependency and is imported only when a run asks for this backend.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { initCluster, replicaDir } from '../../src/cli/cluster-commands.ts';
import type { ClusterMember } from '../../src/node/cluster-config.ts';
import { agreedLeader, converged, fetchHealth, type HealthView } from '../../src/node/cluster-watch.ts';
import { freePorts } from '../../src/node/free-ports.ts';
import { FAKE_KINDS } from '../fakes/index.ts';
import { BackendUnavailable, type BackendOptions, type ChaosBackend, type ChaosReplicas } from '../harness/backend.ts';
import type { LinkFaults, NetworkFaults } from '../network/link-faults.ts';

type Testcontainers = typeof import('testcontainers');
type DockerContainer = ReturnType<ContainerRuntimeClient['container']['getById']>;

export const IMAGE = 'swoosh-chaos:local';
/** Where the replicas reach the fakes: testcontainers' port forwarder to this host's loopback. */
export const CONTAINERS_FAKE_HOST = 'host.testcontainers.internal';
const REPO = resolve(import.meta.dirname, '..', '..');
/** The image's build context (what the Dockerfile copies), staged so node_modules and run dirs are not sent. */
const IMAGE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'statechart.yaml', 'bin', 'src', 'codegen', 'chaos', 'docs/integrations/schemas'];
/** Container ports. Each replica has its own raft port so one iptables rule (by destination port) cuts one link. */
const HTTP_PORT_BASE = 7001;
const RAFT_PORT_BASE = 7101;

async function loadTestcontainers(): Promise<Testcontainers> {
  try {
    return await import('testcontainers');
  } catch (e) {
    throw new Error(`the testcontainers package does not load (a devDependency: run npm install): ${(e as Error).message}`);
  }
}

/** testcontainers' runtime detection, in a child process: an engine that never answers cannot keep this one alive. */
const PROBE = `const say = (line) => process.stdout.write(line + '\\n', () => process.exit(0));
import('testcontainers').then(
  (tc) => tc.getContainerRuntimeClient().then(() => say('ok'), (e) => say('no Docker engine is reachable (' + e.message + ')')),
  (e) => say('the testcontainers package does not load (a devDependency: run npm install): ' + e.message));`;

/** Whether a Docker engine is reachable; answers within `timeoutMs`. */
export async function containersAvailable(timeoutMs = 10_000): Promise<{ ok: true } | { ok: false; reason: string }> {
  const answer = await new Promise<string>((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: REPO, timeout: timeoutMs }, (err, stdout) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      done(line !== '' ? line : err?.killed === true ? `the container runtime did not answer within ${timeoutMs} ms` : `the runtime probe failed: ${err?.message ?? 'no answer'}`);
    });
  });
  return answer === 'ok' ? { ok: true } : { ok: false, reason: `${answer}; start a Docker engine, or point DOCKER_HOST at one` };
}

/** Builds IMAGE from chaos/containers/Dockerfile (Docker's layer cache makes rebuilds quick). */
async function buildImage(tc: Testcontainers): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), 'swoosh-image-'));
  try {
    for (const f of IMAGE_FILES) await cp(join(REPO, f), join(context, f), { recursive: true });
    await tc.GenericContainer.fromDockerfile(context, 'chaos/containers/Dockerfile').build(IMAGE, { deleteOnExit: false });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

interface Replica {
  /** As in cluster.json: addresses on the replicas' network. */
  readonly member: ClusterMember;
  /** Its HTTP API as the harness reaches it (a published port, fixed so it survives restarts). */
  readonly url: string;
  readonly container: StartedTestContainer;
  alive: boolean;
  paused: boolean;
  /** Bumped on every start, kill and stop, so a stale exit watcher changes nothing. */
  generation: number;
  log: string;
  /** Docker operations on one replica run one after another (pause and resume return before theirs run). */
  queue: Promise<void>;
}

class ContainerReplicas implements ChaosReplicas {
  /** Directed links cut: from → the ids it must not reach. */
  private readonly cuts = new Map<string, Set<string>>();
  private readonly dropped: Record<string, { dropped_packets: number }> = {};

  constructor(
    readonly dir: string,
    private readonly replicas: ReadonlyMap<string, Replica>,
    private readonly client: ContainerRuntimeClient,
  ) {
    for (const r of replicas.values()) this.watch(r, 0);
  }

  get ids(): string[] {
    return [...this.replicas.keys()];
  }

  get urls(): string[] {
    return this.ids.map((id) => this.get(id).url);
  }

  /** The member with `http` as the harness reaches it (peers use the alias address in cluster.json). */
  member(id: string): ClusterMember {
    const r = this.get(id);
    return { ...r.member, http: r.url };
  }

  alive(id: string): boolean {
    return this.get(id).alive;
  }

  output(id: string): string {
    return this.get(id).log;
  }

  /** `docker start` of a killed or stopped replica (same container, data dir and port); resolves once it listens. */
  async start(id: string, timeoutMs = 60_000): Promise<void> {
    const r = this.get(id);
    await this.enqueue(r, async () => {
      if (r.alive) return;
      const c = this.docker(r);
      await c.start();
      r.alive = true;
      r.paused = false;
      const mark = (r.log += `--- start ${new Date().toISOString()} ---\n`).length;
      // The engine's clock: only this run's lines are followed.
      this.watch(r, Date.parse((await c.inspect()).State.StartedAt) / 1000);
      const deadline = Date.now() + timeoutMs;
      while (!/listening on/.test(r.log.slice(mark))) {
        if (!r.alive || Date.now() > deadline) throw new Error(`${id} ${r.alive ? `did not listen within ${timeoutMs} ms` : 'exited before listening'}:\n${r.log.slice(mark)}`);
        await sleep(100);
      }
      // A new start is a new network namespace: its iptables rules are gone until they are applied again.
      await this.applyCuts(id);
    });
  }

  /** `docker kill` (SIGKILL to the serve process, PID 1): no shutdown path runs. */
  async kill(id: string): Promise<void> {
    const r = this.get(id);
    await this.enqueue(r, async () => {
      if (!r.alive) return;
      r.generation++;
      const c = this.docker(r);
      await c.kill({ signal: 'SIGKILL' }).catch(async (e: unknown) => {
        if (!(await c.inspect()).State.Running) return;
        if (!r.paused) throw e;
        await c.unpause(); // engines that refuse to kill a paused container
        await c.kill({ signal: 'SIGKILL' });
      });
      await c.wait();
      r.alive = false;
      r.paused = false;
    });
  }

  /** `docker pause` (the cgroup freezer: like SIGSTOP for every process in it); runs after earlier operations. */
  pause(id: string): void {
    const r = this.get(id);
    void this.enqueue(r, async () => {
      if (!r.alive || r.paused) return;
      await this.docker(r).pause();
      r.paused = true;
    }).catch(() => {});
  }

  resume(id: string): void {
    const r = this.get(id);
    void this.enqueue(r, async () => {
      if (!r.paused) return;
      await this.docker(r).unpause();
      r.paused = false;
      await this.applyCuts(id);
    }).catch(() => {});
  }

  health(id: string): Promise<HealthView | null> {
    return fetchHealth(this.get(id).url);
  }

  leader(timeoutMs = 20_000): Promise<string> {
    return agreedLeader(this, timeoutMs, 100);
  }

  converged(timeoutMs = 20_000): Promise<HealthView[]> {
    return converged(this, timeoutMs, 200);
  }

  /** `docker stop`: SIGTERM, SIGKILL after 10 s. The containers stay (and their logs); close() removes them. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.replicas.values()].map((r) =>
        this.enqueue(r, async () => {
          if (!r.alive) return;
          r.generation++;
          if (r.paused) await this.docker(r).unpause();
          await this.client.container.stop(this.docker(r), { timeout: 10_000 });
          r.alive = false;
          r.paused = false;
        }),
      ),
    );
  }

  /** Cuts (or heals) the directed link from → to: an iptables rule in `from` drops what it sends to to's raft port. */
  async cut(from: string, to: string, cut: boolean): Promise<void> {
    this.get(to);
    const set = this.cuts.get(from) ?? new Set<string>();
    this.cuts.set(from, set);
    if (cut) set.add(to);
    else set.delete(to);
    await this.enqueue(this.get(from), () => this.applyCuts(from));
  }

  async healAll(): Promise<void> {
    const had = [...this.cuts.entries()].filter(([, to]) => to.size > 0).map(([from]) => from);
    this.cuts.clear();
    await Promise.all(had.map((from) => this.enqueue(this.get(from), () => this.applyCuts(from))));
  }

  linkStats(): Record<string, Record<string, number>> {
    return Object.fromEntries(Object.entries(this.dropped).map(([k, v]) => [k, { ...v }]));
  }

  /**
   * Replaces the OUTPUT rules in `from` with one DROP per cut link, first adding up what the old rules dropped.
   * A killed or paused replica cannot exec: its rules are applied when it starts or resumes.
   */
  private async applyCuts(from: string): Promise<void> {
    const r = this.get(from);
    if (!r.alive || r.paused) return;
    const ports = [...(this.cuts.get(from) ?? [])].map((to) => this.get(to).member.raft.port);
    const script = ['iptables -w -L OUTPUT -v -n -x', 'iptables -w -F OUTPUT', ...ports.map((p) => `iptables -w -A OUTPUT -p tcp --dport ${p} -j DROP`)].join(' && ');
    const res = await r.container.exec(['sh', '-c', script], { user: 'root' });
    if (res.exitCode !== 0) throw new Error(`iptables in ${from} failed (exit ${res.exitCode}): ${res.output.trim()}`);
    for (const m of res.stdout.matchAll(/^\s*(\d+)\s+\d+\s+DROP\b.*\bdpt:(\d+)/gm)) {
      const to = this.ids.find((id) => this.get(id).member.raft.port === Number(m[2]));
      if (to === undefined) continue;
      const key = `${from}->${to}`;
      this.dropped[key] = { dropped_packets: (this.dropped[key]?.dropped_packets ?? 0) + Number(m[1]) };
    }
  }

  /** Follows a (re)started container's log into `log`, and notices when it exits on its own. */
  private watch(r: Replica, since: number): void {
    const generation = ++r.generation;
    void this.client.container.logs(this.docker(r), { since }).then((s) => s.on('data', (d: string | Buffer) => (r.log += d.toString())).on('error', () => {}));
    void this.docker(r)
      .wait()
      .then(
        () => {
          if (r.generation === generation) r.alive = false;
        },
        () => {},
      );
  }

  private enqueue(r: Replica, op: () => Promise<void>): Promise<void> {
    const next = r.queue.then(op);
    r.queue = next.catch((e: unknown) => {
      r.log += `[containers backend] ${(e as Error).message}\n`;
    });
    return next;
  }

  private docker(r: Replica): DockerContainer {
    return this.client.container.getById(r.container.getId());
  }

  private get(id: string): Replica {
    const r = this.replicas.get(id);
    if (r === undefined) throw new Error(`no member ${id}`);
    return r;
  }
}

/**
 * Creates the cluster directory (replica addresses are network aliases, fakes at host.testcontainers.internal),
 * builds the image, and starts one container per replica with the cluster directory bind-mounted at the same path
 * and the working directory of this process (so `--data` and `--adapters` paths in serveArgs, absolute or relative,
 * mean the same inside). Throws BackendUnavailable without an engine.
 */
export async function createContainersBackend(o: BackendOptions): Promise<ChaosBackend> {
  const available = await containersAvailable();
  if (!available.ok) throw new BackendUnavailable('containers', available.reason);
  const tc = await loadTestcontainers();
  const client = await tc.getContainerRuntimeClient();
  const dir = resolve(o.dir);
  const aliases = Array.from({ length: o.replicas }, (_, i) => `r${i + 1}`);
  const range = (base: number) => aliases.map((_, i) => base + i);
  const config = await initCluster(dir, { replicas: o.replicas, host: aliases[0]!, hosts: aliases, httpPorts: range(HTTP_PORT_BASE), raftPorts: range(RAFT_PORT_BASE), fakePortBase: o.fakePortBase, fakeHost: CONTAINERS_FAKE_HOST });
  await o.beforeStart?.(o.dir);
  await buildImage(tc);
  // Before any replica container starts: only containers started afterwards get host.testcontainers.internal.
  await tc.TestContainers.exposeHostPorts(...FAKE_KINDS.map((_, i) => o.fakePortBase + i));
  const network = await new tc.Network().start();
  const hostPorts = await freePorts(config.members.length);
  const results = await Promise.allSettled(
    config.members.map(async (m, i): Promise<Replica> => {
      const c = new tc.GenericContainer(IMAGE)
        .withName(`swoosh-chaos-${network.getName().slice(0, 8)}-${m.id}`)
        .withNetwork(network)
        .withNetworkAliases(m.id)
        // Its own alias means every interface inside it: it then listens for raft and HTTP on all of them,
        // including the network Docker publishes ports on (with the port forwarder, not always this one).
        .withExtraHosts([{ host: m.id, ipAddress: '0.0.0.0' }])
        .withExposedPorts({ container: Number(new URL(m.http).port), host: hostPorts[i]! })
        .withBindMounts([{ source: dir, target: dir, mode: 'rw' }])
        // Relative paths in serveArgs (a relative run dir) resolve as they do here.
        .withWorkingDir(process.cwd())
        .withAddedCapabilities('NET_ADMIN')
        .withCommand(['serve', '--data', replicaDir(dir, m.id), ...o.serveArgs])
        .withWaitStrategy(tc.Wait.forLogMessage(/listening on/))
        .withStartupTimeout(60_000);
      // The replica writes its data dir (bind-mounted) as the user running the harness, who reads it afterwards.
      if (process.getuid !== undefined && process.getgid !== undefined) c.withUser(`${process.getuid()}:${process.getgid()}`);
      const container = await c.start();
      const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
      return { member: m, url: `http://${host}:${container.getMappedPort(Number(new URL(m.http).port))}`, container, alive: true, paused: false, generation: 0, log: '', queue: Promise.resolve() };
    }),
  );
  const replicas = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await removeAll(replicas.map((r) => r.container), network).catch(() => {});
    throw (failed as PromiseRejectedResult).reason;
  }
  const cluster = new ContainerReplicas(dir, new Map(replicas.map((r) => [r.member.id, r])), client);
  const faults: NetworkFaults = {
    supports: new Set<keyof LinkFaults>(['cut']),
    async set(from, to, f) {
      const other = Object.entries(f).filter(([k, v]) => k !== 'cut' && v !== undefined && v !== 0);
      if (other.length > 0) throw new Error(`the containers backend applies only cut, not ${other.map(([k]) => k).join(', ')}`);
      await cluster.cut(from, to, f.cut === true);
    },
    healAll: () => cluster.healAll(),
    stats: () => cluster.linkStats(),
    async close() {},
  };
  return {
    name: 'containers',
    replicas: cluster,
    network: faults,
    fakeHost: CONTAINERS_FAKE_HOST,
    // The fakes run on this host; containers reach its loopback ports through the exposed-port forwarder.
    fakeBindHost: '127.0.0.1',
    async close() {
      await cluster.stop().catch(() => {});
      await removeAll(replicas.map((r) => r.container), network);
    },
  };
}

/** Removes the containers and the network (testcontainers' reaper would, when this process exits). */
async function removeAll(containers: readonly StartedTestContainer[], network: { stop(): Promise<unknown> }): Promise<void> {
  const results = await Promise.allSettled(containers.map((c) => c.stop({ remove: true, timeout: 0 })));
  await network.stop();
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}
