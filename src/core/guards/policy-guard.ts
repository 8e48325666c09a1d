// SHHH policy guard: rules over the transition and its inputs; a breach quarantines the machine (docs/policy.md).
import type { PolicyRule } from '../state.ts';
import type { Guard } from './guard.ts';

/** Reads a dotted path (`a.b.0.c`) out of inputs; undefined when absent. */
export function inputAt(inputs: unknown, path: string): unknown {
  let cur: unknown = inputs;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function transitionMatches(pattern: string | undefined, name: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

/** A rule is breached when every condition it states holds. Rules with an invalid regex are refused on update. */
export function ruleBreached(rule: PolicyRule, transition: string, inputs: unknown): boolean {
  const w = rule.when;
  if (!transitionMatches(w.transition, transition)) return false;
  if (w.input === undefined) return w.transition !== undefined;
  const v = inputAt(inputs, w.input);
  if (v === undefined) return false;
  if (w.equals !== undefined && v !== w.equals) return false;
  if (w.in !== undefined && !(w.in as readonly unknown[]).includes(v)) return false;
  if (w.at_least !== undefined && !(typeof v === 'number' && v >= w.at_least)) return false;
  if (w.matches !== undefined && !(typeof v === 'string' && new RegExp(w.matches, 'u').test(v))) return false;
  return true;
}

export function invalidRulePatterns(rules: readonly PolicyRule[]): string[] {
  const bad: string[] = [];
  for (const r of rules) {
    if (r.when.matches === undefined) continue;
    try {
      new RegExp(r.when.matches, 'u');
    } catch {
      bad.push(`rule ${r.id}: invalid regular expression`);
    }
  }
  return bad;
}

export const policyGuard: Guard = (ctx) => {
  const { policy } = ctx.state;
  for (const rule of policy.rules) {
    if (ruleBreached(rule, ctx.proposal.transition, ctx.proposal.inputs)) {
      return {
        ok: false,
        reasons: [`breach of policy v${policy.version} rule ${rule.id}: ${rule.rationale}`],
        breach: { rule_id: rule.id, rationale: rule.rationale },
      };
    }
  }
  return { ok: true, reasons: [`no rule of policy v${policy.version} (${policy.rules.length} rules) is breached`] };
};
