// `swoosh sim`: run the deterministic cluster simulator for one seed or a range; print how to replay a failure.
import { parseArgs } from 'node:util';
import { runSimulation } from '../sim/cluster-sim.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, seeds: { type: 'string' }, steps: { type: 'string' } } });
  const steps = intOption(values.steps, 'steps', 1000);
  const replay = (seed: number) => `npm run sim -- --seed ${seed} --steps ${steps}`;
  if (values.seeds === undefined) {
    const seed = intOption(values.seed, 'seed', 1);
    const report = runSimulation(seed, steps);
    printJson(report);
    if (report.violations.length > 0) process.stderr.write(`sim: seed ${seed} FAILED; reproduce with: ${replay(seed)}\n`);
    return report.violations.length === 0 ? 0 : 1;
  }
  const m = /^(\d+)\.\.(\d+)$/.exec(values.seeds);
  if (m === null || Number(m[1]) > Number(m[2])) throw new UsageError('--seeds takes a range FIRST..LAST, e.g. 1..500');
  let failed = 0;
  let ops = 0;
  const started = Date.now();
  for (let seed = Number(m[1]); seed <= Number(m[2]); seed++) {
    const r = runSimulation(seed, steps);
    ops += r.ops.acked;
    if (r.violations.length > 0) {
      failed++;
      process.stdout.write(`seed ${seed} FAILED (${r.params.size} replicas): ${r.violations[0]}\n  reproduce with: ${replay(seed)}\n`);
    }
  }
  const total = Number(m[2]) - Number(m[1]) + 1;
  process.stdout.write(`sim: ${total - failed} passed, ${failed} failed (${total} seeds x ${steps} steps, ${ops} acknowledged client operations, ${Math.round((Date.now() - started) / 1000)} s)\n`);
  return failed === 0 ? 0 : 1;
}
