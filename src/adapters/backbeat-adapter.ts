// BACKBEAT adapter (docs/integrations/backbeat.md): validates beat frames and turns the first frame of each
// (bar window, phase) into a Window_Record fact.
import { formatHlc, parseHlc } from '../core/hlc.ts';
import { tidalPressure } from '../core/window.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { validateContract } from './contract-schemas.ts';

export interface BeatFrame {
  readonly type: 'backbeat.beatframe.v1';
  readonly cluster_id: string;
  readonly beat_index: number;
  readonly downbeat: boolean;
  readonly phase: 'plan' | 'execute' | 'review';
  readonly hlc: string;
  readonly deadline_at: string;
  readonly tempo_bpm: number;
  readonly window_id: string;
}

export interface BackbeatOptions {
  readonly intervalMs?: number;
  /** Frames per request (1..500). */
  readonly batch?: number;
}

/** The Window_Record window_id for a phase of a bar. */
export const windowFactId = (f: Pick<BeatFrame, 'window_id' | 'phase'>): string => `backbeat:${f.window_id}:${f.phase}`;

const SEEN_KEPT = 64;

export class BackbeatAdapter implements Adapter {
  readonly system = 'backbeat' as const;
  readonly intervalMs: number;
  private cursor: number | null = null;
  private last: BeatFrame | null = null;
  /** First frames of windows not yet recorded, oldest first. */
  private pending: BeatFrame[] = [];
  private readonly seen: string[] = [];

  constructor(private readonly options: BackbeatOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Why a frame is unusable given the previous valid one, or null. */
  static problem(f: unknown, prev: BeatFrame | null): string[] {
    const check = validateContract('backbeat.beatframe.v1', f);
    if (!check.ok) return check.reasons;
    const frame = f as BeatFrame;
    const reasons: string[] = [];
    const at = parseHlc(frame.hlc);
    const deadline = Date.parse(frame.deadline_at);
    if (!at.ok) reasons.push(`hlc ${frame.hlc} is not an HLC`);
    else if (!(deadline > at.value.ms)) reasons.push(`deadline_at ${frame.deadline_at} is not after hlc ${frame.hlc}`);
    if (prev !== null) {
      if (frame.beat_index <= prev.beat_index) reasons.push(`beat_index ${frame.beat_index} does not increase (after ${prev.beat_index})`);
      else if (frame.beat_index === prev.beat_index + 1 && !frame.downbeat && frame.window_id !== prev.window_id) {
        reasons.push(`window_id changed from ${prev.window_id} to ${frame.window_id} without a downbeat`);
      }
    }
    return reasons;
  }

  async tick(ctx: AdapterContext): Promise<void> {
    if (this.cursor === null) {
      const latest = await ctx.request('/v1/beats/latest');
      if (!latest.ok) return;
      const beat = (latest.body as { beat_index?: unknown } | null)?.beat_index;
      if (typeof beat !== 'number') return ctx.invalid('backbeat.beatframe.v1', ['latest frame has no beat_index']);
      // Start one beat back so the current phase's window is recorded even though its first beat has passed.
      this.cursor = Math.max(-1, beat - 1);
    }
    const r = await ctx.request(`/v1/beats?after=${this.cursor}&limit=${this.options.batch ?? 200}`);
    if (!r.ok) return;
    const frames = (r.body as { frames?: unknown } | null)?.frames;
    if (!Array.isArray(frames)) return ctx.invalid('backbeat.beats.v1', ['frames is not an array']);
    for (const f of frames) {
      const reasons = BackbeatAdapter.problem(f, this.last);
      if (reasons.length > 0) {
        ctx.invalid('backbeat.beatframe.v1', reasons);
        continue;
      }
      const frame = f as BeatFrame;
      this.last = frame;
      this.cursor = frame.beat_index;
      const id = windowFactId(frame);
      if (this.seen.includes(id)) continue;
      this.seen.push(id);
      if (this.seen.length > SEEN_KEPT) this.seen.shift();
      this.pending.push(frame);
    }
    await this.recordPending(ctx);
  }

  private async recordPending(ctx: AdapterContext): Promise<void> {
    const recorded = new Set(ctx.state.execution.windows.map((w) => w.window_id));
    const keep: BeatFrame[] = [];
    for (const f of this.pending) {
      const id = windowFactId(f);
      const closes = Date.parse(f.deadline_at);
      if (recorded.has(id) || closes <= ctx.now) continue; // recorded already, or over before it could be used
      const opens = parseHlc(f.hlc);
      if (!opens.ok) continue;
      const r = await ctx.propose({
        transition: 'Window_Record',
        topic: 'window',
        evidencePath: `beat/${f.beat_index}`,
        inputs: {
          window_id: id,
          phase: f.phase,
          opens_at: formatHlc({ ms: opens.value.ms, logical: 0 }),
          closes_at: formatHlc({ ms: closes, logical: 0 }),
          beat_index: f.beat_index,
          pressure_permille: tidalPressure(ctx.state.execution.schedule, f.beat_index),
        },
      });
      if (r.kind === 'not_leader' || r.kind === 'gave_up' || r.kind === 'refused') keep.push(f);
    }
    this.pending = keep;
  }
}
