// The replica against the model: the same stream through the pure reducer and through the WAL-backed replica.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHlc, hlcSend, parseHlc } from '../../src/core/hlc.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { runDoctor } from '../../src/node/doctor.ts';
import { WorkloadModel } from '../../src/workload/generator.ts';
import { verdictProposal } from '../support/replica-driver.ts';
import { cleanup, initDataDir, openReplica, tempDir, TestClock } from '../support/replica-harness.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

test(`a seeded workload gets the same outcome from the replica as from the model at every step, and the same hashes ${seedNote()}`, async () => {
  const seed = TEST_SEED % 100_000;
  const model = new WorkloadModel(seed);
  const dir = tempDir('model');
  await initDataDir(dir, model.genesis);
  const clock = new TestClock();
  clock.ms = model.now;
  const replica = await openReplica(dir, clock, { snapshotEvery: 100 });
  try {
    for (let i = 0; i < 600; i++) {
      const next = model.next(150);
      clock.ms = model.now;
      const a = await replica.submit(next.proposal);
      assert.equal(a.kind, 'decided', `step ${i}: ${JSON.stringify(a)}`);
      if (a.kind !== 'decided') return;
      const o = a.outcome;
      // The model applies the entry the replica stamped; a duplicate never reaches the stamp check's concern.
      const last = model.state.hlc_last === null ? null : parseHlc(model.state.hlc_last);
      const fresh = o.duplicate && last !== null && last.ok ? hlcSend(last.value, clock.ms) : null;
      const stamp = fresh !== null && fresh.ok ? formatHlc(fresh.value) : o.hlc;
      const mine = model.absorb({ index: o.index, stamp, proposal: next.proposal, ...(next.expect !== undefined ? { expect: next.expect } : {}) });
      assert.deepEqual([mine.outcome.status, mine.outcome.code, mine.outcome.duplicate], [o.status, o.code, o.duplicate], `step ${i} (seed ${seed}): model and replica disagree: ${o.reasons.join('; ')}`);
      if (next.expect !== undefined) assert.equal(o.duplicate ? 'duplicate' : o.code, next.expect, `step ${i} (seed ${seed})`);
      if (i % 50 === 0 || o.status !== 'rejected') assert.equal(replica.head().hash, stateHash(model.state), `step ${i} (seed ${seed}): state hashes differ`);
    }
    assert.ok(replica.head().index > 300, 'replica.head().index > 300');
  } finally {
    await replica.close();
  }
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'healthy', JSON.stringify(doctor.checks));
  cleanup(dir);
});

test('group commit: concurrent writers share synced batches, and every acknowledged entry is durable and ordered', async () => {
  const dir = tempDir('group');
  await initDataDir(dir);
  const clock = new TestClock();
  clock.ms = Date.now();
  const replica = await openReplica(dir, clock, { now: () => Date.now() });
  const acked: number[] = [];
  const worker = async (): Promise<void> => {
    let head = replica.head().hash;
    let stamp = replica.head().hlc ?? formatHlc({ ms: Date.now(), logical: 0 });
    for (let done = 0; done < 8; ) {
      const a = await replica.submit(verdictProposal(replica, clock, head, stamp));
      assert.equal(a.kind, 'decided');
      if (a.kind !== 'decided') return;
      if (a.outcome.status === 'accepted') {
        acked.push(a.outcome.index);
        done++;
      }
      // Retry against the HEAD and stamp the replica reported (admitted entries included).
      head = a.outcome.state_post_hash;
      stamp = a.outcome.hlc;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const batches = (await replica.metrics.batchSize.get()).values.find((v) => v.metricName === 'swoosh_wal_batch_size_count')?.value ?? 0;
  await replica.close();
  assert.equal(acked.length, 128);
  assert.deepEqual([...acked].sort((x, y) => x - y), Array.from({ length: 128 }, (_, i) => i + 1));
  assert.ok(batches < 128, `expected shared batches, got ${batches} batches for 128 entries`);
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'healthy');
  assert.equal(doctor.live.index, 128);
  cleanup(dir);
});
