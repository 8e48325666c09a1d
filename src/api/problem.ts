// Error bodies: every non-2xx answer is {reason, failing_guard, reasons[]}, its status taken from the ReasonCode table.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { httpStatusOf, type ReasonCode } from '../core/reason-codes.ts';

export function problem(c: Context, code: ReasonCode, reasons: readonly string[], extra: Record<string, unknown> = {}): Response {
  if (code === 'unavailable') c.header('Retry-After', '1');
  return c.json({ reason: code, failing_guard: null, reasons, ...extra }, httpStatusOf(code) as ContentfulStatusCode);
}
