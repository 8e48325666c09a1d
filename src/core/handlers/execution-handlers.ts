// EXECUTION handlers: the PLAN -> WORK -> REVIEW -> REVERB -> PLAN loop.
import type { InputsByTransition } from '../../generated/statechart.ts';
import type { Digest } from '../digest.ts';
import type { ExecutionSection } from '../state.ts';
import { done, refuse, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

function freshLoop(e: ExecutionSection): ExecutionSection {
  return { ...e, plan_hash: null, work_item: null, loop_window_id: null, result_hash: null, approvals: [], rejections: [], submission_hash: null };
}

export const executionHandlers = {
  Execution_Start: (ctx: HandlerContext, i: I<'Execution_Start'>): HandlerResult => {
    const pins = {
      ingestion_version: i.pins.ingestion_version,
      content_hash: i.pins.content_hash as Digest,
      council_set_hash: i.pins.council_set_hash as Digest,
      environment_hash: i.pins.environment_hash as Digest,
    };
    return done({ ...ctx.state, execution: { ...freshLoop(ctx.state.execution), pins } });
  },

  Execution_LockPlan: (ctx: HandlerContext, i: I<'Execution_LockPlan'>): HandlerResult =>
    done({
      ...ctx.state,
      execution: { ...freshLoop(ctx.state.execution), plan_hash: i.plan_hash as Digest, work_item: i.work_item, loop_window_id: ctx.proposal.window_id },
    }),

  Execution_ReviewGate: (ctx: HandlerContext, i: I<'Execution_ReviewGate'>): HandlerResult =>
    done({ ...ctx.state, execution: { ...ctx.state.execution, result_hash: i.result_hash as Digest, approvals: [], rejections: [] } }),

  Execution_Approve: (ctx: HandlerContext, i: I<'Execution_Approve'>): HandlerResult => {
    const e = ctx.state.execution;
    const who = ctx.proposal.signer;
    if (e.result_hash !== i.result_hash) return refuse(`result ${i.result_hash} is not the result under review (${e.result_hash ?? 'none'})`);
    if (e.approvals.includes(who) || e.rejections.includes(who)) return refuse(`${who} has already reviewed this result`);
    const execution =
      i.verdict === 'approve' ? { ...e, approvals: [...e.approvals, who].sort() } : { ...e, rejections: [...e.rejections, who].sort() };
    return done({ ...ctx.state, execution });
  },

  Execution_Reverb: (ctx: HandlerContext, i: I<'Execution_Reverb'>): HandlerResult =>
    done({ ...ctx.state, execution: { ...ctx.state.execution, submission_hash: i.submission_hash as Digest } }),

  Execution_NextWindow: (ctx: HandlerContext): HandlerResult => {
    const e = ctx.state.execution;
    if (ctx.proposal.window_id === e.loop_window_id) return refuse(`the next loop needs a window other than ${e.loop_window_id}`, 'window_closed');
    return done({ ...ctx.state, execution: { ...freshLoop(e), loop: e.loop + 1 } });
  },
};
