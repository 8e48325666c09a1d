// The guard contract: a pure (state, entry) -> {ok, reasons[]} whose reasons become part of the DR.
import type { GuardName, TransitionSpec } from '../../generated/statechart.ts';
import type { SignatureVerifier } from '../ed25519.ts';
import type { Hlc } from '../hlc.ts';
import type { Proposal } from '../proposal.ts';
import type { ReasonCode } from '../reason-codes.ts';
import type { StateDocument } from '../state.ts';

export interface GuardContext {
  /** The state before the entry. */
  readonly state: StateDocument;
  readonly proposal: Proposal;
  readonly spec: TransitionSpec;
  /** The admitting node's HLC stamp: the only notion of time a guard has. */
  readonly stamp: Hlc;
  readonly stampText: string;
  readonly verifier: SignatureVerifier;
}

export interface GuardVerdict {
  readonly ok: boolean;
  /** The rejection code when !ok. */
  readonly code?: ReasonCode;
  readonly reasons: readonly string[];
  /** Set by the policy guard on a breach: the machine is quarantined instead of rejected. */
  readonly breach?: { readonly rule_id: string; readonly rationale: string };
}

export type Guard = (ctx: GuardContext) => GuardVerdict;

/** One guard's result as recorded in a decision record. */
export interface GuardOutcome {
  readonly guard: GuardName;
  readonly ok: boolean;
  readonly reasons: readonly string[];
}
