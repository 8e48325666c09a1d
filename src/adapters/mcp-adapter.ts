// MCP registry adapter (docs/integrations/mcp.md): probes health and tool versions, and records the verdict
// with hysteresis, so a registry that flaps faster than `hysteresisMs` never flaps the statechart.
import { digestJson } from '../core/digest.ts';
import { parseHlc } from '../core/hlc.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { validateContract } from './contract-schemas.ts';

export interface McpOptions {
  readonly registry?: string;
  /** tool name -> wanted version. */
  readonly pins: Readonly<Record<string, string>>;
  readonly probeMs?: number;
  readonly hysteresisMs?: number;
  /** Re-propose an unchanged verdict this often; default a third of the state's freshness bound. */
  readonly refreshMs?: number;
}

export interface Probe {
  readonly reachable: boolean;
  readonly pins: { tool: string; wanted: string; actual: string }[];
  readonly evidence: unknown;
}

const verdictOf = (reachable: boolean, pinsOk: boolean): string => `${reachable ? 'reachable' : 'unreachable'}/${pinsOk ? 'pins-ok' : 'pins-broken'}`;

export class McpAdapter implements Adapter {
  readonly system = 'mcp' as const;
  readonly intervalMs: number;
  private candidate: { verdict: string; since: number } | null = null;

  constructor(private readonly options: McpOptions) {
    this.intervalMs = options.probeMs ?? 2000;
  }

  private async probe(ctx: AdapterContext): Promise<Probe> {
    const health = await ctx.request('/v1/health');
    const tools = health.ok ? await ctx.request('/v1/tools') : null;
    const healthCheck = health.ok ? validateContract('mcp.health.v1', health.body) : null;
    if (healthCheck !== null && !healthCheck.ok) ctx.invalid('mcp.health.v1', healthCheck.reasons);
    const healthOk = health.ok && healthCheck?.ok === true && (health.body as { status: string }).status === 'ok';
    let listed: Record<string, string> = {};
    let toolsOk = false;
    if (tools !== null && tools.ok) {
      const check = validateContract('mcp.tools.v1', tools.body);
      if (check.ok) {
        toolsOk = true;
        listed = Object.fromEntries((tools.body as { tools: { name: string; version: string }[] }).tools.map((t) => [t.name, t.version]));
      } else ctx.invalid('mcp.tools.v1', check.reasons);
    }
    const pins = Object.entries(this.options.pins)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([tool, wanted]) => ({ tool, wanted, actual: listed[tool] ?? 'missing' }));
    return {
      reachable: healthOk && toolsOk,
      pins,
      evidence: { health: health.ok ? health.body : { error: health.message }, tools: tools?.ok ? tools.body : null, at: new Date(ctx.now).toISOString() },
    };
  }

  async tick(ctx: AdapterContext): Promise<void> {
    if (ctx.state.configuration.top === 'BOOT' || ctx.state.configuration.top === 'TERMINATED') return;
    const p = await this.probe(ctx);
    const pinsOk = p.pins.every((x) => x.wanted === x.actual);
    const now = verdictOf(p.reachable, pinsOk);
    const fact = ctx.state.council.mcp;
    let due = fact === null;
    if (fact !== null) {
      if (verdictOf(fact.reachable, fact.pins_ok) === now) {
        this.candidate = null;
        const at = parseHlc(fact.recorded_at);
        const refresh = this.options.refreshMs ?? Math.floor(ctx.state.council.mcp_freshness_ms / 3);
        due = !at.ok || ctx.now - at.value.ms >= refresh;
      } else {
        if (this.candidate?.verdict !== now) this.candidate = { verdict: now, since: ctx.now };
        due = ctx.now - this.candidate.since >= (this.options.hysteresisMs ?? 10_000);
      }
    }
    if (!due) return;
    const probeHash = digestJson(p.evidence as never);
    const r = await ctx.propose({
      transition: 'Mcp_RecordHealth',
      topic: 'tooling',
      evidencePath: `probe/${probeHash}`,
      inputs: { registry: this.options.registry ?? 'mcp-registry', reachable: p.reachable, probe_hash: probeHash, pins: p.pins },
    });
    if (r.kind === 'accepted') this.candidate = null;
  }
}
