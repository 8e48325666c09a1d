// Faults on a stopped replica's data directory: a torn WAL tail and a forced rollback to an older snapshot.
// Both model what a crash can leave on disk; neither rewinds Raft's term, vote or acknowledged log.
import { storeDir } from '../../src/storage/data-dir.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { indexKey, KEYS } from '../../src/storage/storage-keys.ts';

async function withStore<T>(dataDir: string, f: (s: ReplicaStore) => Promise<T>): Promise<T> {
  const s = await ReplicaStore.open(storeDir(dataDir));
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

/**
 * Leaves a torn record after the newest one, as a crash in the middle of writing the next entry would: half of
 * a record's bytes under the next index. Recovery must set it aside (preserved) and the replica get that entry
 * from the leader again. The durable prefix stays intact: an entry is acknowledged only after its synced write
 * completes, so a crash can tear only an entry nobody was told about. (Losing an acknowledged entry is a disk
 * that lies about fsync; Raft does not survive that without protocol-aware recovery, and it is not simulated.)
 * Returns the torn index, or null if the log is empty.
 */
export async function tearWalTail(dataDir: string): Promise<number | null> {
  return withStore(dataDir, async (s) => {
    const last = await s.lastLogIndex();
    if (last === null) return null;
    const bytes = await s.getRaw(indexKey(KEYS.log, last));
    if (bytes === undefined) return null;
    await s.putRaw(indexKey(KEYS.log, last + 1), bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
    return last + 1;
  });
}

/**
 * Corrupts the newest snapshot when an older one exists, so recovery must fall back to the older snapshot and
 * replay the log kept behind it (docs/storage.md). Returns {from, to} snapshot indexes, or null if fewer than two.
 */
export async function rollBackSnapshot(dataDir: string): Promise<{ from: number; to: number } | null> {
  return withStore(dataDir, async (s) => {
    const snaps = await s.snapshotIndexes();
    if (snaps.length < 2) return null;
    const newest = snaps.at(-1)!;
    const key = indexKey(KEYS.snapshot, newest);
    const bytes = Uint8Array.from((await s.getRaw(key))!);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await s.putRaw(key, bytes);
    return { from: newest, to: snaps.at(-2)! };
  });
}
