// `swoosh bench` (npm run bench): measurements quoted in the README come from here, never from tests.
import { parseArgs } from 'node:util';
import { runCoreBench } from '../bench/core-bench.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string' }, replicas: { type: 'string' } } });
  if (values.replicas !== undefined) throw new UsageError('--replicas needs the replica runtime, which is not built yet; `swoosh bench` measures the core reducer');
  printJson(runCoreBench(intOption(values.count, 'count', 10_000), [0, 10_000, 100_000]));
  return 0;
}
