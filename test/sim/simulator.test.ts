// The cluster simulator: seeded runs stay safe and live, the same seed reproduces the same run, and it has teeth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulation } from '../../src/sim/cluster-sim.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

test(`30 swarm seeds (from SWOOSH_TEST_SEED) keep every safety check and converge after healing ${seedNote()}`, () => {
  const base = TEST_SEED % 1_000_000;
  let calm = 0;
  let hostile = 0;
  let installs = 0;
  for (let seed = base; seed < base + 30; seed++) {
    const r = runSimulation(seed, 600);
    assert.deepEqual(r.violations, [], `seed ${seed}: reproduce with npm run sim -- --seed ${seed} --steps 600`);
    assert.ok(r.converged, `seed ${seed} did not converge`);
    assert.ok(r.ops.accepted > 0, `seed ${seed} accepted nothing`);
    installs += r.snapshotsInstalled;
    if (r.params.dropPermille === 0 && r.params.crashPermille === 0) calm++;
    else hostile++;
  }
  assert.ok(calm > 0 && hostile > 0, 'the swarm should produce both calm and hostile runs');
  assert.ok(installs > 0, 'some follower should have fallen behind a compacted log and installed a snapshot');
});

test('the same seed reproduces the same run exactly', () => {
  const a = runSimulation(4242, 400);
  const b = runSimulation(4242, 400);
  assert.deepEqual(a, b);
});

test('regression: seeds 73, 226, 257 (full in-flight window), 350 (lost final proposal), 411 (unreported lost snapshot)', () => {
  for (const seed of [73, 226, 257, 350, 411]) {
    const r = runSimulation(seed, 800);
    assert.deepEqual(r.violations, [], `seed ${seed}: npm run sim -- --seed ${seed} --steps 800`);
    assert.ok(r.converged, 'r.converged');
  }
});
