// SHA-256 digests written the way SWOOSH writes every hash: `sha256-<64 lowercase hex>`.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

export type Digest = `sha256-${string}`;

export const DIGEST_PATTERN = /^sha256-[0-9a-f]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256-` + hex SHA-256 of raw bytes (strings are hashed as UTF-8). */
export function digestBytes(data: Uint8Array | string): Digest {
  return `sha256-${sha256Hex(data)}`;
}

/** The content hash of a JSON value: SHA-256 over its RFC 8785 canonical UTF-8 bytes. */
export function digestJson(value: unknown): Digest {
  return digestBytes(canonicalJson(value));
}
