// `swoosh chaos` (npm run chaos): one scenario against a real local cluster; exit 0 only if every checker passes.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { intOption, UsageError } from '../../src/cli/cli-io.ts';
import { BackendUnavailable } from './backend.ts';
import { BACKENDS, runChaos, type BackendName } from './chaos-run.ts';
import { SCENARIOS } from './scenarios.ts';

const USAGE = `usage: swoosh chaos --scenario ${Object.keys(SCENARIOS).join('|')} [--seed S] [--replicas 3|5] [--transitions N] [--max-seconds 300] [--writers 1] [--run-dir DIR] [--backend ${BACKENDS.join('|')}]`;

export async function chaosCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { scenario: { type: 'string' }, seed: { type: 'string' }, replicas: { type: 'string' }, transitions: { type: 'string' }, 'max-seconds': { type: 'string' }, writers: { type: 'string' }, 'run-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  const scenario = values.scenario;
  if (scenario === undefined || SCENARIOS[scenario] === undefined) throw new UsageError(USAGE);
  const backend = (values.backend ?? 'process') as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError(USAGE);
  const seed = intOption(values.seed, 'seed', 1);
  const replicas = intOption(values.replicas, 'replicas', 3);
  const runDir = values['run-dir'] ?? join('.swoosh', 'chaos', `${scenario}-seed${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
  say(`${scenario}: ${SCENARIOS[scenario]!.description}; seed ${seed}, ${replicas} replicas, run dir ${runDir}`);
  let report;
  try {
    report = await runChaos({
      scenario,
      backend,
      seed,
      replicas,
      transitions: intOption(values.transitions, 'transitions', 300),
      maxSeconds: intOption(values['max-seconds'], 'max-seconds', 300),
      writers: intOption(values.writers, 'writers', 1),
      runDir,
      say,
    });
  } catch (e) {
    // Not root, no `ip netns`, no Docker engine: say why and exit 2 (not a verdict).
    if (e instanceof BackendUnavailable) {
      process.stderr.write(`swoosh chaos: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  for (const c of report.checks) {
    say(`${c.ok ? 'PASS' : 'FAIL'} ${c.checker} ${JSON.stringify(c.stats)}`);
    for (const p of c.problems.slice(0, 10)) say(`     ${p}`);
  }
  say(`coverage ${JSON.stringify(report.coverage)}`);
  if ((report.coverage['time_gated'] ?? 0) === 0) say('warning: no time-gated transition was applied, so the window checks had nothing to check (a longer run reaches EXECUTION)');
  say(`${report.ok ? 'PASS' : 'FAIL'}: ${report.operations.total} operations (${report.operations.ok} ok, ${report.operations.fail} fail, ${report.operations.unknown} unknown), ${report.decisions} decisions, ${report.faults.length} faults, ${report.seconds} s; report ${join(runDir, 'report.json')}`);
  if (!report.ok) say(`reproduce: npm run chaos -- --scenario ${scenario} --seed ${seed} --replicas ${replicas} --transitions ${values.transitions ?? 300} --backend ${backend}`);
  return report.ok ? 0 : 1;
}
