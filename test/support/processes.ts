// Real replica processes for tests: spawn `swoosh serve`, learn its URL from its log, kill it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

export { killHard, startServe, type ServeProcess } from '../../src/node/serve-process.ts';

export function swooshSync(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
