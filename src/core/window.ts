// BACKBEAT/tidal windows: pure questions over recorded window facts and the schedule (`window.isOpen`).
import type { WindowClass } from '../generated/statechart.ts';
import type { ExecutionSection, WindowFact, WindowSchedule } from './state.ts';

/** Does the schedule let a window of `phase` open transitions of class `cls`? */
export function phaseOpens(schedule: WindowSchedule, phase: WindowFact['phase'], cls: WindowClass): boolean {
  return schedule.phases[phase].includes(cls);
}

function covers(w: WindowFact, atMs: number): boolean {
  return w.opens_at_ms <= atMs && atMs < w.closes_at_ms;
}

/** `window.isOpen(transitionClass, hlc)`: some recorded window opens `cls` at `atMs`. */
export function isOpen(execution: ExecutionSection, cls: WindowClass, atMs: number): boolean {
  return execution.windows.some((w) => covers(w, atMs) && phaseOpens(execution.schedule, w.phase, cls));
}

export type WindowCheck = { ok: true; window: WindowFact; reasons: string[] } | { ok: false; reasons: string[] };

/** The named window must exist, be open at `atMs` (half-open [opens_at, closes_at)) and open `cls`. */
export function checkNamedWindow(execution: ExecutionSection, cls: WindowClass, windowId: string | null, atMs: number): WindowCheck {
  if (windowId === null) return { ok: false, reasons: [`window_id is required for time-gated class ${cls}`] };
  const w = execution.windows.find((x) => x.window_id === windowId);
  if (w === undefined) return { ok: false, reasons: [`window ${windowId} is not a recorded window`] };
  if (!covers(w, atMs)) return { ok: false, reasons: [`window ${windowId} (${w.phase}) is open [${w.opens_at}, ${w.closes_at}), not at the stamp`] };
  if (!phaseOpens(execution.schedule, w.phase, cls)) {
    return { ok: false, reasons: [`window ${windowId} is a ${w.phase} window; schedule v${execution.schedule.version} does not open class ${cls} in it`] };
  }
  return { ok: true, window: w, reasons: [`window ${windowId} (${w.phase}) opens ${cls} until ${w.closes_at}`] };
}

/**
 * Tidal pressure in permille for a beat: a triangle wave of the schedule's amplitude, integer only.
 * Clients scale retry backoff by it (higher pressure: back off longer).
 */
export function tidalPressure(schedule: WindowSchedule, beatIndex: number): number {
  const t = schedule.tidal;
  if (t === null) return 0;
  const pos = (beatIndex + t.phase_offset_beats) % t.period_beats;
  const distance = Math.abs(2 * pos - t.period_beats);
  return Math.floor((t.amplitude_permille * (t.period_beats - distance)) / t.period_beats);
}
