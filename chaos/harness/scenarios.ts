// Chaos scenarios: client-level faults for the run's clients, and a seeded schedule of faults that are injected,
// held for a few seconds, healed, and followed by a quiet spell (so the cluster shows it recovers, not only that
// it survives). A scenario names the faults it draws from; `all` draws from every one, one at a time.
import { join } from 'node:path';
import type { Prng } from '../../src/core/prng.ts';
import type { AllFakes } from '../fakes/index.ts';
import type { LinkFaults, NetworkFaults } from '../network/link-faults.ts';
import type { ChaosReplicas } from './backend.ts';
import { NO_FAULTS, type ClientFaults } from './chaos-client.ts';
import { rollBackSnapshot, tearWalTail } from './disk-faults.ts';

export interface FaultContext {
  readonly replicas: ChaosReplicas;
  readonly network: NetworkFaults;
  readonly fakes: AllFakes;
  readonly rng: Prng;
  /** The replicas' `--snapshot-every`, so disk faults know when two snapshots exist. */
  readonly snapshotEvery: number;
  /** Every fault injected, for the report. */
  note(fault: string): void;
}

/** One kind of fault: `start` injects it (false: cannot apply yet, try later), `stop` heals it. */
export interface Fault {
  readonly name: string;
  start(ctx: FaultContext): Promise<boolean>;
  stop(ctx: FaultContext): Promise<void>;
}

export interface Scenario {
  readonly description: string;
  readonly clientFaults: ClientFaults;
  readonly faults: readonly string[];
  /** Seconds a fault is held, and the quiet spell after it (seeded, inclusive ranges). */
  readonly hold: readonly [number, number];
  readonly quiet: readonly [number, number];
}

const leaderOrNull = (ctx: FaultContext) => ctx.replicas.leader(5_000).catch(() => null);

async function followerOf(ctx: FaultContext): Promise<string | null> {
  const leader = await leaderOrNull(ctx);
  const followers = ctx.replicas.ids.filter((id) => id !== leader && ctx.replicas.alive(id));
  return leader === null || followers.length === 0 ? null : ctx.rng.pick(followers);
}

const dataDir = (ctx: FaultContext, id: string) => join(ctx.replicas.dir, id);

/** Only what the backend supports; the rest is said once in the report. */
function supported(ctx: FaultContext, f: LinkFaults): LinkFaults {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (ctx.network.supports.has(k as keyof LinkFaults)) out[k] = v;
  }
  return out as LinkFaults;
}

/** Fresh fault objects per run (they remember what they did until they heal it). */
export function makeFaults(): Record<string, Fault> {
  let killed: string | null = null;
  let paused: string | null = null;
  return {
    kill: {
      name: 'kill',
      async start(ctx) {
        const leader = await leaderOrNull(ctx);
        const up = ctx.replicas.ids.filter((id) => ctx.replicas.alive(id));
        killed = leader !== null && ctx.rng.chance(500) ? leader : ctx.rng.pick(up);
        await ctx.replicas.kill(killed);
        ctx.note(`kill -9 ${killed}${killed === leader ? ' (leader)' : ''}`);
        return true;
      },
      async stop(ctx) {
        if (killed === null) return;
        await ctx.replicas.start(killed);
        ctx.note(`restart ${killed}`);
        killed = null;
      },
    },
    pause: {
      name: 'pause',
      async start(ctx) {
        paused = await leaderOrNull(ctx);
        if (paused === null) return false;
        ctx.replicas.pause(paused);
        ctx.note(`SIGSTOP ${paused} (leader)`);
        return true;
      },
      async stop(ctx) {
        if (paused === null) return;
        ctx.replicas.resume(paused);
        ctx.note(`SIGCONT ${paused}`);
        paused = null;
      },
    },
    partition: {
      name: 'partition',
      async start(ctx) {
        if (!ctx.network.supports.has('cut')) return false;
        const ids = ctx.replicas.ids;
        const leader = await leaderOrNull(ctx);
        const kinds = ['majority/minority', 'isolated leader', 'asymmetric: leader cannot send', 'asymmetric: follower cannot send'] as const;
        const kind = leader === null ? kinds[0] : ctx.rng.pick([...kinds]);
        const cut = async (a: string, b: string) => ctx.network.set(a, b, { cut: true });
        if (kind === 'majority/minority') {
          const pool = [...ids];
          const minority = new Set<string>();
          while (minority.size < Math.floor(ids.length / 2)) minority.add(pool.splice(ctx.rng.int(0, pool.length - 1), 1)[0]!);
          for (const a of ids) for (const b of ids) if (a !== b && minority.has(a) !== minority.has(b)) await cut(a, b);
          ctx.note(`partition {${[...minority].join(',')}} | {${ids.filter((i) => !minority.has(i)).join(',')}}`);
        } else if (kind === 'isolated leader') {
          for (const b of ids) {
            if (b === leader) continue;
            await cut(leader!, b);
            await cut(b, leader!);
          }
          ctx.note(`partition: leader ${leader} isolated`);
        } else if (kind === 'asymmetric: leader cannot send') {
          for (const b of ids) if (b !== leader) await cut(leader!, b);
          ctx.note(`partition: ${leader} (leader) → others cut, others → ${leader} open`);
        } else {
          const f = ctx.rng.pick(ids.filter((i) => i !== leader));
          for (const b of ids) if (b !== f) await cut(f, b);
          ctx.note(`partition: ${f} → others cut, others → ${f} open`);
        }
        return true;
      },
      async stop(ctx) {
        await ctx.network.healAll();
        ctx.note('partition healed');
      },
    },
    lossy: {
      name: 'lossy',
      async start(ctx) {
        const ids = ctx.replicas.ids;
        const slow = ctx.rng.pick(ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => `${a}->${b}`)));
        for (const a of ids) {
          for (const b of ids) {
            if (a === b) continue;
            const f: LinkFaults = {
              delay_ms: ctx.rng.int(5, 40),
              jitter_ms: ctx.rng.int(0, 10),
              drop_permille: ctx.rng.int(20, 150),
              duplicate_permille: ctx.rng.int(10, 50),
              reorder_permille: ctx.rng.int(10, 80),
              ...(slow === `${a}->${b}` ? { bytes_per_second: 32_768 } : {}),
            };
            await ctx.network.set(a, b, supported(ctx, f));
          }
        }
        ctx.note(`lossy links: 5-40 ms delay, 2-15% drop, 1-5% duplicate, 1-8% reorder; ${slow} at 32 KiB/s`);
        return true;
      },
      async stop(ctx) {
        await ctx.network.healAll();
        ctx.note('links healthy');
      },
    },
    'torn-wal': {
      name: 'torn-wal',
      async start(ctx) {
        const victim = await followerOf(ctx);
        if (victim === null) return false;
        await ctx.replicas.kill(victim);
        const torn = await tearWalTail(dataDir(ctx, victim));
        await ctx.replicas.start(victim);
        ctx.note(`kill -9 ${victim}, tear its WAL tail (index ${torn}), restart`);
        return true;
      },
      stop: async () => {},
    },
    'snapshot-rollback': {
      name: 'snapshot-rollback',
      async start(ctx) {
        const victim = await followerOf(ctx);
        if (victim === null) return false;
        const h = (await ctx.replicas.health(victim)) as { consensus: { snapshot_index?: number } } | null;
        // Two snapshots exist once a replica has followed from the start past two snapshot intervals.
        if ((h?.consensus.snapshot_index ?? 0) < 2 * ctx.snapshotEvery) return false;
        await ctx.replicas.kill(victim);
        const r = await rollBackSnapshot(dataDir(ctx, victim));
        await ctx.replicas.start(victim);
        ctx.note(r === null ? `kill -9 ${victim}: only one snapshot, restarted as is` : `kill -9 ${victim}, corrupt its newest snapshot ${r.from} (falls back to ${r.to}), restart`);
        return true;
      },
      stop: async () => {},
    },
    license: {
      name: 'license',
      async start(ctx) {
        const phases = [{ latency_ms: 3_000 }, { deny: true }, { down: true }];
        const c = ctx.rng.pick(phases);
        await ctx.fakes.fakes.kaching.control(c);
        ctx.note(`kaching ${JSON.stringify(c)}`);
        return true;
      },
      async stop(ctx) {
        await ctx.fakes.fakes.kaching.control({ latency_ms: 0, deny: false, down: false });
        ctx.note('kaching healthy');
      },
    },
    'mcp-flap': {
      name: 'mcp-flap',
      async start(ctx) {
        await ctx.fakes.fakes.mcp.control({ flap: { period_ms: 1_000 + ctx.rng.int(0, 2_000), down_ms: 500 } });
        ctx.note('mcp flap on');
        return true;
      },
      async stop(ctx) {
        await ctx.fakes.fakes.mcp.control({ flap: null });
        ctx.note('mcp flap off');
      },
    },
    capacity: {
      name: 'capacity',
      async start(ctx) {
        await ctx.fakes.fakes.environment.control({ churn: { period_ms: 4_000, low_permille: 0 } });
        ctx.note('environment churn on');
        return true;
      },
      async stop(ctx) {
        await ctx.fakes.fakes.environment.control({ churn: null });
        ctx.note('environment churn off');
      },
    },
  };
}

const CLIENT_FAULTS: ClientFaults = { duplicatePermille: 50, reorderPermille: 30, dropPermille: 30 };

const one = (description: string, fault: string, hold: [number, number] = [2, 6], quiet: [number, number] = [2, 6]): Scenario => ({ description, clientFaults: NO_FAULTS, faults: [fault], hold, quiet });

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  client: { description: 'clients duplicate, reorder and drop 3-5% of proposals', clientFaults: CLIENT_FAULTS, faults: [], hold: [0, 0], quiet: [0, 0] },
  kill: one('kill -9 and restart random replicas, the leader half the time', 'kill'),
  pause: one('SIGSTOP the leader for 2-6 s, then SIGCONT', 'pause'),
  partition: one('partitions: majority/minority, isolated leader, asymmetric (one direction cut)', 'partition'),
  lossy: one('every link delays, drops, duplicates and reorders frames; one is slow', 'lossy', [4, 10]),
  'torn-wal': one('kill a follower, tear its newest WAL record, restart it', 'torn-wal', [1, 1], [3, 8]),
  'snapshot-rollback': one('kill a follower, corrupt its newest snapshot so it falls back to the older one, restart', 'snapshot-rollback', [1, 1], [3, 8]),
  license: one('KACHING slow, denying or down for 8-20 s (grace, then hard stop of external calls)', 'license', [8, 20], [10, 20]),
  'mcp-flap': one('the MCP registry flaps faster than the adapter hysteresis', 'mcp-flap', [5, 15], [10, 20]),
  capacity: one('environment capacity churns between full and empty', 'capacity', [5, 15], [5, 15]),
  all: {
    description: 'client faults throughout, and every fault above one at a time, with quiet spells so work progresses',
    clientFaults: CLIENT_FAULTS,
    faults: ['kill', 'pause', 'partition', 'lossy', 'torn-wal', 'snapshot-rollback', 'license', 'mcp-flap', 'capacity'],
    hold: [2, 8],
    quiet: [3, 10],
  },
};

/** Runs a scenario's schedule: called once a second; the first fault comes at second 3 so short runs see one. */
export class FaultSchedule {
  private readonly faults = makeFaults();
  private active: { fault: Fault; until: number } | null = null;
  private nextAt = 3;
  /** Faults started so far. */
  injected = 0;

  constructor(private readonly scenario: Scenario) {}

  async step(ctx: FaultContext, second: number): Promise<void> {
    if (this.active !== null) {
      if (second < this.active.until) return;
      await this.active.fault.stop(ctx);
      this.active = null;
      this.nextAt = second + ctx.rng.int(this.scenario.quiet[0], this.scenario.quiet[1]);
      return;
    }
    if (second < this.nextAt || this.scenario.faults.length === 0) return;
    const fault = this.faults[ctx.rng.pick([...this.scenario.faults])]!;
    if (!(await fault.start(ctx))) return;
    this.injected++;
    this.active = { fault, until: second + ctx.rng.int(this.scenario.hold[0], this.scenario.hold[1]) };
  }

  /** Heals the active fault and anything a crash of the harness itself might have left half done. */
  async heal(ctx: FaultContext): Promise<void> {
    if (this.active !== null) await this.active.fault.stop(ctx);
    this.active = null;
    await ctx.network.healAll();
    for (const id of ctx.replicas.ids) {
      ctx.replicas.resume(id);
      if (!ctx.replicas.alive(id)) await ctx.replicas.start(id);
    }
    await Promise.all(Object.values(ctx.fakes.fakes).map((f) => f.reset()));
  }
}
