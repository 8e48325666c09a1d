// Signed operator requests (docs/admin.md): membership changes and leadership transfer need an admin's key.
import { canonicalBytes } from '../core/canonical-json.ts';
import { decodeSignature, nodeVerifier, publicKeyFromSigner } from '../core/ed25519.ts';
import type { Identity } from '../core/state.ts';
import type { SigningKey } from '../workload/signing-key.ts';

export const ADMIN_REQUEST_TYPE = 'swoosh.admin.v1';
export const ADMIN_ACTIONS = ['member-add', 'member-promote', 'member-remove', 'leader-transfer'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];
/** How far issued_at_ms may be from the replica's clock: bounds how long a captured request can be replayed. */
export const ADMIN_MAX_SKEW_MS = 5 * 60_000;

export interface AdminRequest {
  readonly type: typeof ADMIN_REQUEST_TYPE;
  /** Binds the request to one cluster, so it cannot be replayed against another. */
  readonly cluster_id: string;
  readonly action: AdminAction;
  readonly params: Record<string, unknown>;
  readonly issued_at_ms: number;
  readonly signer: string;
  /** Ed25519 (RFC 8032, base64url) over the RFC 8785 canonical JSON of every other field. */
  readonly signature: string;
}

export function adminSigningBytes(r: Omit<AdminRequest, 'signature'>): Uint8Array {
  return canonicalBytes({ type: r.type, cluster_id: r.cluster_id, action: r.action, params: r.params, issued_at_ms: r.issued_at_ms, signer: r.signer });
}

export function signAdminRequest(key: SigningKey, clusterId: string, action: AdminAction, params: Record<string, unknown>, issuedAtMs: number): AdminRequest {
  const unsigned = { type: ADMIN_REQUEST_TYPE, cluster_id: clusterId, action, params, issued_at_ms: issuedAtMs, signer: key.signer } as const;
  return { ...unsigned, signature: key.signBytes(adminSigningBytes(unsigned)) };
}

export type AdminVerdict =
  | { readonly ok: true; readonly request: AdminRequest }
  | { readonly ok: false; readonly code: 'malformed_admin_request' | 'bad_signature' | 'unknown_signer' | 'signer_not_authorized'; readonly reason: string };

/** Checks shape, cluster, freshness, that the signer holds the admin role in the applied state, and the signature. */
export function verifyAdminRequest(value: unknown, clusterId: string, nowMs: number, identities: Readonly<Record<string, Identity>>): AdminVerdict {
  const r = value as Partial<AdminRequest> | null;
  const bad = (reason: string): AdminVerdict => ({ ok: false, code: 'malformed_admin_request', reason });
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return bad('the body is not a JSON object');
  if (r.type !== ADMIN_REQUEST_TYPE) return bad(`type must be ${ADMIN_REQUEST_TYPE}`);
  if (r.cluster_id !== clusterId) return bad(`cluster_id ${JSON.stringify(r.cluster_id)} is not this cluster (${clusterId})`);
  if (!(ADMIN_ACTIONS as readonly unknown[]).includes(r.action)) return bad(`action must be one of ${ADMIN_ACTIONS.join(', ')}`);
  if (r.params === null || typeof r.params !== 'object' || Array.isArray(r.params)) return bad('params must be an object');
  if (typeof r.issued_at_ms !== 'number' || !Number.isInteger(r.issued_at_ms)) return bad('issued_at_ms must be an integer (Unix ms)');
  if (Math.abs(r.issued_at_ms - nowMs) > ADMIN_MAX_SKEW_MS) return bad(`issued_at_ms is more than ${ADMIN_MAX_SKEW_MS / 60_000} minutes from this replica's clock`);
  if (typeof r.signer !== 'string' || typeof r.signature !== 'string') return bad('signer and signature must be strings');
  const identity = identities[r.signer];
  if (identity === undefined) return { ok: false, code: 'unknown_signer', reason: `${r.signer} is not a registered identity` };
  if (!identity.roles.includes('admin')) return { ok: false, code: 'signer_not_authorized', reason: `${r.signer} does not hold the admin role` };
  const key = publicKeyFromSigner(r.signer);
  const sig = decodeSignature(r.signature);
  if (key === null || sig === null || !nodeVerifier(key, adminSigningBytes(r as AdminRequest), sig)) return { ok: false, code: 'bad_signature', reason: 'the signature does not verify over the canonical request' };
  return { ok: true, request: r as AdminRequest };
}
