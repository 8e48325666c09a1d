// Opens a throwaway copy of a data directory's store, so read-only tools never touch (or lock) the live one.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeDir } from './data-dir.ts';
import { ReplicaStore } from './replica-store.ts';

export async function withScratchCopy<T>(dataDir: string, f: (store: ReplicaStore) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'swoosh-scratch-'));
  try {
    // The LOCK file belongs to a running replica; copying it would make the copy look locked.
    await cp(storeDir(dataDir), join(scratch, 'db'), { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    const store = await ReplicaStore.open(join(scratch, 'db'));
    try {
      return await f(store);
    } finally {
      await store.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
