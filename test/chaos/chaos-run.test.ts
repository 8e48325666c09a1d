// Bounded chaos runs against real processes: client faults, and a follower restarted with a torn WAL tail. Every
// checker must pass, and must have had something to check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runChaos } from '../../chaos/harness/chaos-run.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

for (const scenario of ['client', 'torn-wal'] as const) {
  test(`chaos ${scenario}: a bounded run passes every checker ${seedNote()}`, { timeout: 180_000 }, async () => {
    const runDir = join(tempDir(`chaos-${scenario}`), 'run');
    const report = await runChaos({ scenario, backend: 'process', seed: TEST_SEED, replicas: 3, transitions: 150, maxSeconds: 60, writers: 1, runDir, say: () => {} });
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.checker}: ${c.problems.slice(0, 5).join(' | ')}`);
    assert.deepEqual(failed, [], `every checker passes (run dir ${runDir}, faults ${report.faults.join('; ')})`);
    assert.equal(report.checks.length, 10, `five checkers, one WAL replay per replica, doctor, coverage: ${report.checks.map((c) => c.checker).join(', ')}`);
    const stat = (checker: string, name: string) => report.checks.find((c) => c.checker === checker)?.stats[name] ?? -1;
    assert.ok(stat('no-lost-acks', 'acked') > 50, `acknowledged operations were checked: ${stat('no-lost-acks', 'acked')}`);
    assert.ok(stat('cas-linearizable', 'decisions') >= 150, 'the decision chain was checked');
    assert.equal(new Set(report.final.map((f) => f.state_hash)).size, 1, 'identical state hashes');
    assert.equal(report.coverage['applied'], stat('decision-records', 'accepted') + stat('decision-records', 'quarantined'), 'coverage counts the applied decisions the checker saw');
    const history = readFileSync(join(runDir, 'history.jsonl'), 'utf8').trim().split('\n');
    assert.equal(history.length, report.operations.total, 'the history is written to the run dir');
    if (scenario === 'torn-wal') assert.ok(report.faults.some((f) => f.includes('tear its WAL tail')), `a replica's WAL tail was torn: ${report.faults.join('; ')}`);
    if (scenario === 'client') assert.ok(stat('no-lost-acks', 'acked_duplicates') > 0, 'duplicated proposals were answered as duplicates');
    cleanup(join(runDir, '..'));
  });
}

test('chaos: an interrupted run, short of its --transitions, still heals and stops its replicas, and fails coverage', { timeout: 180_000 }, async () => {
  const runDir = join(tempDir('chaos-interrupt'), 'run');
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 5_000);
  const report = await runChaos({ scenario: 'client', backend: 'process', seed: TEST_SEED, replicas: 3, transitions: 100_000, maxSeconds: 120, requireTransitions: true, signal: stop.signal, writers: 1, runDir, say: () => {} });
  const coverage = report.checks.find((c) => c.checker === 'coverage');
  assert.equal(report.ok, false, 'the verdict fails');
  assert.ok(coverage?.problems.some((p) => /interrupted/.test(p)), `coverage names the interruption: ${coverage?.problems.join(' | ')}`);
  assert.ok(coverage?.problems.some((p) => p.startsWith(`only ${report.decisions} of the 100000 decision records`)), `and the shortfall: ${coverage?.problems.join(' | ')}`);
  assert.ok(report.seconds < 100, `the workload ended at the interruption, not at --max-seconds (${report.seconds} s)`);
  assert.equal(new Set(report.final.map((f) => f.state_hash)).size, 1, 'the replicas converged before they were stopped');
  const left = spawnSync('pgrep', ['-f', runDir], { encoding: 'utf8' });
  assert.equal(left.stdout.trim(), '', `no replica process of this run is left: ${left.stdout}`);
  cleanup(join(runDir, '..'));
});
