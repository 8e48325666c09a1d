// Ed25519 verification on the server path (node:crypto, strict RFC 8032) and the signer id format.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
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

// DER SubjectPublicKeyInfo prefix for a raw Ed25519 key (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keyCache = new Map<string, KeyObject | null>();

function keyObject(publicKey: Uint8Array): KeyObject | null {
  const id = toBase64url(publicKey);
  let key = keyCache.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
    if (keyCache.size > 4096) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** node:crypto (OpenSSL) Ed25519: ~13x faster than @noble/ed25519 here; test/core/ed25519.test.ts checks both agree. */
export const nodeVerifier: SignatureVerifier = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = keyObject(publicKey);
  if (key === null) return false;
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
};
