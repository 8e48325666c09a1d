// BOOT handlers: configuration and the license gate.
import { done, refuse, type HandlerContext, type HandlerResult } from './handler.ts';
import type { InputsByTransition } from '../../generated/statechart.ts';

export const bootHandlers = {
  Boot_ConfigOk: (ctx: HandlerContext, i: InputsByTransition['Boot_ConfigOk']): HandlerResult =>
    done({ ...ctx.state, boot: { ...ctx.state.boot, config_hash: i.config_hash as never } }),

  Boot_LicenseGrace: (ctx: HandlerContext): HandlerResult =>
    ctx.state.boot.license.verdict === 'valid'
      ? refuse('the license verdict is valid; complete the check with Boot_Licensed instead of entering grace')
      : done(ctx.state),

  Boot_Licensed: (ctx: HandlerContext): HandlerResult => done(ctx.state),
};
