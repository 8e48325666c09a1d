// The brief's invariants (§12) as executable checks over (pre, entry, result), run after every transition in tests.
import { TRANSITIONS, type TransitionName } from '../generated/statechart.ts';
import { memberSetHash } from './council-vote.ts';
import { canonicalJson } from './canonical-json.ts';
import { hashedRow } from './dedupe-table.ts';
import { digestJson } from './digest.ts';
import { lifecycleProblems } from './guards/lifecycle-ready-guard.ts';
import { compareHlc, parseHlc } from './hlc.ts';
import type { ReduceResult } from './reducer.ts';
import { SetHash } from './set-hash.ts';
import type { StateDocument } from './state.ts';
import { stateHash, stateHashInput } from './state-hash.ts';
import { checkNamedWindow } from './window.ts';

const RELEASES: readonly string[] = ['Policy_HumanRelease', 'Policy_UpdateRelease', 'Policy_ConfirmBlock'];

/** Returns a description of every invariant the step broke (empty when all hold). */
export function checkInvariants(pre: StateDocument, result: ReduceResult, windowId: string | null): string[] {
  const v: string[] = [];
  const post = result.state;
  const o = result.outcome;
  const changed = o.status !== 'rejected' && !o.duplicate;

  if (!changed) {
    if (post !== pre && stateHash(post) !== stateHash(pre)) v.push('a rejected or duplicate entry changed the state');
    if (o.duplicate && result.decisionRecord !== null) v.push('a duplicate emitted a new decision record');
    return v;
  }
  const dr = result.decisionRecord;
  const transition = dr?.transition ?? '';

  // HLC monotonicity: the applied stamp strictly increases.
  const before = pre.hlc_last === null ? null : parseHlc(pre.hlc_last);
  const after = post.hlc_last === null ? null : parseHlc(post.hlc_last);
  if (after === null || !after.ok) v.push('hlc_last is missing or malformed after an accepted entry');
  else if (before !== null && before.ok && compareHlc(after.value, before.value) <= 0) v.push(`HLC went backwards: ${pre.hlc_last} -> ${post.hlc_last}`);

  // Exactly-once epoch advance per region.
  const advances: readonly string[] = o.status === 'quarantined' ? ['policy'] : (TRANSITIONS[transition as TransitionName]?.advances ?? []);
  for (const region of Object.keys(pre.epoch) as (keyof StateDocument['epoch'])[]) {
    const want = pre.epoch[region] + (advances.includes(region) ? 1 : 0);
    if (post.epoch[region] !== want) v.push(`epoch ${region} is ${post.epoch[region]}, expected ${want}`);
  }

  // EXECUTION entry requires all regions READY with matching pins.
  if (pre.configuration.top !== 'EXECUTION' && post.configuration.top === 'EXECUTION') {
    const pins = post.execution.pins;
    if (pins === null) v.push('entered EXECUTION without pins');
    else for (const p of lifecycleProblems(post, pins)) v.push(`entered EXECUTION but ${p}`);
  }

  // The quorum certificate matches the elected set hash.
  const c = post.council;
  if (c.phase === 'TOOLING_SYNC' || c.phase === 'READY') {
    if (c.quorum_cert === null) v.push(`Council is ${c.phase} without a quorum certificate`);
    else {
      if (c.quorum_cert.member_set_hash !== c.member_set_hash) v.push('quorum certificate member set hash differs from the elected set hash');
      if (c.member_set_hash !== memberSetHash(c.members)) v.push('elected set hash does not hash the elected members');
      if (c.quorum_cert.voters.length < c.quorum_cert.quorum) v.push('quorum certificate has fewer voters than its quorum');
    }
  }

  // REVIEW and REVERB are entered only inside an open window for their class.
  if (post.configuration.top === 'EXECUTION' && pre.configuration.top === 'EXECUTION') {
    const entered = post.execution.phase !== pre.execution.phase ? post.execution.phase : null;
    const cls = entered === 'REVIEW' ? 'review' : entered === 'REVERB' ? 'reverb' : null;
    if (cls !== null) {
      const at = parseHlc(post.hlc_last ?? '');
      if (!at.ok || !checkNamedWindow(pre.execution, cls, windowId, at.value.ms).ok) v.push(`entered ${entered} outside an open ${cls} window`);
    }
  }

  // QUARANTINED is sticky.
  if (pre.configuration.top === 'QUARANTINED' && post.configuration.top !== 'QUARANTINED' && !RELEASES.includes(transition)) {
    v.push(`left QUARANTINED via ${transition}`);
  }
  if (pre.configuration.top === 'TERMINATED') v.push('a transition was accepted in TERMINATED');

  // A DR exists with guard rationale and a UCXL link, and names the post hash.
  if (dr === null) v.push('an accepted entry has no decision record');
  else {
    if (dr.state_post_hash !== stateHash(post)) v.push('the DR post hash is not the state hash');
    if (!dr.evidence.some((l) => l.startsWith('ucxl://'))) v.push('the DR has no UCXL link');
    for (const g of dr.guard_outcomes) if (g.reasons.length === 0) v.push(`guard ${g.guard} gave no reasons`);
  }
  return v;
}

/** Recomputes the state hash with no caches (dedupe set hash rebuilt from rows); a mismatch is a memoization bug. */
export function recomputeStateHash(state: StateDocument): string {
  const input = stateHashInput(state, false);
  let set = SetHash.empty();
  for (const row of state.dedupe.toArray()) set = set.add(canonicalJson(hashedRow(row)));
  input['dedupe'] = set.digest();
  return digestJson(input);
}

