// reduce(state, entry) -> {state, outcome, decisionRecord}: total, pure, and the only way state changes.
import { dispatch } from '../generated/dispatch.ts';
import { STATECHART_HASH, TRANSITIONS, type GuardName, type RegionName, type TransitionName, type TransitionSpec } from '../generated/statechart.ts';
import { activePaths, enterTarget, inState } from './configuration.ts';
import { type DedupeRow } from './dedupe-table.ts';
import { digestJson, type Digest } from './digest.ts';
import { redactDecisionRecordText, redactInputs, sealDecisionRecord, type DecisionRecord, type DecisionRecordBody } from './decision-record.ts';
import { decodeSignature, nodeVerifier, publicKeyFromSigner, type SignatureVerifier } from './ed25519.ts';
import { checkEvidence } from './evidence-link.ts';
import { GUARDS } from './guards/index.ts';
import type { GuardContext, GuardOutcome, GuardVerdict } from './guards/guard.ts';
import { HANDLERS } from './handlers/index.ts';
import { quarantinePolicy } from './handlers/policy-handlers.ts';
import { newest } from './handlers/handler.ts';
import { compareHlc, parseHlc, type Hlc } from './hlc.ts';
import { decodeProposal, signingBytes, type Proposal } from './proposal.ts';
import type { ReasonCode } from './reason-codes.ts';
import { DEFAULT_REDACTION_RULES, type RedactionRule } from './redaction.ts';
import { validateInputs } from './schema-validator.ts';
import { MAX_RECENT_EVIDENCE, type StateDocument } from './state.ts';
import { stateHash } from './state-hash.ts';

/** A log entry: a proposal (untrusted until checked) plus the admitting node's HLC stamp, at a log index. */
export interface LogEntry {
  readonly index: number;
  readonly stamp: string;
  readonly proposal: unknown;
}

export interface ReduceOptions {
  /**
   * Verify the proposal signature here. Default true. A replica applying its own WAL may pass false: every entry
   * in it was verified when admitted (`replay --verify-signatures` re-checks a whole log).
   */
  readonly verifySignatures?: boolean;
  readonly verifier?: SignatureVerifier;
}

/** What the caller learns; a duplicate carries the original outcome with duplicate: true. */
export interface Outcome {
  readonly status: 'accepted' | 'quarantined' | 'rejected';
  readonly duplicate: boolean;
  readonly index: number;
  readonly hlc: string;
  /** For a rejection this is HEAD, unchanged (what a stale proposal must re-read). */
  readonly state_post_hash: Digest;
  readonly decision_record_id: string;
  readonly code: ReasonCode | null;
  readonly failing_guard: GuardName | null;
  readonly reasons: readonly string[];
}

export interface ReduceResult {
  readonly state: StateDocument;
  readonly outcome: Outcome;
  /** The regions whose epoch this entry advanced (empty for a rejection or a duplicate). */
  readonly advanced: readonly RegionName[];
  /** Null only for a duplicate, which emits nothing new. */
  readonly decisionRecord: DecisionRecord | null;
}

interface Rejection {
  readonly code: ReasonCode;
  readonly reasons: readonly string[];
  readonly failing_guard?: GuardName;
  readonly guard_outcomes?: readonly GuardOutcome[];
}

function isTransitionName(name: string): name is TransitionName {
  return Object.prototype.hasOwnProperty.call(TRANSITIONS, name);
}

function authorized(state: StateDocument, spec: TransitionSpec, p: Proposal): boolean {
  const roles = state.boot.identities[p.signer]?.roles ?? [];
  if (spec.roles.some((r) => (roles as readonly string[]).includes(r))) return true;
  // `$subject`: the identity the transition is about may sign it itself (e.g. rotating its own key).
  const subject = (p.inputs as Record<string, unknown> | null)?.['old_signer'];
  return spec.roles.includes('$subject') && subject === p.signer;
}

function sourceRejection(state: StateDocument, spec: TransitionSpec): Rejection | null {
  if (spec.from.some((path) => inState(state, path))) return null;
  const here = activePaths(state).join(', ');
  const top = state.configuration.top;
  const code: ReasonCode = top === 'QUARANTINED' ? 'quarantined' : top === 'TERMINATED' ? 'terminated' : 'invalid_source_state';
  return { code, reasons: [`${spec.name} is enabled in ${spec.from.join(' | ')}; the machine is in ${here}`] };
}

/** The secret detectors in force before an entry: they redact that entry's DR (docs/decision-records.md). */
function redactionRulesOf(state: StateDocument): readonly RedactionRule[] {
  // A state document from before redaction_rules existed has none; it gets the defaults, as its genesis would now.
  return (state.policy.redaction_rules as readonly RedactionRule[] | undefined) ?? DEFAULT_REDACTION_RULES;
}

function rejectionRecord(state: StateDocument, entry: LogEntry, p: Proposal | null, r: Rejection): ReduceResult {
  const pre = stateHash(state);
  const body: DecisionRecordBody = {
    type: 'swoosh.decision_record.v1',
    outcome: 'rejected',
    index: entry.index,
    transition: p?.transition ?? null,
    signer: p?.signer ?? null,
    idem_key: p?.idem_key ?? null,
    hlc: p?.hlc ?? null,
    stamp: entry.stamp,
    window_id: p?.window_id ?? null,
    state_pre_hash: pre,
    state_post_hash: pre,
    inputs_hash: p?.inputs_hash ?? null,
    from: activePaths(state),
    to: activePaths(state),
    guard_outcomes: r.guard_outcomes ?? [],
    evidence: p?.evidence ?? [],
    justification: `rejected: ${r.code}`,
    code: r.code,
    failing_guard: r.failing_guard ?? null,
    reasons: r.reasons,
    // Inputs of a rejected proposal are untrusted and possibly large: the DR keeps their hash only.
    inputs: null,
  };
  const dr = sealDecisionRecord(redactDecisionRecordText(body, redactionRulesOf(state)));
  return {
    state,
    decisionRecord: dr,
    advanced: [],
    outcome: {
      status: 'rejected',
      duplicate: false,
      index: entry.index,
      hlc: entry.stamp,
      state_post_hash: pre,
      decision_record_id: dr.id,
      code: r.code,
      failing_guard: r.failing_guard ?? null,
      reasons: dr.reasons,
    },
  };
}

function duplicateResult(state: StateDocument, row: DedupeRow): ReduceResult {
  return {
    state,
    decisionRecord: null,
    advanced: [],
    outcome: {
      status: row.outcome,
      duplicate: true,
      index: row.index,
      hlc: row.first_seen,
      state_post_hash: row.state_post_hash,
      decision_record_id: row.decision_record_id,
      code: row.outcome === 'quarantined' ? 'policy_breach' : null,
      failing_guard: row.outcome === 'quarantined' ? 'policy' : null,
      reasons: [`duplicate of the entry at index ${row.index}`],
    },
  };
}

function runGuards(ctx: GuardContext): { outcomes: GuardOutcome[]; failure: { guard: GuardName; verdict: GuardVerdict } | null; breach: GuardVerdict['breach'] } {
  const outcomes: GuardOutcome[] = [];
  let failure: { guard: GuardName; verdict: GuardVerdict } | null = null;
  let breach: GuardVerdict['breach'];
  // Every guard runs, so the DR carries the complete rationale even when an early guard fails.
  for (const guard of ctx.spec.guards) {
    const verdict = GUARDS[guard](ctx);
    outcomes.push({ guard, ok: verdict.ok, reasons: [...verdict.reasons] });
    if (verdict.breach !== undefined) breach ??= verdict.breach;
    else if (!verdict.ok && failure === null) failure = { guard, verdict };
  }
  return { outcomes, failure, breach };
}

/** Reduces one log entry. Never throws on any input: every failure is a deterministic rejection. */
export function reduce(state: StateDocument, entry: LogEntry, options: ReduceOptions = {}): ReduceResult {
  const verifier = options.verifier ?? nodeVerifier;
  const decoded = decodeProposal(entry.proposal);
  if (!decoded.ok) return rejectionRecord(state, entry, null, decoded);
  const p = decoded.value;

  if (options.verifySignatures ?? true) {
    const key = publicKeyFromSigner(p.signer);
    const sig = decodeSignature(p.signature);
    if (key === null || sig === null || !verifier(key, signingBytes(p), sig)) {
      return rejectionRecord(state, entry, p, { code: 'bad_signature', reasons: ['signature does not verify over the canonical proposal bytes'] });
    }
  }
  if (!isTransitionName(p.transition)) {
    return rejectionRecord(state, entry, p, { code: 'unknown_transition', reasons: [`${p.transition} is not a transition of machine v${state.meta.machine_version}`] });
  }
  if (state.meta.statechart_hash !== STATECHART_HASH) {
    return rejectionRecord(state, entry, p, {
      code: 'unsupported_machine_version',
      reasons: [`state runs statechart ${state.meta.statechart_hash}; this build runs ${STATECHART_HASH}`],
    });
  }
  const spec = TRANSITIONS[p.transition];

  const stampParse = parseHlc(entry.stamp);
  if (!stampParse.ok) return rejectionRecord(state, entry, p, { code: 'stamp_invalid', reasons: [`stamp: ${stampParse.reason}`] });
  const stamp: Hlc = stampParse.value;
  const last = state.hlc_last === null ? null : parseHlc(state.hlc_last);
  if (last !== null && last.ok && compareHlc(stamp, last.value) <= 0) {
    return rejectionRecord(state, entry, p, { code: 'stamp_invalid', reasons: [`stamp ${entry.stamp} is not after the last applied ${state.hlc_last}`] });
  }

  // Duplicates before staleness: a retry of an applied operation carries an old hash by nature.
  const retention = state.meta.dedupe_retention_ms;
  const row = state.dedupe.lookup(p.idem_key, stamp.ms, retention);
  if (row !== undefined) {
    if (row.transition === p.transition && row.inputs_hash === p.inputs_hash && row.signer === p.signer) return duplicateResult(state, row);
    return rejectionRecord(state, entry, p, {
      code: 'idem_key_conflict',
      reasons: [`idem_key ${p.idem_key} was used at index ${row.index} for ${row.transition} with inputs ${row.inputs_hash}`],
    });
  }

  if (state.boot.identities[p.signer] === undefined) return rejectionRecord(state, entry, p, { code: 'unknown_signer', reasons: [`${p.signer} is not a registered identity`] });
  if (!authorized(state, spec, p)) {
    const have = state.boot.identities[p.signer]!.roles.join(', ') || 'none';
    return rejectionRecord(state, entry, p, { code: 'signer_not_authorized', reasons: [`${spec.name} needs one of roles ${spec.roles.join(', ')}; signer has ${have}`] });
  }
  const inputsHash = digestJson(p.inputs);
  if (inputsHash !== p.inputs_hash) return rejectionRecord(state, entry, p, { code: 'inputs_hash_mismatch', reasons: [`inputs hash to ${inputsHash}, not ${p.inputs_hash}`] });
  const schema = validateInputs(spec.name, p.inputs);
  if (!schema.ok) return rejectionRecord(state, entry, p, { code: 'inputs_schema_invalid', reasons: schema.reasons });
  const evidence = checkEvidence(p.evidence);
  if (!evidence.ok) return rejectionRecord(state, entry, p, { code: 'evidence_invalid', reasons: evidence.reasons });

  const pre = stateHash(state);
  if (p.current_state_hash !== pre) return rejectionRecord(state, entry, p, { code: 'stale_state_hash', reasons: [`current_state_hash ${p.current_state_hash} is not HEAD ${pre}`] });
  const proposalHlc = parseHlc(p.hlc);
  if (!proposalHlc.ok) return rejectionRecord(state, entry, p, { code: 'malformed_proposal', reasons: [`hlc: ${proposalHlc.reason}`] });
  if (last !== null && last.ok && compareHlc(proposalHlc.value, last.value) < 0) {
    return rejectionRecord(state, entry, p, { code: 'hlc_time_travel', reasons: [`hlc ${p.hlc} is before the last applied HLC ${state.hlc_last}`] });
  }
  if (compareHlc(proposalHlc.value, stamp) > 0) {
    return rejectionRecord(state, entry, p, { code: 'stamp_invalid', reasons: [`stamp ${entry.stamp} precedes the proposal hlc ${p.hlc}; the admitting node must receive() it first`] });
  }

  const source = sourceRejection(state, spec);
  if (source !== null) return rejectionRecord(state, entry, p, source);

  const ctx: GuardContext = { state, proposal: p, spec, stamp, stampText: entry.stamp, verifier };
  const guards = runGuards(ctx);
  if (guards.failure !== null) {
    const f = guards.failure;
    return rejectionRecord(state, entry, p, {
      code: f.verdict.code ?? 'precondition_failed',
      reasons: f.verdict.reasons,
      failing_guard: f.guard,
      guard_outcomes: guards.outcomes,
    });
  }

  let next: StateDocument;
  let status: 'accepted' | 'quarantined';
  let advances: readonly RegionName[];
  const breach = guards.breach;
  if (breach !== undefined) {
    // A breach is not a rejection: the machine moves to QUARANTINED with the rule's rationale (brief §6).
    status = 'quarantined';
    advances = ['policy'];
    next = enterTarget({ ...state, policy: quarantinePolicy(state.policy, breach.rule_id, breach.rationale) }, 'QUARANTINED');
  } else {
    const handled = dispatch(HANDLERS, spec.name, ctx, p.inputs);
    if (!handled.ok) return rejectionRecord(state, entry, p, { code: handled.code, reasons: handled.reasons, guard_outcomes: guards.outcomes });
    status = 'accepted';
    advances = spec.advances;
    next = enterTarget(handled.state, spec.to);
    if (advances.includes('execution')) {
      next = { ...next, execution: { ...next.execution, evidence: newest([...next.execution.evidence, ...p.evidence], MAX_RECENT_EVIDENCE) } };
    }
  }

  const epoch = { ...next.epoch };
  for (const region of advances) epoch[region] += 1;
  const dedupeRow: DedupeRow = {
    idem_key: p.idem_key,
    index: entry.index,
    transition: p.transition,
    signer: p.signer,
    inputs_hash: p.inputs_hash,
    outcome: status,
    first_seen: entry.stamp,
    first_seen_ms: stamp.ms,
    state_post_hash: pre, // placeholder annotations, replaced below; they are not hashed
    decision_record_id: '',
  };
  const dedupe = state.dedupe.expire(stamp.ms, retention).insert(dedupeRow);
  next = { ...next, epoch, hlc_last: entry.stamp, dedupe };
  const post = stateHash(next);

  const redact = [...spec.redact, ...state.policy.redact_fields];
  const justification =
    breach !== undefined
      ? `quarantined by policy rule ${breach.rule_id}: ${breach.rationale}`
      : `${spec.name} (${spec.event}) by ${p.signer}: ${guards.outcomes.length === 0 ? 'no guards' : guards.outcomes.map((g) => `${g.guard} ok`).join(', ')}`;
  // What the caller and the DR say about a breach; an acceptance carries no code.
  const verdict =
    breach !== undefined
      ? { code: 'policy_breach' as const, failing_guard: 'policy' as const, reasons: [`${breach.rule_id}: ${breach.rationale}`] }
      : { code: null, failing_guard: null, reasons: [] };
  // Path-based redaction first (statechart `redact`, then policy redact_fields), then the secret detectors of the
  // pre-state's policy over all free text; inputs_hash still commits to the unredacted inputs.
  const body: DecisionRecordBody = {
    type: 'swoosh.decision_record.v1',
    outcome: status,
    index: entry.index,
    transition: p.transition,
    signer: p.signer,
    idem_key: p.idem_key,
    hlc: p.hlc,
    stamp: entry.stamp,
    window_id: p.window_id,
    state_pre_hash: pre,
    state_post_hash: post,
    inputs_hash: p.inputs_hash,
    from: activePaths(state),
    to: activePaths(next),
    guard_outcomes: guards.outcomes,
    evidence: p.evidence,
    justification,
    ...verdict,
    inputs: redactInputs(p.inputs, redact),
  };
  const dr = sealDecisionRecord(redactDecisionRecordText(body, redactionRulesOf(state)));
  next = { ...next, dedupe: dedupe.annotate(p.idem_key, post, dr.id) };
  return {
    state: next,
    decisionRecord: dr,
    advanced: advances,
    outcome: {
      status,
      duplicate: false,
      index: entry.index,
      hlc: entry.stamp,
      state_post_hash: post,
      decision_record_id: dr.id,
      ...verdict,
      reasons: dr.reasons,
    },
  };
}
