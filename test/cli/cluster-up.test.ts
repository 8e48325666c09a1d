// `swoosh cluster up` (npm start) as a user runs it: it creates the directory, prints where to go, takes a
// proposal, stops cleanly on Ctrl-C, and comes back with the same state.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePorts } from '../../src/node/free-ports.ts';
import { CLI, swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

function up(dir: string, httpPort: number, raftPort: number) {
  const child = spawn(process.execPath, [CLI, 'cluster', 'up', '--data', dir, '--replicas', '1', '--http-port-base', String(httpPort), '--raft-port-base', String(raftPort), '--no-demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const until = (re: RegExp, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (re.test(out)) return clearInterval(poll), resolve();
        if (Date.now() - t0 > ms) return clearInterval(poll), reject(new Error(`no ${re} within ${ms} ms:\n${out}`));
      }, 50);
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, until, exited, output: () => out };
}

test('swoosh cluster up creates, serves, stops on SIGINT and recovers', { timeout: 120_000 }, async () => {
  const dir = join(tempDir('cluster-up'), 'c');
  const [httpPort, raftPort] = await freePorts(2);
  const url = `http://127.0.0.1:${httpPort}`;
  const first = up(dir, httpPort!, raftPort!);
  await first.until(/listening on http/);
  assert.match(first.output(), /Operator key: .*operator\.key/, 'it prints the operator key path');
  assert.match(first.output(), new RegExp(`r1 +${url}`), 'it prints the endpoint');
  let head: { hash: string } | null = null;
  for (let i = 0; i < 100 && head === null; i++) {
    const res = await fetch(`${url}/state?projection=boot`).catch(() => null);
    if (res?.ok === true) head = (await res.json()) as { hash: string };
    else await new Promise((r) => setTimeout(r, 100));
  }
  const p = swooshSync('propose', '--url', url, '--key', join(dir, 'keys', 'operator.key'), '--transition', 'Boot_ConfigOk', '--inputs', `{"config_hash":"sha256-${'0'.repeat(64)}"}`);
  assert.equal(p.code, 0, p.stderr + p.stdout);
  const accepted = JSON.parse(p.stdout) as { state_post_hash: string };
  first.child.kill('SIGINT');
  assert.equal(await first.exited, 0, `cluster up exits 0 on Ctrl-C:\n${first.output()}`);
  assert.match(first.output(), /stopped/);

  const second = up(dir, httpPort!, raftPort!);
  try {
    await second.until(/listening on http/);
    let again: { hash: string } | null = null;
    for (let i = 0; i < 100 && again === null; i++) {
      const res = await fetch(`${url}/state?projection=boot`).catch(() => null);
      if (res?.ok === true) again = (await res.json()) as { hash: string };
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(again?.hash, accepted.state_post_hash, 'the restarted cluster serves the state it acknowledged');
  } finally {
    second.child.kill('SIGINT');
    await second.exited;
  }
  cleanup(join(dir, '..'));
});
