// Reads a replica's WAL (from a scratch copy) as a stream, so `swoosh replay` can re-verify a whole log.
import { parseGenesis } from '../core/genesis.ts';
import { decodeFrame } from '../storage/record-frame.ts';
import { isControlEntry, type HardStateRecord, type LogRecord } from '../storage/records.ts';
import { KEYS } from '../storage/storage-keys.ts';
import { withScratchCopy } from '../storage/scratch-copy.ts';
import type { WorkloadEntry } from '../workload/generator.ts';
import { STREAM_TYPE, type Stream } from '../workload/workload-file.ts';

export class WalReadError extends Error {}

export async function readWalAsStream(dataDir: string): Promise<Stream> {
  return withScratchCopy(dataDir, async (store) => {
    const g = parseGenesis(await store.readGenesis());
    if (!g.ok) throw new WalReadError(`${dataDir}: no valid genesis (${g.reasons.join('; ')})`);
    const first = await store.firstLogIndex();
    if (first !== null && first > 1) throw new WalReadError(`${dataDir}: the log is compacted below index ${first}; a whole-log replay needs every entry since genesis`);
    // A cluster replica's log may end in entries not yet committed: they are not part of the state.
    const hard = (await store.readMeta(KEYS.hardState)) as HardStateRecord | null;
    const upTo = hard === null ? Infinity : hard.commit;
    const entries: WorkloadEntry[] = [];
    for await (const record of store.scanLog(1)) {
      if (record.index > upTo) break;
      const f = decodeFrame(record.bytes);
      if (!f.ok) throw new WalReadError(`${dataDir}: log record ${record.index} is ${f.reason}; run swoosh doctor`);
      const e = f.value as LogRecord;
      if (!isControlEntry(e)) entries.push({ index: e.index, stamp: e.stamp, proposal: e.proposal });
    }
    return { header: { type: STREAM_TYPE, seed: null, genesis: g.genesis }, entries };
  });
}
