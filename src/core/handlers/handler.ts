// The handler contract: a transition's own effect on its section(s); the reducer does configuration, epochs and HLC.
import type { ReasonCode } from '../reason-codes.ts';
import type { StateDocument } from '../state.ts';
import type { GuardContext } from '../guards/guard.ts';

export type HandlerContext = GuardContext;

export type HandlerResult = { ok: true; state: StateDocument } | { ok: false; code: ReasonCode; reasons: string[] };

export function done(state: StateDocument): HandlerResult {
  return { ok: true, state };
}

/** A transition whose own precondition on the state does not hold. */
export function refuse(reason: string, code: ReasonCode = 'precondition_failed'): HandlerResult {
  return { ok: false, code, reasons: [reason] };
}

/** Keeps the newest `max` items of a list. */
export function newest<T>(items: readonly T[], max: number): T[] {
  return items.length <= max ? [...items] : items.slice(items.length - max);
}
