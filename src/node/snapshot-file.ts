// A snapshot as a file (`swoosh snapshot save|inspect|restore`): one checksummed frame holding the verified
// state record and the genesis it descends from, so a new cluster can be restored from it alone.
import { digestJson } from '../core/digest.ts';
import { parseGenesis, type Genesis } from '../core/genesis.ts';
import { decodeFrame, encodeFrame, FRAME_KIND } from '../storage/record-frame.ts';
import type { SnapshotRecord } from '../storage/records.ts';
import { verifySnapshot, type SnapshotLoad } from './snapshots.ts';

export const SNAPSHOT_FILE_TYPE = 'swoosh.snapshot-file.v1';

export interface SnapshotFile {
  readonly type: typeof SNAPSHOT_FILE_TYPE;
  /** The cluster it was saved from (null for a single-node replica). */
  readonly cluster_id: string | null;
  readonly genesis: Genesis;
  readonly snapshot: SnapshotRecord;
}

export function encodeSnapshotFile(f: Omit<SnapshotFile, 'type'>): Uint8Array {
  return encodeFrame(FRAME_KIND.snapshot, { type: SNAPSHOT_FILE_TYPE, ...f });
}

export type SnapshotFileRead =
  | { readonly ok: true; readonly file: SnapshotFile; readonly check: Extract<SnapshotLoad, { ok: true }> }
  | { readonly ok: false; readonly reason: string };

/** Checksum, structure, a full re-parse and re-hash of the state, and that the genesis is the state's own. */
export function readSnapshotFile(bytes: Uint8Array): SnapshotFileRead {
  const f = decodeFrame(bytes);
  if (!f.ok) return { ok: false, reason: `the file is not an intact snapshot frame (${f.reason})` };
  const v = f.value as Partial<SnapshotFile> | null;
  if (v === null || typeof v !== 'object' || v.type !== SNAPSHOT_FILE_TYPE || v.snapshot === undefined) return { ok: false, reason: `not a ${SNAPSHOT_FILE_TYPE} file` };
  const g = parseGenesis(v.genesis);
  if (!g.ok) return { ok: false, reason: `its genesis is invalid: ${g.reasons.join('; ')}` };
  const check = verifySnapshot(v.snapshot, (v.snapshot as { index?: unknown }).index as number);
  if (!check.ok) return { ok: false, reason: `its state does not verify: ${check.reason}` };
  if (check.state.meta.genesis_hash !== digestJson(g.genesis)) return { ok: false, reason: "its genesis is not the one the state descends from" };
  return { ok: true, file: { type: SNAPSHOT_FILE_TYPE, cluster_id: typeof v.cluster_id === 'string' ? v.cluster_id : null, genesis: g.genesis, snapshot: v.snapshot }, check };
}
