// The etcd peer of `bench --vs etcd`: a real 3-member cluster, a small load, and a clean stop.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runEtcdLoad, startEtcdCluster } from '../../src/bench/etcd-peer.ts';

const missing = spawnSync('etcd', ['--version']).error !== undefined && spawnSync('/usr/bin/etcd', ['--version']).error !== undefined;
const skip = missing ? "etcd not found: install Debian's etcd-server to run this test" : false;

/** Pids of live processes whose command line mentions `dir` (each member's --data-dir is under it). */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

test('a 3-member etcd cluster takes 200 puts and stops without leftovers', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-etcd-'));
  try {
    const cluster = await startEtcdCluster({ members: 3, dir });
    try {
      assert.equal(cluster.endpoints.length, 3);
      assert.match(cluster.version, /^\d+\.\d+\.\d+/);
      assert.equal(processesUsing(dir).length, 3, 'three member processes while running');
      const r = await runEtcdLoad({ endpoints: cluster.endpoints, concurrency: 4, count: 200 });
      assert.equal(r.ops, 200);
      assert.equal(r.errors, 0);
      assert.equal(r.concurrency, 4);
      assert.ok(r.ops_per_s > 0, `ops_per_s ${r.ops_per_s} should be positive`);
      assert.ok(r.p99_ms >= r.p50_ms, `p99 ${r.p99_ms} ms should be >= p50 ${r.p50_ms} ms`);
    } finally {
      await cluster.stop();
    }
    assert.deepEqual(processesUsing(dir), [], 'no member process remains after stop()');
    await assert.rejects(fetch(`${cluster.endpoints[0]}/health`, { signal: AbortSignal.timeout(2_000) }), 'the client port is closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a member that cannot start fails the start with its stderr, and the others are stopped', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-etcd-'));
  try {
    writeFileSync(join(dir, 'etcd-1'), 'not a directory'); // member 1's data dir is a file: etcd exits at once
    // Should it start anyway, stop it so a failing test leaves no processes behind.
    const failure = await startEtcdCluster({ members: 3, dir }).then(async (c) => void (await c.stop()), (e: Error) => e);
    assert.ok(failure instanceof Error, 'start must fail when a member cannot start');
    assert.match(failure.message, /etcd-1 exited/);
    assert.match(failure.message, /not a directory/, 'the error carries the member stderr tail');
    assert.deepEqual(processesUsing(dir), [], 'members 0 and 2 were stopped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
