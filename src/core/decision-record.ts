// BUBBLE decision records: one per entry (accepted, quarantined or rejected), content-addressed as bubble://dr/<hash>.
import type { Json } from './canonical-json.ts';
import { digestJson, type Digest } from './digest.ts';
import type { GuardOutcome } from './guards/guard.ts';
import type { ReasonCode } from './reason-codes.ts';
import { REDACTED, redactJson, redactText, type RedactionRule } from './redaction.ts';

export { REDACTED };

export interface DecisionRecord {
  readonly id: string;
  readonly type: 'swoosh.decision_record.v1';
  readonly outcome: 'accepted' | 'quarantined' | 'rejected';
  readonly index: number;
  readonly transition: string | null;
  readonly signer: string | null;
  readonly idem_key: string | null;
  readonly hlc: string | null;
  readonly stamp: string;
  readonly window_id: string | null;
  readonly state_pre_hash: Digest;
  readonly state_post_hash: Digest;
  readonly inputs_hash: string | null;
  /** The configuration (leaf paths) before and after. */
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly guard_outcomes: readonly GuardOutcome[];
  readonly evidence: readonly string[];
  readonly justification: string;
  readonly code: ReasonCode | null;
  readonly failing_guard: string | null;
  readonly reasons: readonly string[];
  /** Inputs with sensitive fields replaced by [REDACTED] (docs/decision-records.md). */
  readonly inputs: Json;
}

export type DecisionRecordBody = Omit<DecisionRecord, 'id'>;

/** Replaces each dotted path in `paths` that exists in `inputs` with [REDACTED]; returns a copy. */
export function redactInputs(inputs: Json, paths: readonly string[]): Json {
  if (paths.length === 0 || inputs === null || typeof inputs !== 'object') return inputs;
  const copy = structuredClone(inputs) as Json;
  for (const path of paths) {
    const parts = path.split('.');
    let cur: unknown = copy;
    for (let i = 0; i < parts.length - 1 && cur !== null && typeof cur === 'object'; i++) cur = (cur as Record<string, unknown>)[parts[i]!];
    const last = parts[parts.length - 1]!;
    if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, last)) {
      (cur as Record<string, unknown>)[last] = REDACTED;
    }
  }
  return copy;
}

/**
 * Applies the secret detectors to a DR body's free text: `inputs` (every string, after the path-based redaction),
 * `justification`, `reasons` and each guard outcome's `reasons`. Ids, hashes and the other fields are kept.
 */
export function redactDecisionRecordText(body: DecisionRecordBody, rules: readonly RedactionRule[]): DecisionRecordBody {
  if (rules.length === 0) return body;
  return {
    ...body,
    guard_outcomes: body.guard_outcomes.map((g) => ({ ...g, reasons: g.reasons.map((r) => redactText(r, rules)) })),
    justification: redactText(body.justification, rules),
    reasons: body.reasons.map((r) => redactText(r, rules)),
    inputs: redactJson(body.inputs, rules),
  };
}

/** The DR id is the content hash of the body, so a DR cannot be altered without changing its address. */
export function sealDecisionRecord(body: DecisionRecordBody): DecisionRecord {
  const hash = digestJson(body);
  return { id: `bubble://dr/${hash}`, ...body };
}

export function decisionRecordIdOf(record: DecisionRecord): string {
  const { id: _id, ...body } = record;
  return `bubble://dr/${digestJson(body)}`;
}
