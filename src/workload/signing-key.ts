// Ed25519 signing keys for tools (workload, CLI tests): node:crypto, deterministic from a 32-byte seed.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { toBase64url } from '../core/base64url.ts';
import { signerFromPublicKey } from '../core/ed25519.ts';
import { signingBytes, type Proposal, type UnsignedProposal } from '../core/proposal.ts';

// DER PKCS#8 prefix for a raw Ed25519 private key seed (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class SigningKey {
  readonly signer: string;
  private readonly key: KeyObject;

  constructor(readonly seed: Uint8Array) {
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' });
    this.signer = signerFromPublicKey(new Uint8Array(spki.subarray(spki.length - 32)));
  }

  /** A key derived from a label, for reproducible workloads and tests (never for production identities). */
  static derive(label: string): SigningKey {
    return new SigningKey(new Uint8Array(createHash('sha256').update(`swoosh-derived-key|${label}`).digest()));
  }

  signBytes(message: Uint8Array): string {
    return toBase64url(new Uint8Array(sign(null, message, this.key)));
  }

  signProposal(p: UnsignedProposal): Proposal {
    return { ...p, signature: this.signBytes(signingBytes(p)) };
  }
}
