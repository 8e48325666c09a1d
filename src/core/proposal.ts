// The proposal contract (brief §5 + inputs + signature): limits, a total decoder, and the signed bytes.
import { canonicalBytes, type Json } from './canonical-json.ts';
import { DIGEST_PATTERN, type Digest } from './digest.ts';
import { SIGNATURE_PATTERN, SIGNER_PATTERN } from './ed25519.ts';
import type { ReasonCode } from './reason-codes.ts';

export interface Proposal {
  readonly current_state_hash: Digest;
  readonly transition: string;
  readonly inputs_hash: Digest;
  readonly signer: string;
  readonly idem_key: string;
  readonly hlc: string;
  readonly window_id: string | null;
  readonly evidence: readonly string[];
  readonly inputs: Json;
  readonly signature: string;
}

export type UnsignedProposal = Omit<Proposal, 'signature'>;

export const PROPOSAL_FIELDS = [
  'current_state_hash',
  'transition',
  'inputs_hash',
  'signer',
  'idem_key',
  'hlc',
  'window_id',
  'evidence',
  'inputs',
  'signature',
] as const;

/** Documented limits (docs/proposal-contract.md). */
export const LIMITS = {
  transition: 64,
  idem_key: 256,
  hlc: 64,
  window_id: 128,
  evidence_items: 16,
  evidence_link: 512,
  inputs_bytes: 65_536,
  inputs_depth: 16,
} as const;

export const IDEM_KEY_PATTERN = /^[\x21-\x7e]+$/;

export type Decoded<T> = { ok: true; value: T } | { ok: false; code: ReasonCode; reasons: string[] };

function fail<T>(code: ReasonCode, reason: string): Decoded<T> {
  return { ok: false, code, reasons: [reason] };
}

/** Checks the JSON data model SWOOSH allows: plain objects, arrays, strings, booleans, null, safe integers. */
function checkJson(value: unknown, path: string, depth: number): string | null {
  if (depth > LIMITS.inputs_depth) return `${path}: nested deeper than ${LIMITS.inputs_depth}`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? null : `${path}: numbers must be safe integers (no floats in state)`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const err = checkJson(value[i], `${path}[${i}]`, depth + 1);
      if (err !== null) return err;
    }
    return null;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // `__proto__` round-trips differently through decoders that assign keys (msgpackr, JS objects):
      // a stored log must decode to exactly what was hashed.
      if (k === '__proto__') return `${path}: the key __proto__ is not allowed`;
      const err = checkJson(v, `${path}.${k}`, depth + 1);
      if (err !== null) return err;
    }
    return null;
  }
  return `${path}: not a JSON value`;
}

function str(o: Record<string, unknown>, key: string, max: number): Decoded<string> {
  const v = o[key];
  if (typeof v !== 'string') return fail('malformed_proposal', `${key}: expected a string`);
  if (v.length > max) return fail('oversized_field', `${key}: longer than ${max} characters`);
  return { ok: true, value: v };
}

/**
 * Total decoder from an untrusted value to a Proposal: checks shape, types, formats and size limits, never throws.
 * Semantic checks (signature, signer, hashes, HLC order) belong to the reducer.
 */
export function decodeProposal(raw: unknown): Decoded<Proposal> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('malformed_proposal', 'proposal: expected a JSON object');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(PROPOSAL_FIELDS as readonly string[]).includes(key)) return fail('malformed_proposal', `${key}: unknown field`);
  }
  for (const key of PROPOSAL_FIELDS) {
    if (!(key in o)) return fail('malformed_proposal', `${key}: required`);
  }
  const transition = str(o, 'transition', LIMITS.transition);
  if (!transition.ok) return transition;
  const idem = str(o, 'idem_key', LIMITS.idem_key);
  if (!idem.ok) return idem;
  if (!IDEM_KEY_PATTERN.test(idem.value)) return fail('malformed_proposal', 'idem_key: 1-256 printable ASCII characters, no spaces');
  const hlc = str(o, 'hlc', LIMITS.hlc);
  if (!hlc.ok) return hlc;
  for (const key of ['current_state_hash', 'inputs_hash'] as const) {
    const h = str(o, key, 71);
    if (!h.ok) return h;
    if (!DIGEST_PATTERN.test(h.value)) return fail('malformed_proposal', `${key}: expected sha256-<64 hex>`);
  }
  const signer = str(o, 'signer', 64);
  if (!signer.ok) return signer;
  if (!SIGNER_PATTERN.test(signer.value)) return fail('malformed_proposal', 'signer: expected hmmm:pubkey:<base64url of 32 bytes>');
  const signature = str(o, 'signature', 86);
  if (!signature.ok) return signature;
  if (!SIGNATURE_PATTERN.test(signature.value)) return fail('malformed_proposal', 'signature: expected base64url of 64 bytes');
  const windowId = o['window_id'];
  if (windowId !== null) {
    const w = str(o, 'window_id', LIMITS.window_id);
    if (!w.ok) return w;
  }
  const evidence = o['evidence'];
  if (!Array.isArray(evidence)) return fail('malformed_proposal', 'evidence: expected an array of strings');
  if (evidence.length > LIMITS.evidence_items) return fail('oversized_field', `evidence: more than ${LIMITS.evidence_items} links`);
  for (const link of evidence) {
    if (typeof link !== 'string') return fail('malformed_proposal', 'evidence: expected an array of strings');
    if (link.length > LIMITS.evidence_link) return fail('oversized_field', `evidence: a link is longer than ${LIMITS.evidence_link}`);
  }
  const inputsErr = checkJson(o['inputs'], 'inputs', 0);
  if (inputsErr !== null) return fail(inputsErr.includes('deeper') ? 'oversized_field' : 'malformed_proposal', inputsErr);
  if (canonicalBytes(o['inputs']).length > LIMITS.inputs_bytes) {
    return fail('oversized_field', `inputs: canonical form longer than ${LIMITS.inputs_bytes} bytes`);
  }
  return { ok: true, value: o as unknown as Proposal };
}

/** The bytes a signer signs: the RFC 8785 canonical JSON of every proposal field except `signature`. */
export function signingBytes(p: UnsignedProposal | Proposal): Uint8Array {
  const { signature: _omit, ...unsigned } = p as Proposal;
  return canonicalBytes(unsigned);
}
