// Keeps the WorkloadModel's simulated time and the cluster's clock compatible.
//
// The leader stamps each entry max(its HLC, the proposal's hlc, Date.now()) and refuses a proposal whose hlc
// is more than 60 s ahead of its Date.now() (clock_drift). The model moves its own `now` forward by 20-1500 ms
// per proposal and, in EXECUTION, jumps to the next BACKBEAT window of a phase (20 s windows from the seed's
// epoch), and the guards judge windows, licenses and MCP freshness at the leader's stamp. Seed 1's 10,000
// proposals cover about 11.7 hours of simulated time, ~9.9 of them waiting for windows (about 650 execution
// loops). Replica clocks are only a lower bound on stamps and the drift limit caps how far a proposal may lead
// them, so on real clocks a run cannot finish faster than its simulated time: about 12 hours.
//
// So the cluster runs on a virtual wall clock (VirtualClock: Date.now() in every replica process, from the
// model's epoch at `rate` times real speed), and the model stays ahead of it, within the drift limit:
//  - before each next(), model.now is raised to at least LEAD_MIN_MS past the cluster clock, so the model
//    never decides in the cluster's past and the request's transit does not overtake its hlc;
//  - before each attempt, if the proposal's hlc leads the cluster clock by more than LEAD_BUDGET_MS (below the
//    60 s limit) the harness sleeps until it does not (the model jumped to a future window).
// With the model ahead, the leader's stamp is the proposal's hlc, i.e. the model's own time as in the offline
// generator, and the replica clocks only bound it. `rate` trades wall time against simulated time: a run takes
// at least (simulated span / rate), and each proposal costs at least rate x its latency of simulated time.
// Everything else in the replicas is real: processes, TCP, LevelDB, fsync, and Raft timers (no Date.now()).
// Because the model is moved forward by however much real time a proposal took, two runs of one seed make the
// same kinds of choices but not the same stamps, and end in different (each internally identical) hashes.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHlc } from '../core/hlc.ts';
import type { WorkloadModel } from '../workload/generator.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The replicas' default maximum clock drift is 60 s; stay well inside it. */
export const LEAD_BUDGET_MS = 45_000;
/** How far the model is kept ahead of the cluster clock: covers a request's round trip at high clock rates. */
export const LEAD_MIN_MS = 10_000;

export interface PacingStats {
  readonly rate: number;
  /** How often the harness held a proposal back, and for how long in total (real seconds). */
  readonly holds: number;
  readonly held_s: number;
  /** How often the model had to be moved forward to stay ahead of the cluster clock, and by how much in total (simulated seconds). */
  readonly model_pulled_forward: number;
  readonly pulled_forward_s: number;
}

export class Pacer {
  private holds = 0;
  private totalHeldMs = 0;
  private pulls = 0;
  private pulledMs = 0;

  constructor(readonly clock: VirtualClock) {}

  /** Before model.next(): the model's now is at least LEAD_MIN_MS ahead of the cluster clock. */
  syncModel(model: WorkloadModel): void {
    const floor = this.clock.now() + LEAD_MIN_MS;
    if (model.now >= floor) return;
    this.pulls++;
    this.pulledMs += floor - model.now;
    model.now = floor;
  }

  /** Before an attempt: waits until the proposal's hlc is within the lead budget of the cluster clock. */
  async holdBack(proposal: unknown): Promise<void> {
    const text = (proposal as { hlc?: unknown } | null)?.hlc;
    const hlc = typeof text === 'string' ? parseHlc(text) : null;
    if (hlc === null || !hlc.ok) return;
    const wait = this.clock.realMsUntil(hlc.value.ms - LEAD_BUDGET_MS);
    if (wait === 0) return;
    this.holds++;
    this.totalHeldMs += wait;
    await sleep(wait);
  }

  /** Real milliseconds spent holding proposals back so far. */
  get heldMs(): number {
    return this.totalHeldMs;
  }

  stats(): PacingStats {
    return { rate: this.clock.rate, holds: this.holds, held_s: round(this.totalHeldMs / 1000), model_pulled_forward: this.pulls, pulled_forward_s: round(this.pulledMs / 1000) };
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
