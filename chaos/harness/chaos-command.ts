// `swoosh chaos` (npm run chaos): one scenario against a real local cluster; exit 0 only if every checker passes.
// `swoosh chaos suite` (CI) runs every scenario once, bounded; `swoosh chaos soak --minutes M` one long mixed run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { intOption, UsageError } from '../../src/cli/cli-io.ts';
import { BackendUnavailable } from './backend.ts';
import { BACKENDS, runChaos, type BackendName, type ChaosOptions, type ChaosReport } from './chaos-run.ts';
import { SCENARIOS } from './scenarios.ts';

const COMMON = '[--seed S] [--replicas 3|5] [--writers 1] [--run-dir DIR] [--backend process|netns|containers]';
const USAGE = [
  `usage: swoosh chaos --scenario ${Object.keys(SCENARIOS).join('|')} [--transitions 300] [--max-seconds max(300, 0.3 × transitions)] ${COMMON}`,
  `       swoosh chaos suite [--max-minutes 10] ${COMMON}      every scenario once (CI)`,
  `       swoosh chaos soak --minutes M ${COMMON}              one long run of the full mix`,
].join('\n');

const OPTIONS = {
  scenario: { type: 'string' },
  seed: { type: 'string' },
  replicas: { type: 'string' },
  transitions: { type: 'string' },
  'max-seconds': { type: 'string' },
  'max-minutes': { type: 'string' },
  minutes: { type: 'string' },
  writers: { type: 'string' },
  'run-dir': { type: 'string' },
  backend: { type: 'string' },
} as const;

const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Seconds a single run may take by default: ~3 decisions/s is a third of the full mix's rate on a 2-core machine. */
export function defaultMaxSeconds(transitions: number): number {
  return Math.max(300, Math.ceil(transitions * 0.3));
}

function printReport(r: ChaosReport, reproduce: string): void {
  for (const c of r.checks) {
    say(`${c.ok ? 'PASS' : 'FAIL'} ${c.checker} ${JSON.stringify(c.stats)}`);
    for (const p of c.problems.slice(0, 10)) say(`     ${p}`);
  }
  say(`${r.ok ? 'PASS' : 'FAIL'}: ${r.scenario}, ${r.operations.total} operations (${r.operations.ok} ok, ${r.operations.fail} fail, ${r.operations.unknown} unknown), ${r.decisions} decisions, ${r.faults.length} fault events, ${r.seconds} s; report ${join(r.run_dir, 'report.json')}`);
  if (!r.ok) say(`reproduce: ${reproduce}`);
}

/** Exit status when the backend cannot run here: automake's "skipped", distinct from usage errors (2). */
export const EXIT_UNAVAILABLE = 77;

/** Runs one scenario; a backend that cannot run here is EXIT_UNAVAILABLE with the reason, not a verdict. */
async function runOne(o: ChaosOptions, reproduce = `npm run chaos -- --scenario ${o.scenario} --seed ${o.seed} --replicas ${o.replicas} --backend ${o.backend} --transitions ${o.transitions} --max-seconds ${o.maxSeconds} --writers ${o.writers}`): Promise<ChaosReport | 'unavailable'> {
  say(`${o.scenario}: ${SCENARIOS[o.scenario]!.description}; seed ${o.seed}, ${o.replicas} replicas, backend ${o.backend}, run dir ${o.runDir}`);
  try {
    const r = await runChaos(o);
    printReport(r, reproduce);
    return r;
  } catch (e) {
    if (e instanceof BackendUnavailable) {
      process.stderr.write(`swoosh chaos: ${e.message}\n`);
      return 'unavailable';
    }
    throw e;
  }
}

/** Scenario lengths for the suite: enough decisions for the faults to happen and the checks to have something. */
const SUITE_TRANSITIONS: Readonly<Record<string, number>> = { all: 300, 'snapshot-rollback': 260, license: 200, 'mcp-flap': 200 };

export async function chaosCommand(argv: string[]): Promise<number> {
  const sub = argv[0] === 'suite' || argv[0] === 'soak' ? argv[0] : null;
  const { values } = parseArgs({ args: sub === null ? argv : argv.slice(1), options: OPTIONS });
  const backend = (values.backend ?? 'process') as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError(USAGE);
  // Ctrl-C or SIGTERM ends the workload: the run still heals, stops its replicas and writes its report (and
  // fails). A second signal exits at once.
  const interrupt = new AbortController();
  const onSignal = (sig: string) => {
    say(`${sig}: stopping the workload, healing and stopping the replicas (send it again to exit at once)`);
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const base = {
    backend,
    seed: intOption(values.seed, 'seed', 1),
    replicas: intOption(values.replicas, 'replicas', 3),
    writers: intOption(values.writers, 'writers', 1),
    signal: interrupt.signal,
    say,
  };
  if (![3, 5].includes(base.replicas)) throw new UsageError('--replicas must be 3 or 5');

  if (sub === 'soak') {
    if (values.minutes === undefined) throw new UsageError(USAGE);
    const minutes = intOption(values.minutes, 'minutes');
    const runDir = values['run-dir'] ?? join('.swoosh', 'chaos', `soak-seed${base.seed}-${stamp()}`);
    // Bounded by time only: as many decisions as M minutes of the full mix produce.
    const r = await runOne({ ...base, scenario: 'all', transitions: Number.MAX_SAFE_INTEGER, maxSeconds: minutes * 60, runDir }, `npm run chaos:soak -- --minutes ${minutes} --seed ${base.seed} --replicas ${base.replicas} --writers ${base.writers} --backend ${backend}`);
    return r === 'unavailable' ? EXIT_UNAVAILABLE : r.ok ? 0 : 1;
  }

  if (sub === 'suite') {
    const budget = intOption(values['max-minutes'], 'max-minutes', 10) * 60_000;
    const dir = values['run-dir'] ?? join('.swoosh', 'chaos', `suite-seed${base.seed}-${stamp()}`);
    const t0 = Date.now();
    const rows: { scenario: string; ok: boolean; seconds: number; decisions: number; faults: number; time_gated: number; run_dir: string }[] = [];
    for (const scenario of Object.keys(SCENARIOS)) {
      const left = Math.floor((budget - (Date.now() - t0)) / 1000);
      // Every scenario must run: a suite out of time fails rather than skipping what is left.
      if (left < 30 || interrupt.signal.aborted) {
        rows.push({ scenario, ok: false, seconds: 0, decisions: 0, faults: 0, time_gated: 0, run_dir: interrupt.signal.aborted ? 'not run: interrupted' : 'not run: the suite ran out of time' });
        continue;
      }
      const r = await runOne({ ...base, scenario, transitions: SUITE_TRANSITIONS[scenario] ?? 150, maxSeconds: Math.min(90, left - 20), runDir: join(dir, scenario) });
      if (r === 'unavailable') return EXIT_UNAVAILABLE;
      rows.push({ scenario, ok: r.ok, seconds: r.seconds, decisions: r.decisions, faults: r.coverage['faults_injected'] ?? 0, time_gated: r.coverage['time_gated'] ?? 0, run_dir: r.run_dir });
    }
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'suite.json'), JSON.stringify({ seed: base.seed, replicas: base.replicas, backend, seconds: Math.round((Date.now() - t0) / 1000), rows }, null, 2) + '\n');
    for (const row of rows) say(`${row.ok ? 'PASS' : 'FAIL'} ${row.scenario.padEnd(18)} ${String(row.seconds).padStart(4)} s ${String(row.decisions).padStart(5)} decisions ${String(row.faults).padStart(3)} faults ${String(row.time_gated).padStart(3)} time-gated  ${row.run_dir}`);
    const ok = rows.every((r) => r.ok);
    say(`suite ${ok ? 'PASS' : 'FAIL'}: ${rows.filter((r) => r.ok).length}/${rows.length} scenarios in ${Math.round((Date.now() - t0) / 1000)} s; ${join(dir, 'suite.json')}`);
    return ok ? 0 : 1;
  }

  const scenario = values.scenario;
  if (scenario === undefined || SCENARIOS[scenario] === undefined) throw new UsageError(USAGE);
  const runDir = values['run-dir'] ?? join('.swoosh', 'chaos', `${scenario}-seed${base.seed}-${stamp()}`);
  const transitions = intOption(values.transitions, 'transitions', 300);
  const r = await runOne({ ...base, scenario, transitions, maxSeconds: intOption(values['max-seconds'], 'max-seconds', defaultMaxSeconds(transitions)), requireTransitions: true, runDir });
  return r === 'unavailable' ? EXIT_UNAVAILABLE : r.ok ? 0 : 1;
}
