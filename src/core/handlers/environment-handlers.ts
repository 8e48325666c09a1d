// Environment handlers: ALLOCATE -> PROVISION -> HEALTHCHECK -> READY|DEGRADED, and DEPROVISION.
import type { InputsByTransition } from '../../generated/statechart.ts';
import type { Digest } from '../digest.ts';
import { done, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

export const environmentHandlers = {
  Environment_CapacityOk: (ctx: HandlerContext, i: I<'Environment_CapacityOk'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, allocations: i.allocations.map((a) => ({ ...a })) } }),

  Environment_Installed: (ctx: HandlerContext, i: I<'Environment_Installed'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, assets: [...i.assets] } }),

  Environment_Green: (ctx: HandlerContext, i: I<'Environment_Green'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, health_hash: i.health_hash as Digest, reason: null } }),

  Environment_Amber: (ctx: HandlerContext, i: I<'Environment_Amber'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, health_hash: i.health_hash as Digest, reason: i.reason } }),

  Environment_Recheck: (ctx: HandlerContext, i: I<'Environment_Recheck'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, reason: i.reason } }),

  Environment_Deprovision: (ctx: HandlerContext, i: I<'Environment_Deprovision'>): HandlerResult =>
    done({ ...ctx.state, environment: { ...ctx.state.environment, allocations: [], assets: [], health_hash: null, reason: i.reason } }),
};
