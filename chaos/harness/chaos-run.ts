// One chaos run: a real cluster with adapters and fakes, demo agents and writers sending through chaos clients,
// a seeded fault schedule, then heal, collect every replica's decisions, stop, and run the checkers.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Prng } from '../../src/core/prng.ts';
import { DemoAgents } from '../../src/demo/demo-agents.ts';
import { loadDemoKeys } from '../../src/demo/demo-run.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { allDecisions, decisionsPage } from '../../src/sdk/decisions.ts';
import { loadSecrets } from '../../src/secrets/age-secrets.ts';
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { runCheckers } from '../checkers/index.ts';
import type { CheckResult, HistoryOp, ReplicaFinal } from '../checkers/history.ts';
import { startAllFakes } from '../fakes/index.ts';
import type { BackendOptions, ChaosBackend } from './backend.ts';
import { ChaosClient } from './chaos-client.ts';
import { createProcessBackend } from './process-backend.ts';
import { FaultSchedule, SCENARIOS } from './scenarios.ts';

export const BACKENDS = ['process', 'netns', 'containers'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Snapshots every 100 entries, so snapshot rollbacks happen within a short run. */
const SNAPSHOT_EVERY = 100;
/**
 * The whole log is kept (compaction never passes the oldest kept snapshot, and this tail is longer than any
 * run), so the WAL checker replays every replica from genesis and checks the invariants at every index.
 */
const LOG_TAIL_KEPT = 1_000_000;

async function createBackend(name: BackendName, o: BackendOptions): Promise<ChaosBackend> {
  // Loaded on demand: the containers backend pulls in testcontainers, which only its users need.
  if (name === 'netns') return (await import('../netns/netns-backend.ts')).createNetnsBackend(o);
  if (name === 'containers') return (await import('../containers/containers-backend.ts')).createContainersBackend(o);
  return createProcessBackend(o);
}

/** Shorter license timings than the demo's, so a KACHING outage reaches grace and then the hard stop in seconds. */
async function tuneAdapters(dir: string): Promise<void> {
  const file = join(dir, 'adapters.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as { kaching: Record<string, unknown> };
  config.kaching = { ...config.kaching, refresh_max_ms: 4_000, grace_ms: 10_000 };
  await writeFile(file, JSON.stringify(config, null, 2) + '\n');
}

export interface ChaosOptions {
  readonly scenario: string;
  readonly backend: BackendName;
  readonly seed: number;
  readonly replicas: number;
  /** Stop the workload once the leader has this many decision records (or at maxSeconds). */
  readonly transitions: number;
  readonly maxSeconds: number;
  /** The verdict fails if maxSeconds ran out before `transitions` records (a single run: the user asked for them). */
  readonly requireTransitions?: boolean;
  /** Aborting (Ctrl-C, SIGTERM) ends the workload early; the run still heals, stops its replicas and reports, and fails. */
  readonly signal?: AbortSignal;
  /** Extra writer clients beside the demo agents (they add signers: contention on HEAD). */
  readonly writers: number;
  /** Pause between one writer's proposals: paced so the agents' EXECUTION loop is not starved of HEAD. */
  readonly writerIntervalMs?: number;
  readonly runDir: string;
  readonly say: (line: string) => void;
}

export interface ChaosReport {
  readonly scenario: string;
  readonly backend: BackendName;
  readonly seed: number;
  readonly replicas: number;
  readonly transitions: number;
  readonly max_seconds: number;
  readonly writers: number;
  readonly run_dir: string;
  readonly seconds: number;
  readonly faults: readonly string[];
  /** Per directed link: frames seen, dropped, duplicated, reordered, delayed (as the backend counts them). */
  readonly network: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly operations: { readonly total: number; readonly ok: number; readonly fail: number; readonly unknown: number };
  readonly decisions: number;
  readonly final: readonly { id: string; applied_index: number; state_hash: string }[];
  readonly checks: readonly CheckResult[];
  /** What the run exercised: a checker that passes with nothing to check proves little. */
  readonly coverage: Readonly<Record<string, number>>;
  readonly ok: boolean;
}

/** Counts of the decisions that matter for the verdict's strength (windows, loops, degradations, quarantines). */
export function coverageOf(decisions: readonly DecisionEntryRecord[]): Record<string, number> {
  const applied = decisions.filter((d) => d.decision.outcome !== 'rejected');
  const count = (f: (t: string) => boolean) => applied.filter((d) => f(d.decision.transition ?? '')).length;
  return {
    applied: applied.length,
    rejected: decisions.length - applied.length,
    time_gated: applied.filter((d) => d.decision.guard_outcomes.some((g) => g.guard === 'window')).length,
    execution_loops: count((t) => t === 'Execution_NextWindow'),
    reviews: count((t) => t === 'Execution_Approve' || t === 'Execution_Reverb'),
    license_degraded: count((t) => t === 'Control_Degrade'),
    license_restored: count((t) => t === 'Control_Restore'),
    quarantined: applied.filter((d) => d.decision.outcome === 'quarantined').length,
  };
}

/** A run must apply at least this many time-gated transitions, or its window checks proved nothing. */
const MIN_TIME_GATED = 1;

function coverageCheck(coverage: Record<string, number>, injected: number | null, reached: { decisions: number; wanted: number | null; interrupted: boolean }): CheckResult {
  const problems: string[] = [];
  if (reached.interrupted) problems.push('the run was interrupted before its workload finished');
  if (reached.wanted !== null && reached.decisions < reached.wanted) problems.push(`only ${reached.decisions} of the ${reached.wanted} decision records asked for (--transitions)${reached.interrupted ? '' : ' within --max-seconds: raise --max-seconds'}`);
  if ((coverage['time_gated'] ?? 0) < MIN_TIME_GATED) problems.push(`no time-gated transition was applied (at least ${MIN_TIME_GATED} needed): raise --max-seconds`);
  if (injected === 0) problems.push('the scenario injected no fault: raise --max-seconds or --transitions');
  return { checker: 'coverage', ok: problems.length === 0, problems, stats: { ...coverage, ...(injected === null ? {} : { faults_injected: injected }) } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const scenario = SCENARIOS[o.scenario];
  if (scenario === undefined) throw new Error(`unknown scenario ${o.scenario}; one of ${Object.keys(SCENARIOS).join(', ')}`);
  const t0 = Date.now();
  const dir = join(o.runDir, 'cluster');
  await mkdir(o.runDir, { recursive: true });
  const fakeBase = await freePortRange(6);
  const backend = await createBackend(o.backend, {
    dir,
    replicas: o.replicas,
    serveArgs: ['--log-level', 'warn', '--adapters', join(dir, 'adapters.json'), '--snapshot-every', String(SNAPSHOT_EVERY), '--log-tail-kept', String(LOG_TAIL_KEPT)],
    fakePortBase: fakeBase,
    seed: o.seed,
    beforeStart: tuneAdapters,
  });
  const cluster = backend.replicas;
  const secrets = await loadSecrets(join(dir, 'secrets.age'), join(dir, 'age.key'));
  // Fast BACKBEAT (a 6 s bar) so EXECUTION loops, and their window guards, happen many times per run.
  const fakes = await startAllFakes({
    port_base: fakeBase,
    host: backend.fakeBindHost ?? backend.fakeHost,
    seed: o.seed,
    per_kind: { kaching: { licenses: { [secrets.kaching!.license_key.reveal()]: 'lic-chaos' }, valid_for_ms: 120_000 }, backbeat: { tempo_bpm: 1200 } },
  });
  const history: HistoryOp[] = [];
  const record = (op: Omit<HistoryOp, 'id'>) => history.push({ id: history.length, ...op });
  const faults: string[] = [];
  const rng = new Prng(o.seed);
  const urls = cluster.urls;
  const client = (name: string, i: number) => new ChaosClient(name, urls, o.seed * 1000 + i, scenario.clientFaults, record);
  const ctx = { replicas: cluster, network: backend.network, fakes, rng, snapshotEvery: SNAPSHOT_EVERY, note: (f: string) => (faults.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${f}`), o.say(`fault: ${f}`)) };
  const schedule = new FaultSchedule(scenario);
  const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as { project: string };
  // What the demo agents did and waited for (logs/agents.log): why a run did or did not reach EXECUTION.
  const agentLog: string[] = [];
  const keys = await loadDemoKeys(dir);
  const agentsClient = client('agents', 0);
  const agents = new DemoAgents({ endpoints: urls, keys, hmmmUrl: fakes.urls.hmmm, environmentUrl: fakes.urls.environment, project: genesis.project, configHash: `sha256-${'0'.repeat(64)}`, say: (line) => agentLog.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`), propose: (req) => agentsClient.propose(req) });
  let running = true;
  const writers = Array.from({ length: o.writers }, async (_, i) => {
    const c = client(`writer-${i + 1}`, i + 1);
    const admin = keys.operator;
    for (let n = 0; running; n++) {
      // Add a signer, then remove it again: contention on HEAD without growing the state over a long run.
      const extra = SigningKey.derive(`chaos|${o.seed}|writer-${i}|${n - (n % 2)}`);
      const [transition, inputs] = n % 2 === 0 ? ['Governance_AddSigner', { signer: extra.signer, roles: ['reviewer'], label: `chaos-${i}-${n}` }] : ['Governance_RemoveSigner', { signer: extra.signer }];
      await c
        .propose({ url: urls[0]!, secretKey: admin.seed, transition, inputs, evidence: [`ucxl://chaos:admin@${genesis.project}:governance/*^/writer-${i}`], idemKey: `chaos:w${i}:${n}` })
        .catch(() => null);
      await sleep(o.writerIntervalMs ?? 100);
    }
  });
  agents.start();
  // How far the run has got: decision records seen so far (log entries without one, like noops, membership
  // changes and logged duplicates, do not count), read incrementally from the first replica that answers.
  let seen = { after: 0, count: 0, timeGated: 0 };
  const progress = async () => {
    for (const u of urls) {
      const page = await decisionsPage(u, seen.after, 1000, 2000).catch(() => null);
      if (page === null) continue;
      const { items } = page;
      seen = { after: items.at(-1)?.index ?? seen.after, count: seen.count + items.length, timeGated: seen.timeGated + coverageOf(items).time_gated! };
      break;
    }
    return seen;
  };
  // Done when enough decisions are recorded and the run has shown what its verdict is about: a time-gated
  // transition applied, and (for a scenario with faults) a fault injected.
  const done = async () => {
    const p = await progress();
    return p.count >= o.transitions && p.timeGated >= MIN_TIME_GATED && (scenario.faults.length === 0 || schedule.injected > 0);
  };
  let second = 0;
  try {
    // --max-seconds bounds the workload, not the setup (a first containers run builds an image).
    const started = Date.now();
    while ((Date.now() - started) / 1000 < o.maxSeconds && o.signal?.aborted !== true && !(await done())) {
      await schedule.step(ctx, second++);
      await sleep(1000);
    }
  } finally {
    running = false;
    await agents.stop();
    await Promise.all(writers);
    await schedule.heal(ctx);
    o.say('healed; waiting for convergence');
  }
  let finals: ReplicaFinal[] = [];
  let network: ChaosReport['network'] = {};
  try {
    const views = await cluster.converged(60_000);
    finals = await Promise.all(views.map(async (v) => ({ id: v.node_id, applied_index: v.consensus.applied_index, state_hash: v.state_hash, decisions: await allDecisions(cluster.member(v.node_id).http) })));
  } catch (e) {
    faults.push(`no convergence: ${(e as Error).message}`);
  } finally {
    network = backend.network.stats();
    await backend.close();
    await fakes.close();
    await mkdir(join(o.runDir, 'logs'), { recursive: true });
    for (const id of cluster.ids) await writeFile(join(o.runDir, 'logs', `${id}.log`), cluster.output(id));
    await writeFile(join(o.runDir, 'logs', 'agents.log'), agentLog.join('\n') + '\n');
  }
  const coverage = coverageOf(finals[0]?.decisions ?? []);
  const checks = finals.length === 0 ? [{ checker: 'convergence', ok: false, problems: ['replicas did not converge within 60 s after healing'], stats: {} }] : await runCheckers({ history, finals, dataDirs: cluster.ids.map((id) => join(dir, id)) });
  const decisions = finals[0]?.decisions.length ?? 0;
  checks.push(coverageCheck(coverage, scenario.faults.length === 0 ? null : schedule.injected, { decisions, wanted: o.requireTransitions === true ? o.transitions : null, interrupted: o.signal?.aborted === true }));
  const report: ChaosReport = {
    scenario: o.scenario,
    backend: o.backend,
    seed: o.seed,
    replicas: o.replicas,
    transitions: o.transitions,
    max_seconds: o.maxSeconds,
    writers: o.writers,
    run_dir: o.runDir,
    seconds: Math.round((Date.now() - t0) / 1000),
    faults,
    network,
    operations: { total: history.length, ok: history.filter((h) => h.result === 'ok').length, fail: history.filter((h) => h.result === 'fail').length, unknown: history.filter((h) => h.result === 'unknown').length },
    decisions,
    final: finals.map((f) => ({ id: f.id, applied_index: f.applied_index, state_hash: f.state_hash })),
    checks,
    coverage: { ...coverage, faults_injected: schedule.injected },
    ok: checks.every((c) => c.ok),
  };
  await writeFile(join(o.runDir, 'history.jsonl'), history.map((h) => JSON.stringify(h)).join('\n') + '\n');
  await writeFile(join(o.runDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}
