// SHHH adapter (docs/integrations/shhh.md): polls the policy and proposes each newer version, as Policy_Update,
// or as Policy_UpdateRelease while QUARANTINED (a policy update is one of the two ways out).
import type { Json } from '../core/canonical-json.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { validateContract } from './contract-schemas.ts';

export interface ShhhOptions {
  readonly intervalMs?: number;
}

export class ShhhAdapter implements Adapter {
  readonly system = 'shhh' as const;
  readonly intervalMs: number;
  private etag: string | null = null;
  private policy: { version: number; body: Record<string, unknown> } | null = null;
  /** A version the reducer refused is not proposed again. */
  private refusedVersion = 0;

  constructor(options: ShhhOptions = {}) {
    this.intervalMs = options.intervalMs ?? 2000;
  }

  async tick(ctx: AdapterContext): Promise<void> {
    const top = ctx.state.configuration.top;
    if (top === 'BOOT' || top === 'TERMINATED') return;
    const r = await ctx.request('/v1/policy', this.etag === null ? {} : { headers: { 'if-none-match': this.etag } });
    if (!r.ok) return;
    if (r.status !== 304) {
      const check = validateContract('shhh.policy.v1', r.body);
      if (!check.ok) return ctx.invalid('shhh.policy.v1', check.reasons);
      const body = r.body as Record<string, unknown> & { version: number };
      this.policy = { version: body.version, body };
      this.etag = r.headers.get('etag');
    }
    const p = this.policy;
    if (p === null || p.version <= ctx.state.policy.version || p.version === this.refusedVersion) return;
    const inputs: Record<string, Json> = { version: p.version, rules: p.body['rules'] as Json };
    if (p.body['redact_fields'] !== undefined) inputs['redact_fields'] = p.body['redact_fields'] as Json;
    if (p.body['redaction_rules'] !== undefined) inputs['redaction_rules'] = p.body['redaction_rules'] as Json;
    const transition = top === 'QUARANTINED' ? 'Policy_UpdateRelease' : 'Policy_Update';
    const res = await ctx.propose({ transition, topic: 'policy', evidencePath: `policy/v${p.version}`, inputs });
    if (res.kind === 'rejected') this.refusedVersion = p.version;
  }
}
