// Hybrid Logical Clock (Kulkarni et al. 2014): value type, canonical text form, send/receive rules and proposal ordering.

/** ms: integer ms since the Unix epoch (years 1970..9999); logical: integer 0..HLC_MAX_LOGICAL. */
export interface Hlc {
  readonly ms: number;
  readonly logical: number;
}

export const HLC_ZERO: Hlc = Object.freeze({ ms: 0, logical: 0 });

/** The counter must fit a signed 32-bit int so every consumer (and every language) reads it the same way. */
export const HLC_MAX_LOGICAL = 2 ** 31 - 1;

/** 9999-12-31T23:59:59.999 UTC: the largest instant the 4-digit-year text form can carry. */
export const HLC_MAX_MS = 253402300799999;

export type HlcParse = { ok: true; value: Hlc } | { ok: false; reason: string };

export type HlcResult =
  | { ok: true; value: Hlc }
  | { ok: false; reason: 'clock_drift' | 'logical_overflow'; detail: string };

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;
const MS_PER_SECOND = 1_000;

// 29 chars of timestamp + '#' + at most 10 digits of counter; checked first so hostile input costs O(1).
const MAX_TEXT_LENGTH = 40;

// Without the `u` flag `\d` is exactly [0-9], so non-ASCII digits never match.
const TIMESTAMP_PREFIX = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})/;
const OFFSET = '+00:00';

/** True when `x` is a structurally valid Hlc; lets boundary code validate before calling the throwing helpers. */
export function isValidHlc(x: unknown): x is Hlc {
  if (typeof x !== 'object' || x === null) return false;
  const { ms, logical } = x as { ms?: unknown; logical?: unknown };
  return isIntIn(ms, 0, HLC_MAX_MS) && isIntIn(logical, 0, HLC_MAX_LOGICAL);
}

/** Strict parse of the one canonical text form; total over all inputs (never throws). */
export function parseHlc(text: string): HlcParse {
  if (typeof text !== 'string') return fail('not a string');
  if (text.length > MAX_TEXT_LENGTH) return fail('too long');
  const hash = text.indexOf('#');
  if (hash < 0) return fail('missing #logical counter');
  const stamp = text.slice(0, hash);
  const counter = text.slice(hash + 1);

  const m = TIMESTAMP_PREFIX.exec(stamp);
  if (m === null) return fail('timestamp must be YYYY-MM-DDTHH:MM:SS.mmm');
  const rest = stamp.slice(m[0].length);
  if (rest !== OFFSET) {
    if (/^\d/.test(rest)) return fail('milliseconds must be exactly 3 digits');
    if (rest === 'Z') return fail('UTC must be written +00:00, not Z');
    return fail('offset must be exactly +00:00');
  }

  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const milli = Number(m[7]);
  if (year < 1970) return fail('year before 1970');
  if (month < 1 || month > 12) return fail('month out of range');
  if (day < 1 || day > daysInMonth(year, month)) return fail('day out of range for month');
  if (hour > 23) return fail('hour out of range');
  if (minute > 59) return fail('minute out of range');
  // Leap seconds are rejected: they have no distinct ms value, so accepting them would break one-text-per-value.
  if (second > 59) return fail('second out of range');

  if (counter.length === 0) return fail('empty logical counter');
  if (!/^\d+$/.test(counter)) return fail('logical counter must be ASCII decimal digits');
  if (counter.length > 1 && counter[0] === '0') return fail('logical counter has leading zeros');
  if (counter.length > 10) return fail('logical counter exceeds 2^31-1');
  const logical = Number(counter);
  if (logical > HLC_MAX_LOGICAL) return fail('logical counter exceeds 2^31-1');

  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * MS_PER_HOUR +
    minute * MS_PER_MINUTE +
    second * MS_PER_SECOND +
    milli;
  return { ok: true, value: { ms, logical } };
}

/** The canonical text; throws RangeError on an invalid Hlc because no text could represent it. */
export function formatHlc(h: Hlc): string {
  assertHlc(h, 'formatHlc');
  const msOfDay = h.ms % MS_PER_DAY;
  const days = (h.ms - msOfDay) / MS_PER_DAY;
  const { y, m, d } = civilFromDays(days);
  const milli = msOfDay % MS_PER_SECOND;
  const totalSeconds = (msOfDay - milli) / MS_PER_SECOND;
  const second = totalSeconds % 60;
  const totalMinutes = (totalSeconds - second) / 60;
  const minute = totalMinutes % 60;
  const hour = (totalMinutes - minute) / 60;
  return (
    `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}` +
    `.${pad(milli, 3)}${OFFSET}#${h.logical}`
  );
}

export function compareHlc(a: Hlc, b: Hlc): -1 | 0 | 1 {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}

/**
 * Local or send event. Throws RangeError on invalid arguments (programmer error, not a runtime condition):
 * `local` must satisfy isValidHlc and `physicalMs` must be an integer in 0..HLC_MAX_MS.
 */
export function hlcSend(local: Hlc, physicalMs: number): HlcResult {
  assertHlc(local, 'hlcSend local');
  assertPhysical(physicalMs, 'hlcSend');
  if (physicalMs > local.ms) return { ok: true, value: { ms: physicalMs, logical: 0 } };
  return bump(local.ms, local.logical, 'send');
}

/**
 * Receive event. Drift is judged against the caller's physical clock, not `local`, because a
 * far-future remote must not be able to drag this node's clock forward without bound.
 * Throws RangeError on invalid arguments; `remote` from the wire should come through parseHlc first.
 */
export function hlcReceive(local: Hlc, remote: Hlc, physicalMs: number, maxDriftMs?: number): HlcResult {
  assertHlc(local, 'hlcReceive local');
  assertHlc(remote, 'hlcReceive remote');
  assertPhysical(physicalMs, 'hlcReceive');
  if (maxDriftMs !== undefined) {
    if (!Number.isSafeInteger(maxDriftMs) || maxDriftMs < 0) {
      throw new RangeError(`hlcReceive: maxDriftMs must be a non-negative integer, got ${String(maxDriftMs)}`);
    }
    const ahead = remote.ms - physicalMs;
    if (ahead > maxDriftMs) {
      return {
        ok: false,
        reason: 'clock_drift',
        detail: `remote is ${ahead} ms ahead of physical time ${physicalMs} (limit ${maxDriftMs})`,
      };
    }
  }
  const ms = Math.max(local.ms, remote.ms, physicalMs);
  if (ms === local.ms && ms === remote.ms) return bump(ms, Math.max(local.logical, remote.logical), 'receive');
  if (ms === local.ms) return bump(ms, local.logical, 'receive');
  if (ms === remote.ms) return bump(ms, remote.logical, 'receive');
  return { ok: true, value: { ms, logical: 0 } };
}

/**
 * A deadline `deltaMs` after (or before, if negative) `h`, with logical 0, clamped to 0..HLC_MAX_MS so
 * expiry arithmetic never produces an unformattable value. Throws RangeError on a non-integer delta.
 */
export function hlcAddMs(h: Hlc, deltaMs: number): Hlc {
  assertHlc(h, 'hlcAddMs');
  if (!Number.isInteger(deltaMs)) {
    throw new RangeError(`hlcAddMs: deltaMs must be an integer, got ${String(deltaMs)}`);
  }
  // Any imprecision in a huge sum only happens far outside the range, where the clamp discards it.
  const sum = h.ms + deltaMs;
  const ms = sum < 0 ? 0 : sum > HLC_MAX_MS ? HLC_MAX_MS : sum;
  return { ms, logical: 0 };
}

/** Total order of proposals: by hlc, ties broken by (signer, idem_key) compared by UTF-16 code units. */
export function compareProposalOrder(
  a: { hlc: Hlc; signer: string; idem_key: string },
  b: { hlc: Hlc; signer: string; idem_key: string },
): -1 | 0 | 1 {
  const byHlc = compareHlc(a.hlc, b.hlc);
  if (byHlc !== 0) return byHlc;
  const bySigner = compareCodeUnits(a.signer, b.signer);
  if (bySigner !== 0) return bySigner;
  return compareCodeUnits(a.idem_key, b.idem_key);
}

// JS relational operators on strings compare UTF-16 code units, not code points and not locale order.
function compareCodeUnits(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function bump(ms: number, logical: number, event: string): HlcResult {
  if (logical >= HLC_MAX_LOGICAL) {
    return {
      ok: false,
      reason: 'logical_overflow',
      detail: `${event} at ms ${ms} would exceed logical ${HLC_MAX_LOGICAL}`,
    };
  }
  return { ok: true, value: { ms, logical: logical + 1 } };
}

function fail(reason: string): HlcParse {
  return { ok: false, reason };
}

function isIntIn(x: unknown, lo: number, hi: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
}

function assertHlc(h: Hlc, where: string): void {
  if (!isValidHlc(h)) throw new RangeError(`${where}: not a valid Hlc`);
}

function assertPhysical(physicalMs: number, where: string): void {
  if (!isIntIn(physicalMs, 0, HLC_MAX_MS)) {
    throw new RangeError(`${where}: physicalMs must be an integer in 0..${HLC_MAX_MS}, got ${String(physicalMs)}`);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

// Floor division kept exact: subtracting the remainder first means the `/` only ever divides evenly.
function floorDiv(a: number, b: number): number {
  const r = ((a % b) + b) % b;
  return (a - r) / b;
}

/** Howard Hinnant's days_from_civil: proleptic Gregorian date → days since 1970-01-01. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * (month > 2 ? month - 3 : month + 9) + 2, 5) + day - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Howard Hinnant's civil_from_days: days since 1970-01-01 → proleptic Gregorian date. */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const d = doy - floorDiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return { y, m, d };
}
