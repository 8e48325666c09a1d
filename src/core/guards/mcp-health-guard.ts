// MCP/tooling health guard: the latest registry fact is reachable, every version pin holds, and it is fresh.
import { parseHlc } from '../hlc.ts';
import type { Guard } from './guard.ts';

export const mcpHealthGuard: Guard = (ctx) => {
  const fact = ctx.state.council.mcp;
  if (fact === null) return { ok: false, code: 'mcp_unhealthy', reasons: ['no MCP registry health fact has been recorded'] };
  const at = parseHlc(fact.recorded_at);
  const age = at.ok ? ctx.stamp.ms - at.value.ms : Number.POSITIVE_INFINITY;
  const reasons: string[] = [];
  if (!fact.reachable) reasons.push(`registry ${fact.registry} unreachable (probe ${fact.probe_hash})`);
  if (!fact.pins_ok) reasons.push(`version pins not satisfied: ${fact.mismatched.join(', ')}`);
  if (age > ctx.state.council.mcp_freshness_ms) reasons.push(`health fact from ${fact.recorded_at} is older than ${ctx.state.council.mcp_freshness_ms} ms`);
  if (reasons.length > 0) return { ok: false, code: 'mcp_unhealthy', reasons };
  return { ok: true, reasons: [`registry ${fact.registry} reachable, all pins satisfied, probe ${fact.probe_hash} at ${fact.recorded_at}`] };
};
