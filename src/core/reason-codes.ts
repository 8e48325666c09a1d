// The one ReasonCode union shared by the reducer, the API and the SDK, with the HTTP status each maps to.

export const REASON_CODES = {
  // The proposal as bytes/structure (admission).
  malformed_proposal: { status: 400, text: 'The proposal is not a JSON object of the documented shape.' },
  oversized_field: { status: 413, text: 'A field exceeds its documented size limit.' },
  bad_signature: { status: 401, text: 'The Ed25519 signature does not verify over the canonical bytes.' },
  unknown_transition: { status: 400, text: 'The transition is not defined by this machine.' },
  stamp_invalid: { status: 400, text: "The admitting node's HLC stamp is not after the last applied stamp or precedes the proposal's hlc." },
  unsupported_machine_version: { status: 400, text: 'The state was built under a machine definition this build does not run.' },
  // Identity and contract.
  idem_key_conflict: { status: 400, text: 'The idem_key was already used for a different operation.' },
  unknown_signer: { status: 403, text: 'The signer is not a registered identity.' },
  signer_not_authorized: { status: 403, text: "The signer's roles do not allow this transition." },
  inputs_hash_mismatch: { status: 400, text: 'inputs_hash is not the content hash of inputs.' },
  inputs_schema_invalid: { status: 422, text: "inputs do not match the transition's JSON Schema." },
  evidence_invalid: { status: 400, text: 'An evidence link is malformed or no ucxl:// link is given.' },
  stale_state_hash: { status: 400, text: 'current_state_hash is not HEAD; re-read the state and resubmit.' },
  hlc_time_travel: { status: 400, text: 'The proposal hlc is before the last applied HLC.' },
  // The statechart.
  invalid_source_state: { status: 400, text: 'The transition is not enabled in the current state.' },
  quarantined: { status: 400, text: 'The machine is QUARANTINED; only a human release or a policy update leaves it.' },
  terminated: { status: 400, text: 'The machine is TERMINATED.' },
  // Guards.
  license_invalid: { status: 400, text: 'No valid KACHING license verdict at the stamp.' },
  license_grace_expired: { status: 400, text: 'The license grace period has expired.' },
  window_closed: { status: 400, text: 'No recorded window opens this transition class at the stamp.' },
  quorum_certificate_invalid: { status: 400, text: 'The quorum certificate is not a valid quorum over the proposed member set.' },
  mcp_unhealthy: { status: 400, text: 'The MCP registry fact is unreachable, unpinned or stale.' },
  lifecycle_not_ready: { status: 400, text: 'Not all lifecycle regions are READY with the pinned hashes.' },
  plan_change_required: { status: 400, text: 'The ingestion version changed; Execution_Start must state plan_change.' },
  approvals_insufficient: { status: 400, text: 'Too few distinct approvals for the current result.' },
  policy_breach: { status: 400, text: 'The proposal breached an SHHH policy rule; the machine is now QUARANTINED.' },
  // Admission by a replica (before the reducer).
  clock_drift: { status: 400, text: "The proposal hlc is further ahead of the replica's clock than the allowed drift." },
  record_too_large: { status: 413, text: 'The log record would exceed the maximum record size.' },
  unavailable: { status: 503, text: 'The replica cannot commit right now (storage failure or shutting down); retry elsewhere or later.' },
  // Replication (a cluster replica).
  not_leader: { status: 421, text: 'This replica is not the leader and did not forward the request; the body names the leader to retry at.' },
  no_leader: { status: 503, text: 'The cluster has no leader right now (an election is running or a majority is unreachable); retry shortly.' },
  malformed_admin_request: { status: 400, text: 'The operator request is not a fresh, well-formed swoosh.admin.v1 request for this cluster.' },
  membership_change_refused: { status: 409, text: 'The membership change does not apply to the current membership (unknown or existing member, last voter, or another change in progress).' },
  diverged: { status: 503, text: "This replica's state hash differs from a peer's at the same index; it refuses writes until an operator investigates." },
  // HTTP requests (the API layer).
  unsupported_media_type: { status: 415, text: 'The request body must be application/json.' },
  payload_too_large: { status: 413, text: 'The request body exceeds the maximum request size.' },
  invalid_json: { status: 400, text: 'The request body is not valid JSON.' },
  idempotency_key_mismatch: { status: 400, text: 'The Idempotency-Key header differs from the proposal idem_key.' },
  invalid_query: { status: 400, text: 'A query parameter is missing, unknown or out of range (e.g. an unknown projection).' },
  not_found: { status: 404, text: 'No such resource.' },
  internal_error: { status: 500, text: 'A bug: the replica logged it. The request may be retried.' },
  // Transition-specific semantics.
  precondition_failed: { status: 400, text: "The transition's own precondition on the state does not hold." },
} as const satisfies Record<string, { status: number; text: string }>;

export type ReasonCode = keyof typeof REASON_CODES;

export function httpStatusOf(code: ReasonCode): number {
  return REASON_CODES[code].status;
}

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}
