// `swoosh acceptance`: the seeded cluster acceptance run (brief §15); prints the report, exits 1 unless it passed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { acceptancePassed, type AcceptanceReport } from '../acceptance/acceptance-report.ts';
import { DEFAULT_CLOCK_RATE, runClusterAcceptance } from '../acceptance/cluster-run.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

const USAGE = 'usage: swoosh acceptance [--replicas 3|5] [--count N] [--seed S] [--data DIR] [--hostile-permille P] [--clock-rate R]';
const PROGRESS_EVERY = 1000;

export async function acceptanceCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      replicas: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      'hostile-permille': { type: 'string' },
      'clock-rate': { type: 'string' },
    },
  });
  const replicas = intOption(values.replicas, 'replicas', 3);
  if (![1, 3, 5, 7].includes(replicas)) throw new UsageError(`--replicas must be 3 or 5 (or 1 or 7), got ${replicas}\n${USAGE}`);
  const count = intOption(values.count, 'count', 10_000);
  const seed = intOption(values.seed, 'seed', 1);
  const hostilePermille = intOption(values['hostile-permille'], 'hostile-permille', 150);
  if (hostilePermille > 1000) throw new UsageError(`--hostile-permille is at most 1000\n${USAGE}`);
  const clockRate = intOption(values['clock-rate'], 'clock-rate', DEFAULT_CLOCK_RATE);
  if (clockRate === 0) throw new UsageError(`--clock-rate must be at least 1\n${USAGE}`);

  const reproduce = [
    `swoosh acceptance --replicas ${replicas} --count ${count} --seed ${seed}`,
    hostilePermille !== 150 ? ` --hostile-permille ${hostilePermille}` : '',
    clockRate !== DEFAULT_CLOCK_RATE ? ` --clock-rate ${clockRate}` : '',
  ].join('');
  const dir = values.data ?? (await mkdtemp(join(tmpdir(), 'swoosh-acceptance-')));
  process.stderr.write(`acceptance: ${replicas} replicas, ${count} proposals, seed ${seed}, cluster clock x${clockRate}, data ${dir}\n`);
  const started = Date.now();
  let report: AcceptanceReport;
  try {
    report = await runClusterAcceptance({
      replicas,
      count,
      seed,
      dir,
      hostilePermille,
      clockRate,
      onProgress: (done) => {
        if (done % PROGRESS_EVERY === 0 || done === count) process.stderr.write(`acceptance: ${done}/${count} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      },
    });
  } catch (e) {
    process.stderr.write(`acceptance: the run could not complete (seed ${seed}): ${(e as Error).message}\nreproduce with: ${reproduce}\n`);
    return 1;
  } finally {
    if (values.data === undefined) await rm(dir, { recursive: true, force: true });
  }
  printJson(report);
  if (acceptancePassed(report)) {
    process.stderr.write(`acceptance: passed: ${replicas} replicas identical at index ${report.applied_index} (${report.final_state_hash}), equal to the model; doctor healthy on all; no invariant violated\n`);
    return 0;
  }
  const why = [
    report.failure,
    report.identical ? null : 'replica state hashes or applied indexes differ',
    report.model_hash_matches ? null : 'the cluster state hash is not the model state hash',
    report.invariant_violations === 0 ? null : `${report.invariant_violations} invariant violation(s)`,
    Object.values(report.doctor).every((v) => v === 'healthy') ? null : `doctor: ${JSON.stringify(report.doctor)}`,
  ].filter((x) => x !== null);
  process.stderr.write(`acceptance: FAILED (seed ${seed}): ${why.join('; ')}\nreproduce with: ${reproduce}${values.data === undefined ? ' --data DIR (to keep the replicas\' directories)' : ''}\n`);
  return 1;
}
