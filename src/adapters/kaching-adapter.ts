// KACHING license adapter (docs/integrations/kaching.md): cached verdicts, jittered refresh, a circuit breaker,
// and the license transitions: Boot_Licensed, Boot_LicenseGrace, Control_Degrade (grace), Control_Restore.
import type { Json } from '../core/canonical-json.ts';
import { digestJson } from '../core/digest.ts';
import { licenseVerdictAt } from '../core/guards/license-guard.ts';
import { formatHlc } from '../core/hlc.ts';
import type { StateDocument } from '../core/state.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { validateContract } from './contract-schemas.ts';
import type { FactRequest } from './fact-proposer.ts';
import type { Secret } from '../secrets/secret-value.ts';

export interface KachingOptions {
  readonly clusterId: string;
  /** From the age-encrypted secrets file; sent to KACHING only, never proposed or logged. */
  readonly licenseKey: Secret<string>;
  readonly intervalMs?: number;
  /** Grace recorded with each verdict; defaults to the state's current grace_ms (from genesis). */
  readonly graceMs?: number;
  /** Refresh at least this often even if the verdict lives longer. */
  readonly refreshMaxMs?: number;
  /** Consecutive failures before the server counts as unavailable (one timeout is not an outage). */
  readonly failuresForOutage?: number;
  readonly breakerBaseMs?: number;
  /** Jitter source in [0, 1); tests pass a fixed one. */
  readonly random?: () => number;
}

interface CachedVerdict {
  readonly verdict: 'valid' | 'invalid';
  readonly hash: string;
  readonly validUntilMs: number;
  readonly reason: string | null;
}

/** Control_Degrade reasons this adapter writes start with this, so it only restores what it degraded. */
export const LICENSE_REASON_PREFIX = 'license:';

export class KachingAdapter implements Adapter {
  readonly system = 'kaching' as const;
  readonly intervalMs: number;
  private cached: CachedVerdict | null = null;
  private refreshAt = 0;
  private outageSince: number | null = null;
  private readonly breaker: CircuitBreaker;
  private readonly random: () => number;

  constructor(private readonly options: KachingOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.breaker = new CircuitBreaker({ baseOpenMs: options.breakerBaseMs ?? 1000, maxOpenMs: 60_000 });
    this.random = options.random ?? Math.random;
  }

  get unavailable(): boolean {
    return this.outageSince !== null && this.breaker.consecutiveFailures >= (this.options.failuresForOutage ?? 3);
  }

  async tick(ctx: AdapterContext): Promise<void> {
    await this.refresh(ctx);
    ctx.metrics.breakerOpen.set({ system: this.system }, this.breaker.state(ctx.now) === 'open' ? 1 : 0);
    const next = this.nextFact(ctx.state, ctx.now);
    if (next !== null) await ctx.propose(next);
  }

  private async refresh(ctx: AdapterContext): Promise<void> {
    const due = this.cached === null || ctx.now >= this.refreshAt || this.outageSince !== null;
    if (!due || !this.breaker.canRequest(ctx.now)) return;
    const r = await ctx.request('/v1/license/verify', {
      method: 'POST',
      body: { type: 'kaching.verify.v1', license_key: this.options.licenseKey.reveal(), cluster_id: this.options.clusterId, product: 'swoosh' },
    });
    if (!r.ok) {
      this.breaker.failure(ctx.now, r.retryAfterMs);
      this.outageSince ??= ctx.now;
      return;
    }
    const check = validateContract('kaching.verdict.v1', r.body);
    if (!check.ok) {
      ctx.invalid('kaching.verdict.v1', check.reasons);
      this.breaker.failure(ctx.now);
      this.outageSince ??= ctx.now;
      return;
    }
    const v = r.body as { verdict: 'valid' | 'invalid'; issued_at: string; valid_until: string; reason?: string | null; token?: unknown };
    const { token: _token, ...withoutToken } = v;
    const issued = Date.parse(v.issued_at);
    const until = Date.parse(v.valid_until);
    this.breaker.success();
    this.outageSince = null;
    this.cached = { verdict: v.verdict, hash: digestJson(withoutToken as Json), validUntilMs: until, reason: v.reason ?? null };
    // Refresh at half the lifetime ±10%, so replicas that took over together do not all ask at once.
    const lifetime = Math.max(0, until - issued);
    const wait = Math.min(this.options.refreshMaxMs ?? 600_000, lifetime * 0.5 * (0.9 + 0.2 * this.random()));
    this.refreshAt = ctx.now + Math.max(1000, wait);
  }

  private verdictFact(state: StateDocument, c: CachedVerdict): FactRequest {
    return {
      transition: 'License_RecordVerdict',
      topic: 'license',
      evidencePath: `verdict/${c.hash}`,
      inputs: { verdict: c.verdict, verdict_hash: c.hash, valid_until: formatHlc({ ms: c.validUntilMs, logical: 0 }), grace_ms: this.options.graceMs ?? state.boot.license.grace_ms },
    };
  }

  /** At most one fact per tick, in the order the state needs them. */
  nextFact(state: StateDocument, now: number): FactRequest | null {
    const license = state.boot.license;
    const top = state.configuration.top;
    const outage = this.unavailable;
    const c = this.cached;
    if (!outage && c !== null && license.verdict_hash !== c.hash) return this.verdictFact(state, c);
    if (outage && license.verdict !== 'unavailable') {
      const since = new Date(this.outageSince!).toISOString();
      return {
        transition: 'License_RecordVerdict',
        topic: 'license',
        inputs: {
          verdict: 'unavailable',
          verdict_hash: digestJson({ type: 'swoosh.license_unavailable.v1', since }),
          valid_until: license.valid_until ?? formatHlc({ ms: now, logical: 0 }),
          grace_ms: this.options.graceMs ?? license.grace_ms,
        },
      };
    }
    const valid = licenseVerdictAt(license, now, false).ok;
    const inGrace = licenseVerdictAt(license, now, true).ok;
    if (top === 'BOOT') {
      if (state.boot.phase === 'UNINITIALIZED') return null;
      if (valid && license.verdict_hash !== null) return { transition: 'Boot_Licensed', topic: 'license', inputs: { verdict_hash: license.verdict_hash } };
      if (state.boot.phase === 'LICENSE_CHECK.VERIFYING' && outage && inGrace) {
        return { transition: 'Boot_LicenseGrace', topic: 'license', inputs: { reason: `${LICENSE_REASON_PREFIX} KACHING unavailable since ${new Date(this.outageSince!).toISOString()}; running on the cached verdict` } };
      }
      return null;
    }
    if ((top === 'PROJECT_LIFECYCLE' || top === 'EXECUTION') && (outage || license.verdict === 'invalid')) {
      const why = outage ? `KACHING unavailable since ${new Date(this.outageSince!).toISOString()}` : `license verdict invalid${c?.reason ? ` (${c.reason})` : ''}`;
      return { transition: 'Control_Degrade', topic: 'license', inputs: { reason: `${LICENSE_REASON_PREFIX} ${why}; grace until expiry` } };
    }
    if (top === 'CONTROL' && state.control.phase === 'DEGRADED' && (state.control.reason ?? '').startsWith(LICENSE_REASON_PREFIX) && valid && !outage) {
      return { transition: 'Control_Restore', topic: 'license', inputs: { reason: `${LICENSE_REASON_PREFIX} a valid verdict is recorded again` } };
    }
    return null;
  }
}
