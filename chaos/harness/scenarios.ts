// Chaos scenarios: client-level faults for the run's clients, and a seeded fault step called once a second.
import type { Prng } from '../../src/core/prng.ts';
import type { LocalCluster } from '../../src/node/cluster-process.ts';
import type { AllFakes } from '../fakes/index.ts';
import { NO_FAULTS, type ClientFaults } from './chaos-client.ts';

export interface FaultContext {
  readonly cluster: LocalCluster;
  readonly fakes: AllFakes;
  readonly rng: Prng;
  /** Replicas killed or paused by the scenario, with the second they come back. */
  readonly down: Map<string, number>;
  readonly paused: Map<string, number>;
  /** Every fault injected, for the report. */
  note(fault: string): void;
}

export interface Scenario {
  readonly description: string;
  readonly clientFaults: ClientFaults;
  /** Called once a second while the workload runs; injects or heals faults. */
  step(ctx: FaultContext, second: number): Promise<void>;
  /** Undo everything the scenario may have left behind. */
  heal(ctx: FaultContext): Promise<void>;
}

async function killSome(ctx: FaultContext, second: number): Promise<void> {
  for (const [id, until] of ctx.down) {
    if (second >= until) {
      ctx.down.delete(id);
      await ctx.cluster.start(id);
      ctx.note(`restart ${id}`);
    }
  }
  // At most a minority down at once, so the cluster can keep committing.
  const minority = Math.floor(ctx.cluster.ids.length / 2);
  // The first kill comes at second 3, so even a short run exercises the fault.
  if (ctx.down.size < minority && (second === 3 || ctx.rng.chance(150))) {
    const leader = await ctx.cluster.leader(5_000).catch(() => null);
    const up = ctx.cluster.ids.filter((id) => !ctx.down.has(id));
    const victim = leader !== null && ctx.rng.chance(500) ? leader : ctx.rng.pick(up);
    await ctx.cluster.kill(victim);
    ctx.down.set(victim, second + ctx.rng.int(2, 6));
    ctx.note(`kill -9 ${victim}${victim === leader ? ' (leader)' : ''}`);
  }
}

async function pauseLeader(ctx: FaultContext, second: number): Promise<void> {
  for (const [id, until] of ctx.paused) {
    if (second >= until) {
      ctx.paused.delete(id);
      ctx.cluster.resume(id);
      ctx.note(`SIGCONT ${id}`);
    }
  }
  if (ctx.paused.size === 0 && (second === 5 || ctx.rng.chance(120))) {
    const leader = await ctx.cluster.leader(5_000).catch(() => null);
    if (leader === null) return;
    ctx.cluster.pause(leader);
    ctx.paused.set(leader, second + ctx.rng.int(2, 5));
    ctx.note(`SIGSTOP ${leader} (leader)`);
  }
}

async function licenseTrouble(ctx: FaultContext, second: number): Promise<void> {
  const k = ctx.fakes.fakes.kaching;
  const phase = Math.floor(second / 10) % 4;
  if (second % 10 !== 0) return;
  const controls = [{ latency_ms: 0, deny: false, down: false }, { latency_ms: 3_000 }, { latency_ms: 0, deny: true }, { deny: false, down: true }][phase]!;
  await k.control(controls);
  ctx.note(`kaching ${JSON.stringify(controls)}`);
}

async function mcpFlap(ctx: FaultContext, second: number): Promise<void> {
  if (second % 15 !== 0) return;
  const on = Math.floor(second / 15) % 2 === 0;
  await ctx.fakes.fakes.mcp.control({ flap: on ? { period_ms: 1_000 + ctx.rng.int(0, 2_000), down_ms: 500 } : null });
  ctx.note(`mcp flap ${on ? 'on' : 'off'}`);
}

async function capacityChurn(ctx: FaultContext, second: number): Promise<void> {
  if (second % 20 !== 0) return;
  const on = Math.floor(second / 20) % 2 === 0;
  await ctx.fakes.fakes.environment.control({ churn: on ? { period_ms: 4_000, low_permille: 0 } : null });
  ctx.note(`environment churn ${on ? 'on' : 'off'}`);
}

async function healAll(ctx: FaultContext): Promise<void> {
  for (const id of ctx.paused.keys()) ctx.cluster.resume(id);
  ctx.paused.clear();
  for (const id of ctx.down.keys()) await ctx.cluster.start(id);
  ctx.down.clear();
  await Promise.all(Object.values(ctx.fakes.fakes).map((f) => f.reset()));
}

const CLIENT_FAULTS: ClientFaults = { duplicatePermille: 50, reorderPermille: 30, dropPermille: 30 };

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  client: { description: 'clients duplicate, reorder and drop 3-5% of proposals', clientFaults: CLIENT_FAULTS, step: async () => {}, heal: healAll },
  kill: { description: 'kill -9 and restart random replicas, the leader half the time', clientFaults: NO_FAULTS, step: killSome, heal: healAll },
  pause: { description: 'SIGSTOP the leader for 2-5 s, then SIGCONT', clientFaults: NO_FAULTS, step: pauseLeader, heal: healAll },
  license: { description: 'KACHING slow, denying, then down, in 10 s phases', clientFaults: NO_FAULTS, step: licenseTrouble, heal: healAll },
  'mcp-flap': { description: 'the MCP registry flaps faster than the adapter hysteresis', clientFaults: NO_FAULTS, step: mcpFlap, heal: healAll },
  capacity: { description: 'environment capacity churns between full and empty', clientFaults: NO_FAULTS, step: capacityChurn, heal: healAll },
  all: {
    description: 'every fault above, mixed',
    clientFaults: CLIENT_FAULTS,
    step: async (ctx, s) => {
      await killSome(ctx, s);
      await pauseLeader(ctx, s);
      await licenseTrouble(ctx, s);
      await mcpFlap(ctx, s);
      await capacityChurn(ctx, s);
    },
    heal: healAll,
  },
};
