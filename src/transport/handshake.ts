// Peer handshake messages: the acceptor's nonce challenge and the dialer's Ed25519-signed hello.
import { randomBytes } from 'node:crypto';
import { toBase64url } from '../core/base64url.ts';
import { canonicalBytes } from '../core/canonical-json.ts';
import { decodeSignature, nodeVerifier, publicKeyFromSigner } from '../core/ed25519.ts';
import type { SigningKey } from '../workload/signing-key.ts';

export const HELLO_CONTEXT = 'swoosh.peer-hello.v1';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface Challenge {
  readonly type: 'challenge';
  readonly nonce: string;
  readonly server: string;
}

export interface Hello {
  readonly type: 'hello';
  readonly id: string;
  readonly signer: string;
  readonly signature: string;
}

export type HelloRejection = 'malformed frame' | 'unknown peer' | 'signer mismatch' | 'bad signature';
export type HelloVerdict = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly reason: HelloRejection; readonly claimedId: string | null };

export function newChallenge(server: string): Challenge {
  return { type: 'challenge', nonce: toBase64url(new Uint8Array(randomBytes(32))), server };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function parseChallenge(value: unknown): Challenge | null {
  if (!isRecord(value) || value['type'] !== 'challenge') return null;
  const { nonce, server } = value;
  if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce) || typeof server !== 'string') return null;
  return { type: 'challenge', nonce, server };
}

/**
 * Binding the acceptor's id stops a hello being relayed to another replica; the fresh nonce stops replay; the
 * context string keeps these signatures from ever being valid as proposal signatures by the same key.
 */
export function helloSigningBytes(id: string, nonce: string, to: string): Uint8Array {
  return canonicalBytes({ type: HELLO_CONTEXT, id, nonce, to });
}

export function makeHello(key: SigningKey, id: string, challenge: Challenge): Hello {
  return { type: 'hello', id, signer: key.signer, signature: key.signBytes(helloSigningBytes(id, challenge.nonce, challenge.server)) };
}

/** `signers` maps each configured peer id (never our own) to its signer id. */
export function verifyHello(value: unknown, challenge: Challenge, signers: ReadonlyMap<string, string>): HelloVerdict {
  if (!isRecord(value) || value['type'] !== 'hello') return { ok: false, reason: 'malformed frame', claimedId: null };
  const { id, signer, signature } = value;
  if (typeof id !== 'string' || typeof signer !== 'string' || typeof signature !== 'string') {
    return { ok: false, reason: 'malformed frame', claimedId: typeof id === 'string' ? id : null };
  }
  const expected = signers.get(id);
  if (expected === undefined) return { ok: false, reason: 'unknown peer', claimedId: id };
  if (signer !== expected) return { ok: false, reason: 'signer mismatch', claimedId: id };
  // Verified against the configured key, never the one the dialer presented.
  const publicKey = publicKeyFromSigner(expected);
  const sig = decodeSignature(signature);
  if (publicKey === null || sig === null || !nodeVerifier(publicKey, helloSigningBytes(id, challenge.nonce, challenge.server), sig)) {
    return { ok: false, reason: 'bad signature', claimedId: id };
  }
  return { ok: true, id };
}
