// Policy (SHHH) handlers: quarantine, human release, policy updates and confirmed blocks.
import type { InputsByTransition } from '../../generated/statechart.ts';
import { invalidRulePatterns } from '../guards/policy-guard.ts';
import { invalidRedactionPatterns } from '../redaction.ts';
import type { PolicyRule, PolicySection } from '../state.ts';
import { done, refuse, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

/** The policy section after a quarantine by `ruleId`: the one place a quarantine's rationale is recorded. */
export function quarantinePolicy(policy: PolicySection, ruleId: string, rationale: string): PolicySection {
  return { ...policy, rule_id: ruleId, rationale, quarantines: policy.quarantines + 1 };
}

function updatePolicy(ctx: HandlerContext, i: I<'Policy_Update'>): HandlerResult {
  const p = ctx.state.policy;
  if (i.version <= p.version) return refuse(`policy version ${i.version} is not newer than ${p.version}`);
  const rules = i.rules as readonly PolicyRule[];
  const bad = [...invalidRulePatterns(rules), ...invalidRedactionPatterns(i.redaction_rules ?? [])];
  if (bad.length > 0) return { ok: false, code: 'precondition_failed', reasons: bad };
  // Omitting redaction_rules keeps the detectors in force: an update must not silently turn redaction off.
  const redaction_rules = i.redaction_rules ?? p.redaction_rules;
  return done({ ...ctx.state, policy: { ...p, version: i.version, rules, redact_fields: [...(i.redact_fields ?? [])], redaction_rules } });
}

export const policyHandlers = {
  Policy_Quarantine: (ctx: HandlerContext, i: I<'Policy_Quarantine'>): HandlerResult =>
    done({ ...ctx.state, policy: quarantinePolicy(ctx.state.policy, i.rule_id, i.rationale) }),
  Policy_HumanRelease: (ctx: HandlerContext): HandlerResult => done(ctx.state),
  Policy_Update: updatePolicy,
  Policy_UpdateRelease: updatePolicy,
  Policy_ConfirmBlock: (ctx: HandlerContext): HandlerResult => done(ctx.state),
};
