// Peer wire framing: 4-byte big-endian length + MessagePack payload, with an incremental, size-bounded reader.
import { Packr } from 'msgpackr';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

// Records off so the bytes stay self-describing between replicas running different builds.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export type FrameErrorReason = 'frame too large' | 'malformed frame';

export class FrameError extends Error {
  constructor(
    readonly reason: FrameErrorReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'FrameError';
  }
}

/** Throws whatever msgpackr throws for values it cannot encode; callers decide whether that is fatal. */
export function encodeFrame(payload: unknown): Buffer {
  const body = packr.pack(payload);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Length of the payload inside an encoded frame. */
export function frameBodyLength(frame: Uint8Array): number {
  return frame.length - FRAME_HEADER_BYTES;
}

/** msgpackr's trailing-bytes error quotes the decoded value, which in a hello includes the signature: never log it. */
function describeDecodeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith('Data read, but end of buffer not reached') ? 'trailing bytes after the value' : message.slice(0, 120);
}

/**
 * Reassembles frames from arbitrary TCP chunks. Chunks are kept as a list and copied once per frame, so a
 * 16 MiB frame arriving in 64 KiB pieces costs one copy rather than a quadratic series of concatenations.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private maxFrameBytes: number) {}

  /** Raised after authentication: unauthenticated parties only get a small buffer. */
  setMaxFrameBytes(bytes: number): void {
    this.maxFrameBytes = bytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete payload, or null when more bytes are needed; throws FrameError on a bad frame. */
  next(): { readonly payload: unknown } | null {
    const length = this.completeLength();
    if (length === null) return null;
    this.take(FRAME_HEADER_BYTES);
    // A plain Uint8Array (not a Buffer) so binary fields decode as plain Uint8Array views of this private copy.
    const body = this.take(length);
    try {
      return { payload: packr.unpack(body) };
    } catch (err) {
      throw new FrameError('malformed frame', describeDecodeError(err));
    }
  }

  /** The next complete frame as it was sent (header and body), undecoded: for relays such as the chaos proxy. */
  nextRaw(): Uint8Array | null {
    const length = this.completeLength();
    return length === null ? null : this.take(FRAME_HEADER_BYTES + length);
  }

  /** The body length of the frame at the front once all of it is buffered, else null; throws on a bad header. */
  private completeLength(): number | null {
    if (this.buffered < FRAME_HEADER_BYTES) return null;
    const header = this.peek(FRAME_HEADER_BYTES);
    const length = ((header[0]! << 24) >>> 0) + (header[1]! << 16) + (header[2]! << 8) + header[3]!;
    // Checked on the header alone so an oversized frame is refused before any of its body is buffered.
    if (length > this.maxFrameBytes) throw new FrameError('frame too large', `${length} bytes exceeds ${this.maxFrameBytes}`);
    if (length === 0) throw new FrameError('malformed frame', 'empty frame');
    return this.buffered < FRAME_HEADER_BYTES + length ? null : length;
  }

  private peek(n: number): Uint8Array {
    return this.copyOut(n, false);
  }

  private take(n: number): Uint8Array {
    return this.copyOut(n, true);
  }

  private copyOut(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const chunk = this.chunks[i]!;
      const count = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, count), filled);
      filled += count;
      if (consume) {
        if (count === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(count);
      } else {
        i++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
