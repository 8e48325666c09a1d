// BACKBEAT/tidal window guard: a time-gated transition needs its window_id to name a window open for its class.
import { checkNamedWindow } from '../window.ts';
import type { Guard } from './guard.ts';

export const windowGuard: Guard = (ctx) => {
  const cls = ctx.spec.window_class;
  if (cls === null) return { ok: true, reasons: ['transition is not time-gated'] };
  const check = checkNamedWindow(ctx.state.execution, cls, ctx.proposal.window_id, ctx.stamp.ms);
  return check.ok ? { ok: true, reasons: check.reasons } : { ok: false, code: 'window_closed', reasons: check.reasons };
};
