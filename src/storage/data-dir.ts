// The layout of a data directory made by `swoosh init` (docs/storage.md).
import { join } from 'node:path';

/** LevelDB: log, decision records, snapshots, genesis. */
export const storeDir = (dataDir: string): string => join(dataDir, 'db');
/** Ed25519 key files, one per identity of the initial genesis (mode 0600). */
export const keysDir = (dataDir: string): string => join(dataDir, 'keys');
/** A human-readable copy of the genesis; the authoritative one is inside the store. */
export const genesisFile = (dataDir: string): string => join(dataDir, 'genesis.json');
