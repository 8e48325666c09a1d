// `swoosh serve` child processes for benchmarks, tests and `cluster up`: start one and learn that it listens,
// kill it hard, or stop it gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

/** A spawned `swoosh serve`; `listening` resolves with its URL once it logs that it listens. */
export interface ServeChild {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly listening: Promise<string>;
}

/**
 * Spawns `swoosh serve ARGS`; a process that does not listen within `timeoutMs` is killed. `prefix` runs it
 * through another command that execs it (e.g. `ip netns exec NS`), so the child's pid is still node's.
 */
export function spawnServe(args: readonly string[], label: string, timeoutMs = 30_000, prefix: readonly string[] = []): ServeChild {
  const argv = [process.execPath, CLI, 'serve', ...args];
  const child = spawn(prefix[0] ?? argv[0]!, [...prefix.slice(1), ...(prefix.length > 0 ? argv : argv.slice(1))], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${label}: cannot run ${prefix[0] ?? 'node'}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? code}) before listening:\n${out}`));
    });
  });
  return { child, output: () => out, listening };
}

/** Starts `swoosh serve` on an ephemeral loopback port; resolves once it logs that it listens. */
export async function startServe(dataDir: string, extra: string[] = [], timeoutMs = 20_000): Promise<ServeProcess> {
  const s = spawnServe(['--data', dataDir, '--port', '0', '--host', '127.0.0.1', ...extra], 'serve', timeoutMs);
  return { child: s.child, url: await s.listening, output: s.output };
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

/** kill -9: no shutdown path runs. */
export function killHard(p: { readonly child: ChildProcess }): Promise<void> {
  return new Promise((resolve) => {
    if (exited(p.child)) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (exited(child)) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGTERM');
  });
}
