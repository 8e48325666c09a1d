// Where a chaos run's replicas live and how its faults reach them: local processes with a fault proxy
// (`process`), one network namespace per replica (`netns`), or containers (`containers`).
import type { HealthView } from '../../src/node/cluster-process.ts';
import type { ClusterMember } from '../../src/node/cluster-config.ts';
import type { NetworkFaults } from '../network/link-faults.ts';

/** The replicas of a run, as the scenarios and checkers drive them (LocalCluster is the reference). */
export interface ChaosReplicas {
  /** The cluster directory: cluster.json, genesis.json, keys/, adapters.json, secrets.age and one data dir per replica. */
  readonly dir: string;
  readonly ids: string[];
  readonly urls: string[];
  member(id: string): ClusterMember;
  alive(id: string): boolean;
  output(id: string): string;
  start(id: string): Promise<void>;
  /** kill -9. */
  kill(id: string): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(id: string): void;
  resume(id: string): void;
  health(id: string): Promise<HealthView | null>;
  leader(timeoutMs?: number): Promise<string>;
  converged(timeoutMs?: number): Promise<HealthView[]>;
  /** Stops every replica (their data directories stay for the checkers). */
  stop(): Promise<void>;
}

export interface ChaosBackend {
  readonly name: 'process' | 'netns' | 'containers';
  readonly replicas: ChaosReplicas;
  readonly network: NetworkFaults;
  /** Where the replicas' adapters reach the fake external systems (the runner starts them on this host). */
  readonly fakeHost: string;
  /** Where the runner binds the fakes, when that differs from fakeHost (containers reach the host by a name). */
  readonly fakeBindHost?: string;
  /** Stops the replicas and removes whatever the backend set up (proxies, namespaces, containers). */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** The cluster directory to create. */
  readonly dir: string;
  readonly replicas: number;
  /** Extra `swoosh serve` arguments for every replica (e.g. `--adapters DIR/adapters.json`). */
  readonly serveArgs: readonly string[];
  /** The port base of the fakes (the runner starts them on `fakeHost` at these ports after create returns). */
  readonly fakePortBase: number;
  readonly seed: number;
  /** Called with `dir` once it is created and before any replica starts (the runner tunes adapters.json). */
  readonly beforeStart?: (dir: string) => Promise<void>;
}

/** Why a backend cannot run here (not root, no `ip netns`, no Docker engine): the command prints it and exits 77 (skipped). */
export class BackendUnavailable extends Error {
  constructor(
    readonly backend: string,
    reason: string,
  ) {
    super(`backend ${backend} is not available here: ${reason}`);
    this.name = 'BackendUnavailable';
  }
}
