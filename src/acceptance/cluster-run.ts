// The acceptance run (brief §15): a seeded WorkloadModel drives a real cluster (separate `swoosh serve`
// processes, TCP between them, LevelDB underneath) one proposal at a time, every answer is checked against the
// model's reducer, and at the end every replica must hold the model's state hash and pass `swoosh doctor`.
import { performance } from 'node:perf_hooks';
import { replicaDir } from '../cli/cluster-commands.ts';
import { recomputeStateHash } from '../core/invariants.ts';
import { Prng } from '../core/prng.ts';
import { stateHash } from '../core/state-hash.ts';
import { LocalCluster, type HealthView } from '../node/cluster-process.ts';
import { startMs } from '../workload/cast.ts';
import { WorkloadModel } from '../workload/generator.ts';
import { emptyOutcomes, summarizeLatency, tally, type AcceptanceReport } from './acceptance-report.ts';
import { submitToCluster } from './cluster-submit.ts';
import { runDoctorProcess, type DoctorVerdict } from './doctor-run.ts';
import { checkAnswer } from './model-check.ts';
import { Pacer } from './model-pacing.ts';
import { VirtualClock } from './virtual-clock.ts';

export interface AcceptanceOptions {
  readonly replicas: number;
  readonly count: number;
  readonly seed: number;
  /** A new directory for the cluster; it is left in place for inspection. */
  readonly dir: string;
  /** Share of hostile, duplicate and stale proposals, permille (the generator's default, 150). */
  readonly hostilePermille?: number;
  /** How many times faster than real time the cluster's wall clock runs (see model-pacing.ts). */
  readonly clockRate?: number;
  readonly onProgress?: (done: number) => void;
}

export const DEFAULT_CLOCK_RATE = 100;
// Bounded retries: with backoff capped at 1 s these span ~15 s, several election timeouts.
const MAX_ATTEMPTS = 20;
// The replica each proposal goes to comes from its own stream, so routing does not perturb the workload.
const ROUTE_SALT = 0x5eed_c0de;
const LOG_TAIL = 6000;
const MAX_LISTED = 20;

export async function runClusterAcceptance(opts: AcceptanceOptions): Promise<AcceptanceReport> {
  const hostilePermille = opts.hostilePermille ?? 150;
  const model = new WorkloadModel(opts.seed);
  const clock = VirtualClock.startingAt(model.now, opts.clockRate ?? DEFAULT_CLOCK_RATE);
  const pacer = new Pacer(clock);
  const route = new Prng((opts.seed ^ ROUTE_SALT) >>> 0);
  const outcomes = emptyOutcomes();
  const violations: { step: number; problems: string[] }[] = [];
  const mismatches: { step: number; expected: string; got: string }[] = [];
  const latencies: number[] = [];
  let violationCount = 0;
  let failure: string | null = null;
  let driven = 0;
  let seconds = 0;
  let views: HealthView[] = [];
  let logs: Record<string, string> | undefined;

  const cluster = await clock.forChildren(() => LocalCluster.create(opts.dir, opts.replicas, ['--log-level', 'warn'], model.genesis));
  const ids = cluster.config.members.map((m) => m.id);
  try {
    await cluster.leader(30_000);
    const urls = cluster.urls;
    const started = performance.now();
    while (driven < opts.count) {
      pacer.syncModel(model);
      const step = model.next(hostilePermille);
      const sent = performance.now();
      const heldBefore = pacer.heldMs;
      const answer = await submitToCluster(step.proposal, { pickUrl: () => route.pick(urls), maxAttempts: MAX_ATTEMPTS, beforeAttempt: () => pacer.holdBack(step.proposal) });
      if (answer.kind === 'gave-up') {
        failure = `step ${driven} (${describe(step.proposal)}): no decision after ${MAX_ATTEMPTS} attempts: ${answer.attempts.slice(-3).map((a) => `${a.url} ${a.why}`).join(' | ')}`;
        break;
      }
      latencies.push(performance.now() - sent - (pacer.heldMs - heldBefore));
      const checked = checkAnswer(model, step, answer, clock.now());
      tally(outcomes, checked, answer.attempts);
      if (checked.invariantProblems.length > 0) {
        violationCount++;
        if (violations.length < MAX_LISTED) violations.push({ step: driven, problems: [...checked.invariantProblems] });
      }
      if (checked.expectMismatch !== null && mismatches.length < MAX_LISTED) mismatches.push({ step: driven, ...checked.expectMismatch });
      if (checked.disagreement !== null) {
        failure = `step ${driven} (${describe(step.proposal)}): the cluster and the model disagree: ${checked.disagreement}`;
        break;
      }
      driven++;
      opts.onProgress?.(driven);
    }
    seconds = (performance.now() - started) / 1000;
    const dead = ids.filter((id) => !cluster.alive(id));
    if (dead.length > 0) failure ??= `replica(s) ${dead.join(', ')} exited during the run`;
    try {
      views = await cluster.converged(60_000);
    } catch (e) {
      failure ??= (e as Error).message;
    }
    if (failure !== null) logs = Object.fromEntries(ids.map((id) => [id, cluster.output(id).slice(-LOG_TAIL)]));
  } finally {
    await cluster.stop();
  }

  // The doctor runs on each stopped replica's directory, one at a time (each replays the whole log).
  const doctors: Record<string, DoctorVerdict> = {};
  for (const id of ids) doctors[id] = await runDoctorProcess(replicaDir(opts.dir, id));

  const modelHash = stateHash(model.state);
  if (recomputeStateHash(model.state) !== modelHash) {
    violationCount++;
    violations.push({ step: driven, problems: ['the final state hash recomputed without caches differs from the memoized one'] });
  }
  const hashes = Object.fromEntries(views.map((v) => [v.node_id, v.state_hash]));
  const applied = Object.fromEntries(views.map((v) => [v.node_id, v.consensus.applied_index]));
  const identical = views.length === ids.length && new Set(Object.values(hashes)).size === 1 && new Set(Object.values(applied)).size === 1;
  const final = identical ? views[0]! : null;
  return {
    replicas: opts.replicas,
    seed: opts.seed,
    count: opts.count,
    hostile_permille: hostilePermille,
    driven,
    seconds: Math.round(seconds * 10) / 10,
    throughput_per_s: seconds > 0 ? Math.round((driven / seconds) * 10) / 10 : 0,
    final_state_hash: final?.state_hash ?? null,
    applied_index: final?.consensus.applied_index ?? null,
    replicas_hashes: hashes,
    replicas_applied: applied,
    identical,
    model_state_hash: modelHash,
    model_hash_matches: final !== null && final.state_hash === modelHash,
    outcomes,
    execution_loops: model.state.execution.loop,
    final_configuration: model.state.configuration.top,
    clock: { ...pacer.stats(), simulated_span_s: Math.round((model.now - startMs(opts.seed)) / 1000) },
    latency_ms: summarizeLatency(latencies),
    doctor: Object.fromEntries(Object.entries(doctors).map(([id, d]) => [id, d.verdict])),
    doctor_problems: Object.fromEntries(Object.entries(doctors).filter(([, d]) => d.problems.length > 0).map(([id, d]) => [id, d.problems])),
    invariant_violations: violationCount,
    violations,
    expectation_mismatches: mismatches,
    failure,
    ...(logs === undefined ? {} : { logs }),
  };
}

function describe(proposal: unknown): string {
  const p = proposal as { transition?: unknown; idem_key?: unknown } | null;
  return typeof p?.transition === 'string' ? `${p.transition} ${String(p.idem_key)}` : 'a malformed proposal';
}
