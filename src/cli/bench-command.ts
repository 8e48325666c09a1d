// `swoosh bench` (npm run bench): measurements quoted in the README come from here, never from tests.
import { parseArgs } from 'node:util';
import { runClusterBench } from '../bench/cluster-bench.ts';
import { runCoreBench } from '../bench/core-bench.ts';
import { runReplicaBench } from '../bench/replica-bench.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string' }, replicas: { type: 'string' }, concurrency: { type: 'string' }, vs: { type: 'string' } } });
  if (values.replicas === undefined) {
    printJson(runCoreBench(intOption(values.count, 'count', 10_000), [0, 10_000, 100_000]));
    return 0;
  }
  const levels = (values.concurrency ?? '1,16,64').split(',').map((c) => intOption(c, 'concurrency'));
  if (values.vs !== undefined && values.vs !== 'etcd') throw new UsageError('--vs takes etcd (the only peer benchmarked)');
  if (values.replicas === '1') {
    if (values.vs !== undefined) throw new UsageError('--vs etcd compares clusters: use --replicas 3 or 5');
    printJson(await runReplicaBench(levels, intOption(values.count, 'count', 1500)));
    return 0;
  }
  if (values.replicas !== '3' && values.replicas !== '5') throw new UsageError('--replicas is 1, 3 or 5');
  printJson(await runClusterBench(Number(values.replicas), levels, intOption(values.count, 'count', 1000), values.vs === 'etcd'));
  return 0;
}
