// `swoosh doctor --data DIR`: print the rebuild comparison; exit 1 on any difference or corruption.
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runDoctor } from '../node/doctor.ts';
import { storeDir } from '../storage/data-dir.ts';
import { printJson, UsageError } from './cli-io.ts';

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' } } });
  if (values.data === undefined) throw new UsageError('usage: swoosh doctor --data DIR');
  await access(storeDir(values.data)).catch(() => {
    throw new UsageError(`${values.data} is not a SWOOSH data directory (no db/); see swoosh init`);
  });
  const report = await runDoctor(values.data);
  printJson(report);
  process.stderr.write(`doctor: ${report.verdict}${report.verdict === 'healthy' ? '' : ` (${report.checks.filter((c) => !c.ok).map((c) => c.name).join('; ')})`}\n`);
  return report.verdict === 'healthy' ? 0 : 1;
}
