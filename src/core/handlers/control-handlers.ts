// CONTROL handlers: pause, recovery and degraded mode record why; the statechart moves the configuration.
import type { InputsByTransition } from '../../generated/statechart.ts';
import { done, type HandlerContext, type HandlerResult } from './handler.ts';

type Reasoned = { readonly reason: string };

const record = (ctx: HandlerContext, i: Reasoned): HandlerResult => done({ ...ctx.state, control: { ...ctx.state.control, reason: i.reason } });

export const controlHandlers = {
  Control_Pause: (ctx: HandlerContext, i: InputsByTransition['Control_Pause']): HandlerResult => record(ctx, i),
  Control_Resume: (ctx: HandlerContext, i: InputsByTransition['Control_Resume']): HandlerResult => record(ctx, i),
  Control_QuorumLost: (ctx: HandlerContext, i: InputsByTransition['Control_QuorumLost']): HandlerResult => record(ctx, i),
  Control_Recovered: (ctx: HandlerContext, i: InputsByTransition['Control_Recovered']): HandlerResult => record(ctx, i),
  Control_Degrade: (ctx: HandlerContext, i: InputsByTransition['Control_Degrade']): HandlerResult => record(ctx, i),
  Control_Restore: (ctx: HandlerContext, i: InputsByTransition['Control_Restore']): HandlerResult => record(ctx, i),
  Control_Terminate: (ctx: HandlerContext, i: InputsByTransition['Control_Terminate']): HandlerResult => record(ctx, i),
};
