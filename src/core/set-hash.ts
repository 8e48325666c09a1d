// LtHash16: an incremental, order-independent hash of a set of byte strings (Bellare-Micciancio / Facebook's LtHash).
import { createHash } from 'node:crypto';
import { sha256Hex } from './digest.ts';

// 1024 lanes of 16 bits = 2048 bytes, the parameters Facebook ships for LtHash16.
export const LTHASH_LANES = 1024;
const LTHASH_BYTES = LTHASH_LANES * 2;

/** An immutable LtHash accumulator. Adding or removing one element costs O(1) in the set's size. */
export class SetHash {
  private constructor(private readonly lanes: Uint16Array) {}

  static empty(): SetHash {
    return new SetHash(new Uint16Array(LTHASH_LANES));
  }

  /** The element's lanes: SHAKE256(element) read as 1024 little-endian uint16. */
  private static expand(element: Uint8Array | string): Uint16Array {
    const bytes = createHash('shake256', { outputLength: LTHASH_BYTES }).update(element).digest();
    const lanes = new Uint16Array(LTHASH_LANES);
    for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = bytes.readUInt16LE(2 * i);
    return lanes;
  }

  add(element: Uint8Array | string): SetHash {
    const e = SetHash.expand(element);
    const out = new Uint16Array(this.lanes); // Uint16Array arithmetic wraps mod 2^16.
    for (let i = 0; i < LTHASH_LANES; i++) out[i] = out[i]! + e[i]!;
    return new SetHash(out);
  }

  remove(element: Uint8Array | string): SetHash {
    const e = SetHash.expand(element);
    const out = new Uint16Array(this.lanes);
    for (let i = 0; i < LTHASH_LANES; i++) out[i] = out[i]! - e[i]!;
    return new SetHash(out);
  }

  /** The lanes as 2048 little-endian bytes. */
  bytes(): Uint8Array {
    const out = Buffer.alloc(LTHASH_BYTES);
    for (let i = 0; i < LTHASH_LANES; i++) out.writeUInt16LE(this.lanes[i]!, 2 * i);
    return out;
  }

  /** `lthash16-sha256-<hex>`: SHA-256 over bytes(). */
  digest(): string {
    return `lthash16-sha256-${sha256Hex(this.bytes())}`;
  }
}
