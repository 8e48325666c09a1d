// `swoosh bench` (npm run bench): measurements quoted in the README come from here, never from tests.
import { parseArgs } from 'node:util';
import { runCoreBench } from '../bench/core-bench.ts';
import { runReplicaBench } from '../bench/replica-bench.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string' }, replicas: { type: 'string' }, concurrency: { type: 'string' } } });
  if (values.replicas === undefined) {
    printJson(runCoreBench(intOption(values.count, 'count', 10_000), [0, 10_000, 100_000]));
    return 0;
  }
  if (values.replicas !== '1') throw new UsageError('--replicas 3|5 needs Raft replication, which is not built yet; --replicas 1 benchmarks one replica');
  const levels = (values.concurrency ?? '1,16,64').split(',').map((c) => intOption(c, 'concurrency'));
  printJson(await runReplicaBench(levels, intOption(values.count, 'count', 1500)));
  return 0;
}
