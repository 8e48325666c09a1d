// Ed25519 verification on the server path (node:crypto, strict RFC 8032) and the signer id format.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Point } from '@noble/ed25519';
import { fromBase64url, toBase64url } from './base64url.ts';

export const SIGNER_PREFIX = 'hmmm:pubkey:';
export const SIGNER_PATTERN = /^hmmm:pubkey:[A-Za-z0-9_-]{43}$/;
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;

/** Verifies an Ed25519 signature; pure and deterministic, injected so tests and the SDK can swap backends. */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

export function signerFromPublicKey(publicKey: Uint8Array): string {
  return SIGNER_PREFIX + toBase64url(publicKey);
}

export function publicKeyFromSigner(signer: string): Uint8Array | null {
  if (!SIGNER_PATTERN.test(signer)) return null;
  const key = fromBase64url(signer.slice(SIGNER_PREFIX.length));
  return key !== null && key.length === 32 ? key : null;
}

export function decodeSignature(text: string): Uint8Array | null {
  if (!SIGNATURE_PATTERN.test(text)) return null;
  const sig = fromBase64url(text);
  return sig !== null && sig.length === 64 ? sig : null;
}

const P = 2n ** 255n - 19n;

function littleEndianY(bytes: Uint8Array): { y: bigint; sign: boolean } {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i]! & 0x7f : bytes[i]!);
  return { y, sign: (bytes[31]! & 0x80) !== 0 };
}

/**
 * Whether a 32-byte string is an acceptable signer key: a canonical encoding (y < p, no x=0 with the sign bit)
 * of a point of prime order. OpenSSL alone would accept small-order keys that @noble's strict mode (and
 * libsodium) reject; refusing them here and at registration keeps every replica and client in agreement.
 */
export function isStrongPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const { y } = littleEndianY(publicKey);
  if (y >= P) return false;
  try {
    const A = Point.fromBytes(publicKey, false);
    return !A.isSmallOrder() && A.isTorsionFree();
  } catch {
    return false;
  }
}

/** R must be canonically encoded too (y < p; the two x=0 points only with the sign bit clear), as in @noble. */
function isCanonicalR(r: Uint8Array): boolean {
  const { y, sign } = littleEndianY(r);
  return y < P && !(sign && (y === 1n || y === P - 1n));
}

// DER SubjectPublicKeyInfo prefix for a raw Ed25519 key (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keyCache = new Map<string, KeyObject | null>();

function keyObject(publicKey: Uint8Array): KeyObject | null {
  const id = toBase64url(publicKey);
  let key = keyCache.get(id);
  if (key === undefined) {
    try {
      key = isStrongPublicKey(publicKey) ? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }) : null;
    } catch {
      key = null;
    }
    if (keyCache.size > 4096) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/**
 * node:crypto (OpenSSL) Ed25519 with @noble's strict key and R rules added: ~13x faster than @noble/ed25519 here.
 * test/core/ed25519.test.ts checks both agree. Residual difference: OpenSSL checks [S]B = R + [k]A, noble the
 * cofactored form; they differ only for an R with a torsion component, which only the key holder can make.
 */
export const nodeVerifier: SignatureVerifier = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64 || !isCanonicalR(signature.subarray(0, 32))) return false;
  const key = keyObject(publicKey);
  if (key === null) return false;
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
};
