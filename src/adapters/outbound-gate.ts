// The license gate on every outbound adapter call (brief §9): fail closed until licensed, hard stop at grace expiry.
import { licenseVerdictAt } from '../core/guards/license-guard.ts';
import type { StateDocument } from '../core/state.ts';

/** The external systems adapters talk to; `kaching` is the license check itself and is never gated. */
export type ExternalSystem = 'kaching' | 'backbeat' | 'hmmm' | 'mcp' | 'shhh' | 'environment';

export type GateCode = 'license_not_checked' | 'license_external_comms_stopped';

export type GateDecision = { readonly allowed: true } | { readonly allowed: false; readonly code: GateCode; readonly reason: string };

/** Thrown by `OutboundGate.fetch` instead of sending a request. */
export class OutboundRefused extends Error {
  constructor(
    readonly system: ExternalSystem,
    readonly code: GateCode,
    reason: string,
  ) {
    super(`${system}: ${code}: ${reason}`);
  }
}

/**
 * Decides from the applied state and the local clock. The state is the replicated truth (a new leader's gate
 * agrees with the old one's); the clock only decides when grace has run out, as the `license` guard would.
 */
export class OutboundGate {
  constructor(
    private readonly state: () => StateDocument | null,
    private readonly now: () => number = Date.now,
    private readonly onRefused: (system: ExternalSystem, code: GateCode) => void = () => {},
  ) {}

  check(system: ExternalSystem): GateDecision {
    if (system === 'kaching') return { allowed: true };
    const s = this.state();
    // Leaving BOOT takes Boot_Licensed; every later configuration implies the license check passed once.
    if (s === null || s.configuration.top === 'BOOT') {
      return { allowed: false, code: 'license_not_checked', reason: 'no outbound calls but the license check until LICENSE_CHECK passes' };
    }
    const verdict = licenseVerdictAt(s.boot.license, this.now(), true);
    if (!verdict.ok) return { allowed: false, code: 'license_external_comms_stopped', reason: verdict.reasons.join('; ') };
    return { allowed: true };
  }

  async fetch(system: ExternalSystem, url: string, init?: RequestInit): Promise<Response> {
    const d = this.check(system);
    if (!d.allowed) {
      this.onRefused(system, d.code);
      throw new OutboundRefused(system, d.code, d.reason);
    }
    return fetch(url, init);
  }
}
