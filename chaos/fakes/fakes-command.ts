// `swoosh fakes up`: all six fake external systems on consecutive loopback ports until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { intOption, UsageError } from '../../src/cli/cli-io.ts';
import { startAllFakes } from './index.ts';

export const DEFAULT_FAKES_PORT_BASE = 7300;

export async function fakesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'up') throw new UsageError('usage: swoosh fakes up [--host 127.0.0.1] [--port-base 7300] [--seed S] [--tempo-bpm N]');
  const { values } = parseArgs({
    args: rest,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'port-base': { type: 'string' },
      seed: { type: 'string' },
      'tempo-bpm': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const portBase = intOption(values['port-base'], 'port-base', DEFAULT_FAKES_PORT_BASE);
  if (portBase > 65535 - 5) throw new UsageError(`--port-base must leave room for six ports, got ${portBase}`);
  const seed = intOption(values.seed, 'seed', 1);
  let tempoBpm: number | undefined;
  if (values['tempo-bpm'] !== undefined) {
    tempoBpm = Number(values['tempo-bpm']);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(values['tempo-bpm']) || !(tempoBpm > 0 && tempoBpm <= 60_000)) {
      throw new UsageError(`--tempo-bpm must be a number in (0, 60000], got ${values['tempo-bpm']}`);
    }
  }

  const fakes = await startAllFakes({ host: values.host!, port_base: portBase, seed, ...(tempoBpm === undefined ? {} : { tempo_bpm: tempoBpm }) });
  process.stdout.write(JSON.stringify(fakes.urls) + '\n');
  const signal = await new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
  process.stderr.write(`swoosh fakes: ${signal}, stopping\n`);
  await fakes.close();
  return 0;
}
