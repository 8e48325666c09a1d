// InstallSnapshot in chunks: a snapshot larger than one transport frame travels as a numbered sequence of
// chunks, the last one carrying the Raft message; the receiver reassembles it before Raft sees it.
import type { Message } from '../raft/types.ts';

export interface SnapshotChunk {
  /** Names one send of one snapshot: a new send (a retry) restarts the sequence. */
  readonly id: string;
  readonly seq: number;
  readonly total: number;
  readonly bytes: Uint8Array;
}

/** Splits a `snap` message: every chunk but the last goes alone; the last goes with the message minus its data. */
export function splitSnapshot(m: Message, chunkBytes: number, sendSeq: number): { chunks: SnapshotChunk[]; head: Message } {
  const data = m.snapshot!.data;
  const total = Math.max(1, Math.ceil(data.length / chunkBytes));
  const id = `${m.term}:${m.snapshot!.meta.index}:${sendSeq}`;
  const chunks = Array.from({ length: total }, (_, seq) => ({ id, seq, total, bytes: data.subarray(seq * chunkBytes, (seq + 1) * chunkBytes) }));
  return { chunks, head: { ...m, snapshot: { meta: m.snapshot!.meta, data: new Uint8Array() } } };
}

/** One partial snapshot per sender; anything out of sequence drops it (the leader resends the whole snapshot). */
export class SnapshotAssembler {
  private readonly partial = new Map<string, { id: string; next: number; total: number; parts: Uint8Array[]; bytes: number }>();

  constructor(private readonly maxBytes: number) {}

  /** Returns the whole message once the last chunk (with its head) arrives; null otherwise or on a bad chunk. */
  add(from: string, chunk: SnapshotChunk, head: Message | undefined): { ok: true; message: Message | null } | { ok: false; reason: string } {
    if (chunk.seq === 0) this.partial.set(from, { id: chunk.id, next: 0, total: chunk.total, parts: [], bytes: 0 });
    const p = this.partial.get(from);
    if (p === undefined || p.id !== chunk.id || p.next !== chunk.seq || p.total !== chunk.total || !(chunk.bytes instanceof Uint8Array)) {
      this.partial.delete(from);
      return { ok: false, reason: 'snapshot chunk out of sequence' };
    }
    p.parts.push(chunk.bytes);
    p.bytes += chunk.bytes.length;
    p.next++;
    if (p.bytes > this.maxBytes) {
      this.partial.delete(from);
      return { ok: false, reason: `snapshot larger than ${this.maxBytes} bytes` };
    }
    if (p.next < p.total) return { ok: true, message: null };
    this.partial.delete(from);
    if (head === undefined || head.type !== 'snap' || head.snapshot === undefined) return { ok: false, reason: 'last snapshot chunk without its message' };
    return { ok: true, message: { ...head, snapshot: { meta: head.snapshot.meta, data: Buffer.concat(p.parts) } } };
  }
}
