// BACKBEAT beat frames as a pure function of (schedule, beat index): no frame is stored, every one is recomputed.
import { sha256Hex } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { keyedPermille, rfc3339 } from './fake-server.ts';

export type Phase = 'plan' | 'execute' | 'review';
export const PHASES: readonly Phase[] = ['plan', 'execute', 'review'];

export interface BeatSchedule {
  readonly seed: number;
  readonly cluster_id: string;
  readonly tempo_bpm: number;
  readonly bar_beats: number;
  readonly phase_beats: Readonly<Record<Phase, number>>;
  /** When beat 0 fell (ms since the Unix epoch). */
  readonly epoch_ms: number;
}

export interface BeatFrame {
  type: 'backbeat.beatframe.v1';
  cluster_id: string;
  beat_index: number;
  downbeat: boolean;
  phase: Phase;
  hlc: string;
  deadline_at: string;
  tempo_bpm: number;
  window_id: string;
}

/** Throws on a schedule no BACKBEAT could run (a programmer error when starting the fake). */
export function checkSchedule(s: BeatSchedule): void {
  if (!(s.tempo_bpm > 0 && s.tempo_bpm <= 60_000)) throw new RangeError(`tempo_bpm must be in (0, 60000], got ${s.tempo_bpm}`);
  if (!Number.isInteger(s.bar_beats) || s.bar_beats < 3) throw new RangeError(`bar_beats must be an integer >= 3, got ${s.bar_beats}`);
  for (const p of PHASES) {
    const n = s.phase_beats[p];
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`phase_beats.${p} must be an integer >= 1, got ${n}`);
  }
  const sum = PHASES.reduce((a, p) => a + s.phase_beats[p], 0);
  if (sum !== s.bar_beats) throw new RangeError(`phase_beats must sum to bar_beats (${sum} != ${s.bar_beats})`);
  if (!Number.isInteger(s.epoch_ms) || s.epoch_ms < 0) throw new RangeError(`epoch_ms must be a non-negative integer, got ${s.epoch_ms}`);
}

/** When beat `i` falls, in whole ms (tempo need not divide a minute evenly). */
export function beatTimeMs(s: BeatSchedule, i: number): number {
  return s.epoch_ms + Math.round((i * 60_000) / s.tempo_bpm);
}

/** The newest beat that has fallen at `nowMs` (-1 before the epoch). */
export function currentBeat(s: BeatSchedule, nowMs: number): number {
  if (nowMs < s.epoch_ms) return -1;
  let i = Math.floor(((nowMs - s.epoch_ms) * s.tempo_bpm) / 60_000);
  // Floating point may land one off near a boundary; beatTimeMs is the definition.
  while (i > 0 && beatTimeMs(s, i) > nowMs) i--;
  while (beatTimeMs(s, i + 1) <= nowMs) i++;
  return i;
}

export function windowIdOfBar(s: BeatSchedule, bar: number): string {
  return sha256Hex(`${s.seed}|${s.cluster_id}|bar|${bar}`).slice(0, 32);
}

export function beatFrame(s: BeatSchedule, i: number): BeatFrame {
  const bar = Math.floor(i / s.bar_beats);
  const pos = i - bar * s.bar_beats;
  let end = 0;
  let phase: Phase = 'plan';
  for (const p of PHASES) {
    end += s.phase_beats[p];
    phase = p;
    if (pos < end) break;
  }
  return {
    type: 'backbeat.beatframe.v1',
    cluster_id: s.cluster_id,
    beat_index: i,
    downbeat: pos === 0,
    phase,
    hlc: formatHlc({ ms: beatTimeMs(s, i), logical: 0 }),
    // The phase ends when the first beat of the next phase falls.
    deadline_at: rfc3339(beatTimeMs(s, bar * s.bar_beats + end)),
    tempo_bpm: s.tempo_bpm,
    window_id: windowIdOfBar(s, bar),
  };
}

/** Seeded per beat, not per request, so every reader of the fake sees the same frames skipped or corrupted. */
export function beatChosen(s: BeatSchedule, purpose: 'skip' | 'malformed', i: number, permille: number): boolean {
  return permille > 0 && keyedPermille(`${s.seed}|${s.cluster_id}|${purpose}|${i}`) < permille;
}

/** A corrupted copy of a frame; each variant breaks backbeat.beatframe.v1 in a different way. */
export function corruptFrame(s: BeatSchedule, frame: BeatFrame): Record<string, unknown> {
  const bad: Record<string, unknown> = { ...frame };
  switch (keyedPermille(`${s.seed}|${s.cluster_id}|corruption|${frame.beat_index}`) % 5) {
    case 0:
      bad.window_id = frame.window_id.slice(0, 31);
      break;
    case 1:
      delete bad.phase;
      break;
    case 2:
      bad.hlc = rfc3339(beatTimeMs(s, frame.beat_index));
      break;
    case 3:
      bad.beat_index = String(frame.beat_index);
      break;
    default:
      delete bad.deadline_at;
  }
  return bad;
}
