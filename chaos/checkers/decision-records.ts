// Decision records: content-addressed, complete guard rationale, evidence, and time-gated transitions only in windows.
import { decisionRecordIdOf } from '../../src/core/decision-record.ts';
import { TRANSITIONS, type TransitionSpec } from '../../src/generated/statechart.ts';
import type { DecisionEntryRecord } from '../../src/storage/records.ts';
import { Problems, type CheckResult } from './history.ts';

/** The statechart facts the checker needs: each transition's guards (in order) and window class. */
export type TransitionTable = { readonly [name: string]: Pick<TransitionSpec, 'guards' | 'window_class'> | undefined };

const GATED_PHASES: Readonly<Record<string, 'review' | 'reverb'>> = { 'EXECUTION.REVIEW': 'review', 'EXECUTION.REVERB': 'reverb' };

/** Does a window guard outcome name `windowId` as a window opening `cls`? (src/core/window.ts checkNamedWindow) */
function windowNamed(reasons: readonly string[], windowId: string, cls: string): boolean {
  return reasons.some((r) => r.startsWith(`window ${windowId} (`) && r.includes(` opens ${cls} `));
}

/**
 * For every DR: the entry index is the DR's index; the id is the content hash of the body (decisionRecordIdOf); the
 * justification is non-empty. For every non-rejected DR (accepted or quarantined):
 *  - its transition is in the table, and guard_outcomes name exactly the transition's guards, in order, each with
 *    reasons;
 *  - accepted: every guard ok, code and failing_guard null; quarantined: the policy guard not ok and every other
 *    guard ok, code policy_breach, failing_guard policy;
 *  - at least one ucxl:// link in evidence;
 *  - a time-gated transition (window_class not null: plan, review, reverb) declares the window guard, and its DR has a
 *    window guard outcome ok that names the DR's window_id as a window opening that class;
 *  - a DR that enters EXECUTION.REVIEW or EXECUTION.REVERB from another EXECUTION phase has such a window outcome for
 *    class review or reverb (brief §15). (Returning to REVIEW from CONTROL via $history is not entering it, as in
 *    src/core/invariants.ts.)
 */
export function checkDecisionRecords(decisions: readonly DecisionEntryRecord[], transitions: TransitionTable = TRANSITIONS): CheckResult {
  const problems = new Problems();
  const stats = { decisions: decisions.length, accepted: 0, quarantined: 0, rejected: 0, time_gated: 0, entered_review: 0, entered_reverb: 0, bad_ids: 0 };
  const staticChecked = new Set<string>();
  for (const e of decisions) {
    const d = e.decision;
    const at = `DR at index ${e.index} (${d.transition ?? 'undecodable'}, ${d.outcome})`;
    if (d.index !== e.index) problems.add(`${at}: the record says index ${d.index}`);
    const id = decisionRecordIdOf(d);
    if (id !== d.id) {
      stats.bad_ids++;
      problems.add(`${at}: id ${d.id} is not its content hash ${id} (tampered)`);
    }
    if (typeof d.justification !== 'string' || d.justification.trim() === '') problems.add(`${at}: empty justification`);
    if (d.outcome === 'rejected') {
      stats.rejected++;
      continue;
    }
    if (d.outcome === 'accepted') stats.accepted++;
    else if (d.outcome === 'quarantined') stats.quarantined++;
    else {
      problems.add(`${at}: unknown outcome ${String(d.outcome)}`);
      continue;
    }
    const spec = d.transition === null ? undefined : transitions[d.transition];
    if (spec === undefined) {
      problems.add(`${at}: transition ${d.transition} is not in the statechart`);
      continue;
    }

    // Guard outcomes: exactly the declared guards, in order.
    const got = d.guard_outcomes.map((g) => g.guard as string);
    const want = spec.guards as readonly string[];
    if (got.length !== want.length || got.some((g, i) => g !== want[i])) {
      const missing = want.filter((g) => !got.includes(g));
      const extra = got.filter((g) => !want.includes(g));
      problems.add(`${at}: guard_outcomes [${got.join(', ')}] do not cover the declared guards [${want.join(', ')}]${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${extra.length > 0 ? `; extra ${extra.join(', ')}` : ''}`);
    }
    for (const g of d.guard_outcomes) if (g.reasons.length === 0) problems.add(`${at}: guard ${g.guard} gives no reasons`);
    if (d.outcome === 'accepted') {
      const failed = d.guard_outcomes.filter((g) => !g.ok).map((g) => g.guard);
      if (failed.length > 0) problems.add(`${at}: accepted although guards ${failed.join(', ')} are not ok`);
      if (d.code !== null || d.failing_guard !== null) problems.add(`${at}: accepted but carries code ${d.code} / failing_guard ${d.failing_guard}`);
    } else {
      const policy = d.guard_outcomes.find((g) => g.guard === 'policy');
      if (policy === undefined || policy.ok) problems.add(`${at}: quarantined but the policy guard ${policy === undefined ? 'is absent' : 'is ok'}`);
      const failed = d.guard_outcomes.filter((g) => !g.ok && g.guard !== 'policy').map((g) => g.guard);
      if (failed.length > 0) problems.add(`${at}: quarantined although guards ${failed.join(', ')} failed (that is a rejection)`);
      if (d.code !== 'policy_breach' || d.failing_guard !== 'policy') problems.add(`${at}: quarantined with code ${d.code} / failing_guard ${d.failing_guard}, not policy_breach / policy`);
    }
    if (!d.evidence.some((l) => l.startsWith('ucxl://'))) problems.add(`${at}: no ucxl:// link in evidence`);

    // Time gates.
    const window = d.guard_outcomes.find((g) => g.guard === 'window');
    const cls = spec.window_class;
    if (cls !== null) {
      stats.time_gated++;
      if (!staticChecked.has(d.transition!)) {
        staticChecked.add(d.transition!);
        if (!want.includes('window')) problems.add(`statechart: ${d.transition} is time-gated (${cls}) but does not declare the window guard`);
      }
      if (d.window_id === null) problems.add(`${at}: time-gated (${cls}) but has no window_id`);
      else if (window === undefined || !window.ok || !windowNamed(window.reasons, d.window_id, cls)) {
        problems.add(`${at}: time-gated (${cls}) but no ok window guard outcome names window ${d.window_id} as opening ${cls}${window === undefined ? '' : ` (window guard ${window.ok ? 'ok' : 'failed'}: ${window.reasons.join('; ')})`}`);
      }
    }
    for (const [path, gate] of Object.entries(GATED_PHASES)) {
      const entered = d.to.includes(path) && !d.from.includes(path) && d.from.some((p) => p.startsWith('EXECUTION.'));
      if (!entered) continue;
      if (gate === 'review') stats.entered_review++;
      else stats.entered_reverb++;
      if (d.window_id === null || window === undefined || !window.ok || !windowNamed(window.reasons, d.window_id, gate)) {
        problems.add(`${at}: entered ${path} outside an open ${gate} window (window_id ${d.window_id ?? 'null'}; window guard ${window === undefined ? 'absent' : window.ok ? `ok: ${window.reasons.join('; ')}` : `failed: ${window.reasons.join('; ')}`})`);
      }
    }
  }
  return problems.result('decision-records', stats);
}
