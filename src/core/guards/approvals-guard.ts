// Approvals guard: distinct reviewer approvals of the current result reach the threshold before REVERB.
import type { Guard } from './guard.ts';

export const approvalsGuard: Guard = (ctx) => {
  const { execution, council } = ctx.state;
  const inputs = ctx.proposal.inputs as { result_hash: string };
  if (execution.result_hash !== inputs.result_hash) {
    return { ok: false, code: 'approvals_insufficient', reasons: [`result ${inputs.result_hash} is not the result under review (${execution.result_hash ?? 'none'})`] };
  }
  const n = execution.approvals.length;
  if (n < council.approvals_threshold) {
    return { ok: false, code: 'approvals_insufficient', reasons: [`${n} distinct approvals; threshold is ${council.approvals_threshold}`] };
  }
  return { ok: true, reasons: [`${n} distinct approvals (threshold ${council.approvals_threshold}) by ${execution.approvals.join(', ')}`] };
};
