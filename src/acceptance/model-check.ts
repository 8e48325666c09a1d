// The differential check: every cluster answer is recomputed by the WorkloadModel's reducer from the same
// entry (the cluster's index and stamp), and must agree on outcome, code, decision record and state hash.
import { formatHlc, hlcSend, parseHlc } from '../core/hlc.ts';
import { checkInvariants } from '../core/invariants.ts';
import { reduce, type ReduceResult } from '../core/reducer.ts';
import type { StateDocument } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import type { WorkloadModel } from '../workload/generator.ts';
import type { AcceptedBody, ClusterAnswer, RefusalBody } from './cluster-submit.ts';

export interface CheckedStep {
  /** accepted | quarantined | duplicate | rejected (by the reducer) | refused (by a replica before the reducer). */
  readonly kind: 'accepted' | 'quarantined' | 'duplicate' | 'rejected' | 'refused';
  readonly code: string | null;
  /** An earlier attempt's outcome was unknown and it had in fact committed (the retry came back a duplicate). */
  readonly committedOnRetry: boolean;
  /** Set when the model and the cluster disagree; the run cannot go on meaningfully after that. */
  readonly disagreement: string | null;
  readonly invariantProblems: readonly string[];
  /** What a hostile entry was annotated to get, and what it got, when they differ. */
  readonly expectMismatch: { readonly expected: string; readonly got: string } | null;
}

type Decided = Extract<ClusterAnswer, { kind: 'decided' | 'refused' }>;

/** Compares the answer with the model; on an accepted or quarantined entry, the model absorbs it. */
export function checkAnswer(model: WorkloadModel, step: { proposal: unknown; expect?: string }, answer: Decided, nowMs: number): CheckedStep {
  const pre = model.state;
  const windowId = windowOf(step.proposal);
  const result = answer.kind === 'decided' ? checkDecided(model, step, answer.body, answer.attempts.some((a) => a.unknown), nowMs) : checkRefused(pre, step.proposal, answer.status, answer.body);
  const invariantProblems = result.reduced === null ? [] : checkInvariants(pre, result.reduced, windowId);
  const got = result.kind === 'duplicate' ? 'duplicate' : (result.code ?? result.kind);
  const expectMismatch = step.expect !== undefined && step.expect !== got ? { expected: step.expect, got } : null;
  return { kind: result.kind, code: result.code, committedOnRetry: result.committedOnRetry, disagreement: result.disagreement, invariantProblems, expectMismatch };
}

interface Judged {
  readonly kind: CheckedStep['kind'];
  readonly code: string | null;
  readonly committedOnRetry: boolean;
  readonly disagreement: string | null;
  readonly reduced: ReduceResult | null;
}

function checkDecided(model: WorkloadModel, step: { proposal: unknown; expect?: string }, body: AcceptedBody, hadUnknown: boolean, nowMs: number): Judged {
  let committedOnRetry = false;
  if (body.duplicate) {
    // A duplicate is answered from the dedupe table and logs nothing. Stamp it after HEAD, as a leader would.
    const probe = reduce(model.state, { index: body.index, stamp: freshStamp(model.state, nowMs), proposal: step.proposal });
    const o = probe.outcome;
    if (o.duplicate) {
      const same = o.index === body.index && o.state_post_hash === body.state_post_hash && o.status === body.status && o.decision_record_id === body.decision_record_id;
      return { kind: 'duplicate', code: null, committedOnRetry, reduced: probe, disagreement: same ? null : `duplicate of index ${body.index} (${body.state_post_hash}) per the cluster, of index ${o.index} (${o.state_post_hash}) per the model` };
    }
    // Not a duplicate to the model: an earlier attempt of ours committed although its answer was lost.
    if (!hadUnknown) return { kind: 'duplicate', code: null, committedOnRetry, reduced: probe, disagreement: `the cluster calls it a duplicate of index ${body.index}; the model has no such entry and no attempt of ours had an unknown outcome` };
    committedOnRetry = true;
  }
  const mine = model.absorb({ index: body.index, stamp: body.hlc, proposal: step.proposal, ...(step.expect !== undefined ? { expect: step.expect } : {}) });
  const o = mine.outcome;
  const hash = stateHash(model.state);
  const problems: string[] = [];
  if (o.status !== body.status || o.duplicate) problems.push(`outcome ${o.duplicate ? 'duplicate' : o.status}/${o.code} per the model, ${body.status}/${body.code} per the cluster (${o.reasons.join('; ')})`);
  if (hash !== body.state_post_hash) problems.push(`state_post_hash ${body.state_post_hash} per the cluster, ${hash} per the model`);
  if (o.decision_record_id !== body.decision_record_id) problems.push(`decision record ${body.decision_record_id} per the cluster, ${o.decision_record_id} per the model`);
  return { kind: o.status === 'quarantined' ? 'quarantined' : 'accepted', code: o.code, committedOnRetry, reduced: mine, disagreement: problems.length === 0 ? null : `index ${body.index}: ${problems.join('; ')}` };
}

function checkRefused(state: StateDocument, proposal: unknown, status: number, body: RefusalBody): Judged {
  const dr = body.decision_record;
  if (dr === undefined || dr === null) {
    // Refused before the reducer ran (admission limits): nothing was logged and the model has nothing to say.
    return { kind: 'refused', code: body.reason, committedOnRetry: false, reduced: null, disagreement: null };
  }
  const mine = reduce(state, { index: dr.index, stamp: dr.stamp, proposal });
  const o = mine.outcome;
  const problems: string[] = [];
  if (o.status !== 'rejected' || o.duplicate || o.code !== body.reason) problems.push(`rejected ${body.reason} (HTTP ${status}) by the cluster, ${o.duplicate ? 'duplicate' : `${o.status}/${o.code}`} per the model`);
  if (body.current_state_hash !== stateHash(state)) problems.push(`HEAD ${body.current_state_hash} per the cluster, ${stateHash(state)} per the model`);
  if (o.decision_record_id !== dr.id) problems.push(`decision record ${dr.id} per the cluster, ${o.decision_record_id} per the model`);
  return { kind: 'rejected', code: body.reason, committedOnRetry: false, reduced: mine, disagreement: problems.length === 0 ? null : `rejection at index ${dr.index}: ${problems.join('; ')}` };
}

function freshStamp(state: StateDocument, nowMs: number): string {
  const last = state.hlc_last === null ? null : parseHlc(state.hlc_last);
  const next = hlcSend(last !== null && last.ok ? last.value : { ms: 0, logical: 0 }, nowMs);
  return next.ok ? formatHlc(next.value) : (state.hlc_last ?? formatHlc({ ms: nowMs, logical: 0 }));
}

function windowOf(proposal: unknown): string | null {
  const w = (proposal as { window_id?: unknown } | null)?.window_id;
  return typeof w === 'string' ? w : null;
}
