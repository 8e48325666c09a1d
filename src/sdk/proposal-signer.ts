// Portable client signing (@noble/ed25519, strict RFC 8032): key files, proposal signing, vote signing.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromBase64url, toBase64url } from '../core/base64url.ts';
import type { Json } from '../core/canonical-json.ts';
import { voteSigningBytes } from '../core/council-vote.ts';
import { digestJson } from '../core/digest.ts';
import { decodeSignature, publicKeyFromSigner, signerFromPublicKey } from '../core/ed25519.ts';
import { signingBytes, type Proposal, type UnsignedProposal } from '../core/proposal.ts';

ed.hashes.sha512 = sha512;

export const KEY_FILE_TYPE = 'swoosh.ed25519.key.v1';

/** The on-disk key file (docs/proposal-contract.md). secret_key is the 32-byte RFC 8032 seed, base64url. */
export interface KeyFile {
  readonly type: typeof KEY_FILE_TYPE;
  readonly signer: string;
  readonly secret_key: string;
}

export function generateKeyFile(): KeyFile {
  const { secretKey, publicKey } = ed.keygen();
  return { type: KEY_FILE_TYPE, signer: signerFromPublicKey(publicKey), secret_key: toBase64url(secretKey) };
}

export type KeyFileParse = { ok: true; key: KeyFile; secret: Uint8Array } | { ok: false; reason: string };

export function parseKeyFile(value: unknown): KeyFileParse {
  const k = value as Partial<KeyFile> | null;
  if (k === null || typeof k !== 'object' || k.type !== KEY_FILE_TYPE) return { ok: false, reason: `not a ${KEY_FILE_TYPE} key file` };
  const secret = typeof k.secret_key === 'string' ? fromBase64url(k.secret_key) : null;
  if (secret === null || secret.length !== 32) return { ok: false, reason: 'secret_key must be base64url of 32 bytes' };
  const signer = signerFromPublicKey(ed.getPublicKey(secret));
  if (signer !== k.signer) return { ok: false, reason: 'signer does not match secret_key' };
  return { ok: true, key: k as KeyFile, secret };
}

/** Fills signer and inputs_hash from the key and inputs, then signs the canonical bytes. */
export function signProposal(draft: Omit<UnsignedProposal, 'signer' | 'inputs_hash'> & { inputs: Json }, secret: Uint8Array): Proposal {
  const unsigned: UnsignedProposal = { ...draft, signer: signerFromPublicKey(ed.getPublicKey(secret)), inputs_hash: digestJson(draft.inputs) };
  return { ...unsigned, signature: toBase64url(ed.sign(signingBytes(unsigned), secret)) };
}

/** Strict RFC 8032 verification (zip215: false), the rule every replica applies too. */
export function verifyProposal(p: Proposal): boolean {
  const key = publicKeyFromSigner(p.signer);
  const sig = decodeSignature(p.signature);
  if (key === null || sig === null) return false;
  try {
    return ed.verify(sig, signingBytes(p), key, { zip215: false });
  } catch {
    return false;
  }
}

export function signVote(electionId: string, memberSetHash: string, secret: Uint8Array): { election_id: string; member_set_hash: string; voter: string; signature: string } {
  return {
    election_id: electionId,
    member_set_hash: memberSetHash,
    voter: signerFromPublicKey(ed.getPublicKey(secret)),
    signature: toBase64url(ed.sign(voteSigningBytes(electionId, memberSetHash), secret)),
  };
}
