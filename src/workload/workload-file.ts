// The workload/stream file format: JSON Lines, a header with the genesis, then one log entry per line.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseGenesis, type Genesis } from '../core/genesis.ts';
import type { WorkloadEntry } from './generator.ts';

export const STREAM_TYPE = 'swoosh.stream.v1';

export interface StreamHeader {
  readonly type: typeof STREAM_TYPE;
  readonly seed: number | null;
  readonly genesis: Genesis;
}

export interface Stream {
  readonly header: StreamHeader;
  readonly entries: WorkloadEntry[];
}

export async function writeStream(path: string, header: StreamHeader, entries: readonly WorkloadEntry[]): Promise<void> {
  const lines = [JSON.stringify(header), ...entries.map((e) => JSON.stringify(e))];
  await writeFile(path, lines.join('\n') + '\n');
}

export class StreamFormatError extends Error {}

/** Reads a stream file; a bad header or a line that is not {index, stamp, proposal} is an error naming the line. */
export async function readStream(path: string): Promise<Stream> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: StreamHeader | null = null;
  const entries: WorkloadEntry[] = [];
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new StreamFormatError(`${path}:${lineNo}: not valid JSON`);
    }
    if (header === null) {
      const h = value as Partial<StreamHeader>;
      if (h?.type !== STREAM_TYPE) throw new StreamFormatError(`${path}:${lineNo}: the first line must be a ${STREAM_TYPE} header`);
      const g = parseGenesis(h.genesis);
      if (!g.ok) throw new StreamFormatError(`${path}:${lineNo}: invalid genesis: ${g.reasons.join('; ')}`);
      header = { type: STREAM_TYPE, seed: typeof h.seed === 'number' ? h.seed : null, genesis: g.genesis };
      continue;
    }
    const e = value as Partial<WorkloadEntry> | null;
    if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.index) || typeof e.stamp !== 'string' || !('proposal' in e)) {
      throw new StreamFormatError(`${path}:${lineNo}: expected {"index": int, "stamp": hlc, "proposal": ...}`);
    }
    entries.push(e as WorkloadEntry);
  }
  if (header === null) throw new StreamFormatError(`${path}: empty stream`);
  return { header, entries };
}
