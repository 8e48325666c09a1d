// Recovery on real LevelDB files: restart, snapshots, a corrupt snapshot, a torn tail, mid-log corruption, altered records.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { runDoctor } from '../../src/node/doctor.ts';
import { CorruptLogError } from '../../src/node/recovery.ts';
import { storeDir } from '../../src/storage/data-dir.ts';
import { decodeFrame, encodeFrame, FRAME_KIND } from '../../src/storage/record-frame.ts';
import type { DecisionEntryRecord, LogEntryRecord } from '../../src/storage/records.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { indexKey, KEYS } from '../../src/storage/storage-keys.ts';
import { acceptMany } from '../support/replica-driver.ts';
import { cleanup, initDataDir, openReplica, tempDir, TestClock } from '../support/replica-harness.ts';

async function withStore<T>(dir: string, f: (s: ReplicaStore) => Promise<T>): Promise<T> {
  const s = await ReplicaStore.open(storeDir(dir));
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

async function flipByte(dir: string, key: string, at = 20): Promise<Uint8Array> {
  return withStore(dir, async (s) => {
    const bytes = Uint8Array.from((await s.getRaw(key))!);
    const original = Uint8Array.from(bytes);
    bytes[at] = bytes[at]! ^ 0xff;
    await s.putRaw(key, bytes);
    return original;
  });
}

async function written(n: number, config = {}): Promise<{ dir: string; clock: TestClock; hash: string }> {
  const dir = tempDir('recovery');
  const clock = new TestClock();
  await initDataDir(dir);
  const r = await openReplica(dir, clock, config);
  await acceptMany(r, clock, n);
  const hash = r.head().hash;
  await r.close();
  return { dir, clock, hash };
}

test('a restart recovers the same index and state hash from the WAL', async () => {
  const { dir, clock, hash } = await written(12);
  const r = await openReplica(dir, clock);
  assert.equal(r.head().index, 12);
  assert.equal(r.head().hash, hash);
  assert.equal(r.recovery.replayed, 12);
  await r.close();
  cleanup(dir);
});

test('snapshots: recovery starts from the newest verified snapshot; the log below the oldest kept one is compacted', async () => {
  const { dir, clock, hash } = await written(25, { snapshotEvery: 10 });
  const r = await openReplica(dir, clock);
  assert.equal(r.recovery.snapshot?.index, 20);
  assert.equal(r.recovery.replayed, 5);
  assert.equal(r.head().hash, hash);
  assert.equal(r.health()['lastSnapshotIndex'], 20);
  await r.close();
  assert.deepEqual(await withStore(dir, (s) => s.snapshotIndexes()), [10, 20]);
  assert.equal(await withStore(dir, (s) => s.firstLogIndex()), 11);
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'healthy', JSON.stringify(doctor.checks));
  assert.ok('skipped' in doctor.from_genesis, '\'skipped\' in doctor.from_genesis');
  cleanup(dir);
});

test('a corrupt newest snapshot is skipped, reported, preserved aside, and recovery uses the older one', async () => {
  const { dir, clock, hash } = await written(25, { snapshotEvery: 10 });
  await flipByte(dir, indexKey(KEYS.snapshot, 20), 40);
  const r = await openReplica(dir, clock);
  assert.equal(r.recovery.snapshot?.index, 10);
  assert.equal(r.recovery.skipped_snapshots[0]?.index, 20);
  assert.match(r.recovery.skipped_snapshots[0]!.reason, /checksum_mismatch/);
  assert.equal(r.head().hash, hash);
  await r.close();
  assert.deepEqual(await withStore(dir, (s) => s.snapshotIndexes()), [10], 'the bad snapshot is no longer among the snapshots');
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'healthy', `the store recovers cleanly from what is left: ${JSON.stringify(doctor.checks)}`);
  assert.ok(doctor.preserved_records.some((k) => k.startsWith(`preserved/${indexKey(KEYS.snapshot, 20)}/`)), `doctor lists the preserved snapshot: ${doctor.preserved_records.join(', ')}`);
  cleanup(dir);
});

test('a torn tail record is detected, reported in /health, preserved byte for byte and never applied', async () => {
  const { dir, clock } = await written(6);
  const original = await flipByte(dir, indexKey(KEYS.log, 6));
  const r = await openReplica(dir, clock);
  assert.equal(r.head().index, 5);
  const health = r.health() as { status: string; wal: { torn_tail: { index: number; reason: string; preserved_as: string } } };
  assert.equal(health.status, 'degraded');
  assert.equal(health.wal.torn_tail.index, 6);
  assert.equal(health.wal.torn_tail.reason, 'checksum_mismatch');
  // New writes reuse index 6; the bad bytes stay preserved.
  const [next] = await acceptMany(r, clock, 1);
  assert.equal(next?.kind === 'decided' && next.outcome.index, 6);
  await r.close();
  const preserved = await withStore(dir, (s) => s.getRaw(health.wal.torn_tail.preserved_as));
  assert.ok(preserved !== undefined, 'preserved !== undefined');
  assert.equal(Buffer.from(preserved).equals(Buffer.from(original)), false, 'what is preserved is the corrupt record as found');
  cleanup(dir);
});

test('an applied entry whose decision record was never written gets it back at recovery, identical', async () => {
  const { dir, clock, hash } = await written(6);
  const original = await withStore(dir, (s) => s.readDecision(4));
  assert.ok(original !== null, 'index 4 has a DR');
  // A cluster replica writes the DR after applying: a crash in between leaves the entry without one.
  await withStore(dir, (s) => s.deleteRaw(indexKey(KEYS.decision, 4)));
  const r = await openReplica(dir, clock);
  assert.equal(r.recovery.restored_decisions, 1, 'recovery rewrote one missing DR');
  assert.equal(r.head().hash, hash, 'the state is the same');
  await r.close();
  const back = await withStore(dir, (s) => s.readDecision(4));
  assert.deepEqual(back?.decision, original.decision, 'the rewritten DR is the one the entry produced');
  cleanup(dir);
});

test('mid-log corruption stops the replica with a message naming the index', async () => {
  const { dir, clock } = await written(8);
  await flipByte(dir, indexKey(KEYS.log, 4));
  await assert.rejects(openReplica(dir, clock), (e: unknown) => e instanceof CorruptLogError && e.index === 4 && /later records exist/.test(e.message));
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'unhealthy');
  assert.match(JSON.stringify(doctor.checks), /WAL corrupt at index 4/);
  cleanup(dir);
});

test('an altered record with a valid frame is caught by the hash chain, and doctor says where', async () => {
  const { dir, clock } = await written(8);
  await withStore(dir, async (s) => {
    const f = decodeFrame((await s.getRaw(indexKey(KEYS.log, 5)))!);
    assert.ok(f.ok, 'f.ok');
    const entry = f.value as LogEntryRecord;
    const p = entry.proposal as { inputs: { grace_ms: number } };
    // Well framed, plausible, and wrong: exactly what a checksum cannot catch.
    await s.putRaw(indexKey(KEYS.log, 5), encodeFrame(FRAME_KIND.logEntry, { ...entry, proposal: { ...p, inputs: { ...p.inputs, grace_ms: 999 } } }));
  });
  await assert.rejects(openReplica(dir, clock), (e: unknown) => e instanceof CorruptLogError && e.index === 5);
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'unhealthy');
  assert.match(JSON.stringify(doctor.checks), /index 5/);
  cleanup(dir);
});

test('doctor reports a decision record whose post hash was altered', async () => {
  const { dir } = await written(5);
  await withStore(dir, async (s) => {
    const f = decodeFrame((await s.getRaw(indexKey(KEYS.decision, 5)))!);
    assert.ok(f.ok, 'f.ok');
    const d = f.value as DecisionEntryRecord;
    await s.putRaw(indexKey(KEYS.decision, 5), encodeFrame(FRAME_KIND.decision, { ...d, decision: { ...d.decision, state_post_hash: digestJson('forged') } }));
  });
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'unhealthy');
  cleanup(dir);
});

test('doctor is healthy on an intact directory and rebuilds from genesis when the log is complete', async () => {
  const { dir, hash } = await written(7);
  const doctor = await runDoctor(dir);
  assert.equal(doctor.verdict, 'healthy');
  assert.deepEqual(doctor.from_genesis, { index: 7, state_hash: hash });
  assert.equal(doctor.live.state_hash, hash);
  cleanup(dir);
});
