// BACKBEAT fake (docs/integrations/backbeat.md): beats derived from a clock, status claims and bar reports.
import {
  fail,
  isBool,
  isInt,
  requireMessage,
  startFakeServer,
  type CommonControls,
  type CommonOptions,
  type FakeResponse,
  type RunningFake,
} from './fake-server.ts';
import { beatChosen, beatFrame, checkSchedule, corruptFrame, currentBeat, windowIdOfBar, type BeatSchedule, type Phase } from './backbeat-frames.ts';

export interface BackbeatFakeOptions extends CommonOptions {
  cluster_id?: string;
  /** Fixed for the fake's life (default 2.0: a beat every 30 s). */
  tempo_bpm?: number;
  bar_beats?: number;
  phase_beats?: Record<Phase, number>;
  /** When beat 0 fell; default the start time. */
  epoch_ms?: number;
}

export interface BackbeatExtraControls {
  stall: boolean;
  malformed_permille: number;
  skip_permille: number;
}

export interface BackbeatControls extends CommonControls, BackbeatExtraControls {}

interface StatusClaim {
  agent_id: string;
  state: string;
}

const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 100;

export async function startBackbeatFake(options: BackbeatFakeOptions = {}): Promise<RunningFake<BackbeatControls>> {
  const now = options.now ?? Date.now;
  const schedule: BeatSchedule = {
    seed: options.seed ?? 1,
    cluster_id: options.cluster_id ?? 'demo',
    tempo_bpm: options.tempo_bpm ?? 2.0,
    bar_beats: options.bar_beats ?? 120,
    phase_beats: options.phase_beats ?? { plan: 40, execute: 40, review: 40 },
    epoch_ms: options.epoch_ms ?? Math.floor(now()),
  };
  checkSchedule(schedule);

  let skipPermille = 0;
  let malformedPermille = 0;
  // Beats that fell while stalled are never published, so history stays immutable: [from, to] inclusive.
  const lost: Array<[number, number]> = [];
  let stalledAfter: number | null = null;
  let claims = new Map<string, StatusClaim[]>();
  const barOfWindow = new Map<string, number>();
  let barsIndexed = 0;

  const isLost = (i: number): boolean => lost.some(([a, b]) => i >= a && i <= b);
  const latestPublished = (): number => stalledAfter ?? currentBeat(schedule, now());
  const visible = (i: number): boolean => !isLost(i) && !beatChosen(schedule, 'skip', i, skipPermille);
  const render = (i: number): Record<string, unknown> => {
    const frame = beatFrame(schedule, i);
    return beatChosen(schedule, 'malformed', i, malformedPermille) ? corruptFrame(schedule, frame) : { ...frame };
  };

  /** The bar a window_id belongs to, among the bars that have begun. */
  function barOf(windowId: string): number | undefined {
    const latest = latestPublished();
    const bars = latest < 0 ? 0 : Math.floor(latest / schedule.bar_beats) + 1;
    for (; barsIndexed < bars; barsIndexed++) barOfWindow.set(windowIdOfBar(schedule, barsIndexed), barsIndexed);
    return barOfWindow.get(windowId);
  }

  function listBeats(query: URLSearchParams): FakeResponse {
    const after = intParam(query, 'after', -1, -1, Number.MAX_SAFE_INTEGER);
    const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const latest = latestPublished();
    const frames: Record<string, unknown>[] = [];
    for (let i = after + 1; i <= latest && frames.length < limit; i++) {
      const gap = lost.find(([a, b]) => i >= a && i <= b);
      if (gap !== undefined) i = gap[1];
      else if (visible(i)) frames.push(render(i));
    }
    return { status: 200, body: { type: 'backbeat.beats.v1', frames } };
  }

  function latestBeat(): FakeResponse {
    for (let i = latestPublished(); i >= 0; i--) {
      const gap = lost.find(([a, b]) => i >= a && i <= b);
      if (gap !== undefined) i = gap[0];
      else if (visible(i)) return { status: 200, body: render(i) };
    }
    fail(404, 'no_beats', 'no beat has been published yet');
  }

  function postClaim(body: unknown): FakeResponse {
    requireMessage('backbeat.statusclaim.v1', body);
    const claim = body as StatusClaim & { window_id: string };
    if (barOf(claim.window_id) === undefined) fail(404, 'unknown_window', `no bar has window_id ${claim.window_id}`);
    const list = claims.get(claim.window_id) ?? [];
    list.push({ agent_id: claim.agent_id, state: claim.state });
    claims.set(claim.window_id, list);
    return { status: 202 };
  }

  function barReport(windowId: string): FakeResponse {
    const bar = barOf(windowId);
    if (bar === undefined) fail(404, 'unknown_window', `no bar has window_id ${windowId}`);
    const list = claims.get(windowId) ?? [];
    const latestByAgent = new Map<string, string>();
    for (const c of list) latestByAgent.set(c.agent_id, c.state);
    const by_state: Record<string, number> = {};
    for (const state of latestByAgent.values()) by_state[state] = (by_state[state] ?? 0) + 1;
    return {
      status: 200,
      body: {
        type: 'backbeat.barreport.v1',
        window_id: windowId,
        first_beat: bar * schedule.bar_beats,
        last_beat: (bar + 1) * schedule.bar_beats - 1,
        claims: list.length,
        agents: [...latestByAgent.keys()].sort(),
        by_state,
      },
    };
  }

  return startFakeServer<BackbeatExtraControls>(
    {
      kind: 'backbeat',
      system: 'backbeat',
      controls: {
        defaults: { stall: false, malformed_permille: 0, skip_permille: 0 },
        checks: { stall: isBool, malformed_permille: isInt(0, 1000), skip_permille: isInt(0, 1000) },
      },
      onControl: (prev, next) => {
        skipPermille = next.skip_permille;
        malformedPermille = next.malformed_permille;
        if (!prev.stall && next.stall) stalledAfter = currentBeat(schedule, now());
        if (prev.stall && !next.stall && stalledAfter !== null) {
          const resumedAt = currentBeat(schedule, now());
          if (resumedAt > stalledAfter) lost.push([stalledAfter + 1, resumedAt]);
          stalledAfter = null;
        }
      },
      // The epoch and the lost beats stay: beats are time, and a published history never changes.
      reset: () => {
        claims = new Map();
      },
      routes: [
        { method: 'GET', pattern: '/v1/beats', handler: (req) => listBeats(req.query) },
        { method: 'GET', pattern: '/v1/beats/latest', handler: () => latestBeat() },
        { method: 'POST', pattern: '/v1/status-claims', handler: (req) => postClaim(req.body) },
        { method: 'GET', pattern: '/v1/bars/:window_id/report', handler: (req) => barReport(req.params.window_id!) },
      ],
    },
    options,
  );
}

function intParam(query: URLSearchParams, name: string, fallback: number, lo: number, hi: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const n = /^-?[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < lo || n > hi) fail(400, 'invalid_request', `${name} must be an integer in ${lo}..${hi}, got ${JSON.stringify(text)}`);
  return n;
}
