// The acceptance run (brief §15) at CI size: a seeded workload through a real 3-replica cluster, every answer
// checked against the model, one state hash everywhere at the end. `swoosh acceptance` runs the full 10,000.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptancePassed } from '../../src/acceptance/acceptance-report.ts';
import { runClusterAcceptance } from '../../src/acceptance/cluster-run.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

test(`300 seeded transitions through a 3-replica cluster end with the model's state hash on every replica ${seedNote()}`, { timeout: 120_000 }, async () => {
  const seed = TEST_SEED % 100_000;
  const dir = tempDir('acceptance');
  try {
    const r = await runClusterAcceptance({ replicas: 3, count: 300, seed, dir });
    const summary = `seed ${seed}: ${JSON.stringify({ failure: r.failure, outcomes: r.outcomes, hashes: r.replicas_hashes, doctor: r.doctor_problems, violations: r.violations, mismatches: r.expectation_mismatches })}`;
    assert.equal(r.failure, null, summary);
    assert.equal(r.driven, 300, summary);
    assert.ok(r.identical, `replicas differ: ${summary}`);
    assert.ok(r.model_hash_matches, `cluster ${r.final_state_hash} is not the model's ${r.model_state_hash}: ${summary}`);
    assert.deepEqual(r.doctor, { r1: 'healthy', r2: 'healthy', r3: 'healthy' }, summary);
    assert.equal(r.invariant_violations, 0, summary);
    assert.deepEqual(r.expectation_mismatches, [], summary);
    assert.ok(acceptancePassed(r), `acceptancePassed is false: ${summary}`);
    // Not vacuous: most proposals were logged, hostile ones were refused, and the machine reached EXECUTION.
    assert.ok(r.outcomes.accepted + r.outcomes.quarantined >= 200, `only ${r.outcomes.accepted} accepted and ${r.outcomes.quarantined} quarantined: ${summary}`);
    assert.ok(r.outcomes.rejected >= 10, `only ${r.outcomes.rejected} rejections: ${summary}`);
    assert.ok(r.execution_loops >= 1, `no EXECUTION loop completed: ${summary}`);
    assert.ok(r.applied_index !== null && r.applied_index >= r.outcomes.accepted + r.outcomes.quarantined, `applied index ${r.applied_index} is below the logged entries: ${summary}`);
  } finally {
    cleanup(dir);
  }
});
