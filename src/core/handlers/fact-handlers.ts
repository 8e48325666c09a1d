// Fact handlers: license verdicts, window facts and MCP health, proposed by adapters out of band.
import type { InputsByTransition } from '../../generated/statechart.ts';
import type { Digest } from '../digest.ts';
import { parseHlc } from '../hlc.ts';
import { MAX_RECENT_WINDOWS, type WindowFact } from '../state.ts';
import { done, newest, refuse, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

export const factHandlers = {
  License_RecordVerdict: (ctx: HandlerContext, i: I<'License_RecordVerdict'>): HandlerResult => {
    if (!parseHlc(i.valid_until).ok) return refuse(`valid_until ${i.valid_until} is not a valid HLC`);
    const prev = ctx.state.boot.license;
    const license = {
      verdict: i.verdict,
      verdict_hash: i.verdict_hash as Digest,
      recorded_at: ctx.stampText,
      // Grace runs from the last valid verdict, so a denial or an outage does not reset it.
      valid_until: i.verdict === 'valid' ? i.valid_until : prev.valid_until,
      grace_ms: i.grace_ms,
    };
    return done({ ...ctx.state, boot: { ...ctx.state.boot, license } });
  },

  Window_Record: (ctx: HandlerContext, i: I<'Window_Record'>): HandlerResult => {
    const opens = parseHlc(i.opens_at);
    const closes = parseHlc(i.closes_at);
    if (!opens.ok || !closes.ok) return refuse('opens_at and closes_at must be valid HLCs');
    if (closes.value.ms <= opens.value.ms) return refuse(`window ${i.window_id} closes (${i.closes_at}) before it opens (${i.opens_at})`);
    const e = ctx.state.execution;
    if (e.windows.some((w) => w.window_id === i.window_id)) return refuse(`window ${i.window_id} is already recorded`);
    const fact: WindowFact = {
      window_id: i.window_id,
      phase: i.phase,
      opens_at: i.opens_at,
      closes_at: i.closes_at,
      opens_at_ms: opens.value.ms,
      closes_at_ms: closes.value.ms,
      beat_index: i.beat_index ?? null,
      pressure_permille: i.pressure_permille ?? 0,
    };
    return done({ ...ctx.state, execution: { ...e, windows: newest([...e.windows, fact], MAX_RECENT_WINDOWS) } });
  },

  Mcp_RecordHealth: (ctx: HandlerContext, i: I<'Mcp_RecordHealth'>): HandlerResult => {
    const mismatched = i.pins.filter((p) => p.wanted !== p.actual).map((p) => `${p.tool} wants ${p.wanted}, has ${p.actual}`);
    const mcp = {
      registry: i.registry,
      reachable: i.reachable,
      pins_ok: mismatched.length === 0,
      mismatched,
      probe_hash: i.probe_hash as Digest,
      recorded_at: ctx.stampText,
    };
    return done({ ...ctx.state, council: { ...ctx.state.council, mcp } });
  },
};
