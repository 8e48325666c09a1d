// KACHING license guards: `license` (valid or within grace) and `license_valid` (valid only), over the recorded verdict.
import { formatHlc, hlcAddMs, parseHlc } from '../hlc.ts';
import type { LicenseFact } from '../state.ts';
import type { Guard, GuardVerdict } from './guard.ts';

function validUntilMs(l: LicenseFact): number | null {
  if (l.valid_until === null) return null;
  const p = parseHlc(l.valid_until);
  return p.ok ? p.value.ms : null;
}

/** The license verdict at `atMs`; adapters use it to gate outbound calls (src/adapters/outbound-gate.ts). */
export function licenseVerdictAt(l: LicenseFact, atMs: number, allowGrace: boolean): GuardVerdict {
  const until = validUntilMs(l);
  if (l.verdict === 'valid' && until !== null && atMs < until) {
    return { ok: true, reasons: [`license verdict valid until ${l.valid_until}`] };
  }
  if (until === null) return { ok: false, code: 'license_invalid', reasons: [`no valid license verdict has been recorded (last verdict: ${l.verdict})`] };
  const graceEnd = until + l.grace_ms;
  const graceText = formatHlc(hlcAddMs({ ms: until, logical: 0 }, l.grace_ms));
  if (!allowGrace) {
    return { ok: false, code: 'license_invalid', reasons: [`license verdict is ${l.verdict}, valid_until ${l.valid_until} passed; a valid verdict is required`] };
  }
  if (atMs < graceEnd) {
    return { ok: true, reasons: [`license in grace: verdict ${l.verdict}, valid_until ${l.valid_until}, grace until ${graceText}`] };
  }
  return { ok: false, code: 'license_grace_expired', reasons: [`license grace expired at ${graceText} (verdict ${l.verdict})`] };
}

export const licenseGuard: Guard = (ctx) => licenseVerdictAt(ctx.state.boot.license, ctx.stamp.ms, true);
export const licenseValidGuard: Guard = (ctx) => licenseVerdictAt(ctx.state.boot.license, ctx.stamp.ms, false);
