// Checksummed record framing: every value SWOOSH writes to disk can be told intact, torn or corrupt.
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';

// Plain maps-as-objects MessagePack without msgpackr's record extension, so stored bytes stay self-describing.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x57; // 'W'
export const FRAME_VERSION = 1;
const HEADER = 8; // magic(2) version(1) kind(1) length(4, big-endian)
const CHECKSUM = 16; // first 16 bytes of SHA-256 over header + payload

export const FRAME_KIND = { logEntry: 1, decision: 2, snapshot: 3, meta: 4 } as const;
export type FrameKind = (typeof FRAME_KIND)[keyof typeof FRAME_KIND];

export type FrameDecode = { ok: true; kind: FrameKind; value: unknown } | { ok: false; reason: 'truncated' | 'bad_magic' | 'bad_version' | 'length_mismatch' | 'checksum_mismatch' | 'undecodable' };

function checksum(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, CHECKSUM);
}

export function encodeFrame(kind: FrameKind, value: unknown): Uint8Array {
  const payload = packr.pack(value);
  const out = Buffer.alloc(HEADER + payload.length + CHECKSUM);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = FRAME_VERSION;
  out[3] = kind;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, HEADER);
  checksum(out.subarray(0, HEADER + payload.length)).copy(out, HEADER + payload.length);
  return out;
}

/** Total: any byte string yields either the value or the reason it cannot be trusted. */
export function decodeFrame(bytes: Uint8Array): FrameDecode {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER + CHECKSUM) return { ok: false, reason: 'truncated' };
  if (b[0] !== MAGIC_0 || b[1] !== MAGIC_1) return { ok: false, reason: 'bad_magic' };
  if (b[2] !== FRAME_VERSION) return { ok: false, reason: 'bad_version' };
  const length = b.readUInt32BE(4);
  if (b.length < HEADER + length + CHECKSUM) return { ok: false, reason: 'truncated' };
  if (b.length !== HEADER + length + CHECKSUM) return { ok: false, reason: 'length_mismatch' };
  if (!checksum(b.subarray(0, HEADER + length)).equals(b.subarray(HEADER + length))) return { ok: false, reason: 'checksum_mismatch' };
  try {
    return { ok: true, kind: b[3] as FrameKind, value: packr.unpack(b.subarray(HEADER, HEADER + length)) };
  } catch {
    return { ok: false, reason: 'undecodable' };
  }
}
