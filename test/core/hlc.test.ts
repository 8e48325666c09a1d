// Tests for the hybrid logical clock: known vectors, rejections, Date cross-checks and seeded properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HLC_MAX_LOGICAL,
  HLC_MAX_MS,
  HLC_ZERO,
  compareHlc,
  compareProposalOrder,
  formatHlc,
  hlcAddMs,
  hlcReceive,
  hlcSend,
  isValidHlc,
  maxHlc,
  parseHlc,
} from '../../src/core/hlc.ts';
import type { Hlc } from '../../src/core/hlc.ts';

const seed = Number(process.env.SWOOSH_TEST_SEED ?? 20261122);
const numRuns = 500;
const opts = { seed, numRuns };

// Small ranges make ms/logical collisions common, which is where the HLC rules branch.
const arbMs = fc.oneof(fc.integer({ min: 0, max: HLC_MAX_MS }), fc.integer({ min: 0, max: 4 }), fc.constant(HLC_MAX_MS));
const arbLogical = fc.oneof(
  fc.integer({ min: 0, max: HLC_MAX_LOGICAL }),
  fc.integer({ min: 0, max: 4 }),
  fc.constant(HLC_MAX_LOGICAL),
);
// Plain prototypes so deepEqual compares values, not how fast-check happened to build the object.
const plain = { noNullPrototype: true } as const;
const arbHlc: fc.Arbitrary<Hlc> = fc.record({ ms: arbMs, logical: arbLogical }, plain);
const arbSmallHlc: fc.Arbitrary<Hlc> = fc.record({
  ms: fc.integer({ min: 0, max: 3 }),
  logical: fc.integer({ min: 0, max: 3 }),
}, plain);
const arbProposal = fc.record({
  hlc: arbSmallHlc,
  signer: fc.oneof(fc.constantFrom('a', 'b', '\uffff', '\u{1f600}'), fc.string({ unit: 'binary', maxLength: 3 })),
  idem_key: fc.oneof(fc.constantFrom('', 'k', 'K'), fc.string({ unit: 'binary', maxLength: 3 })),
}, plain);

function mustParse(s: string): Hlc {
  const r = parseHlc(s);
  assert.ok(r.ok, `expected ${JSON.stringify(s)} to parse, got ${r.ok ? '' : r.reason}`);
  return r.value;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+00:00');
}

// `-0` would fail assert.equal's Object.is against 0.
function neg(c: -1 | 0 | 1): -1 | 0 | 1 {
  return c === 0 ? 0 : c === 1 ? -1 : 1;
}

function gt(a: Hlc, b: Hlc): boolean {
  return compareHlc(a, b) === 1;
}

test('known vectors', () => {
  assert.deepEqual(mustParse('2025-10-19T01:23:45.678+00:00#1234'), { ms: 1760837025678, logical: 1234 });
  assert.equal(formatHlc({ ms: 1760837025678, logical: 1234 }), '2025-10-19T01:23:45.678+00:00#1234');
  assert.equal(formatHlc(HLC_ZERO), '1970-01-01T00:00:00.000+00:00#0');
  assert.deepEqual(mustParse('1970-01-01T00:00:00.000+00:00#0'), HLC_ZERO);
  assert.deepEqual(mustParse('2024-02-29T00:00:00.000+00:00#0'), { ms: Date.UTC(2024, 1, 29), logical: 0 });
  assert.deepEqual(mustParse('2000-02-29T12:00:00.000+00:00#7'), { ms: Date.UTC(2000, 1, 29, 12), logical: 7 });
  assert.deepEqual(mustParse('9999-12-31T23:59:59.999+00:00#2147483647'), {
    ms: HLC_MAX_MS,
    logical: HLC_MAX_LOGICAL,
  });
  assert.equal(HLC_MAX_MS, Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  assert.equal(formatHlc({ ms: HLC_MAX_MS, logical: 0 }), '9999-12-31T23:59:59.999+00:00#0');
  assert.equal(parseHlc('2023-02-29T00:00:00.000+00:00#0').ok, false);
  assert.equal(parseHlc('2100-02-29T00:00:00.000+00:00#0').ok, false);
  assert.equal(parseHlc('1900-02-28T00:00:00.000+00:00#0').ok, false);
  assert.equal(parseHlc('1969-12-31T23:59:59.999+00:00#0').ok, false);
  assert.ok(Object.isFrozen(HLC_ZERO), 'Object.isFrozen(HLC_ZERO)');
});

test('rejections return ok:false with a reason and never throw', () => {
  const V = '2025-10-19T01:23:45.678';
  const bad: string[] = [
    '',
    '#0',
    V,
    `${V}+00:00`,
    `${V}+00:00#`,
    `${V}Z#0`,
    `${V}+01:00#0`,
    `${V}-00:00#0`,
    `${V}+0000#0`,
    `${V}+00#0`,
    '2025-10-19T01:23:45+00:00#0',
    '2025-10-19T01:23:45.67+00:00#0',
    '2025-10-19T01:23:45.6789+00:00#0',
    '2025-10-19T01:23+00:00#0',
    '2025-10-19+00:00#0',
    '2025-10-19 01:23:45.678+00:00#0',
    '2025-10-19t01:23:45.678+00:00#0',
    '25-10-19T01:23:45.678+00:00#0',
    '+02025-10-19T01:23:45.678+00:00#0',
    '2025-1-19T01:23:45.678+00:00#0',
    '2025/10/19T01:23:45.678+00:00#0',
    `${V}+00:00#01`,
    `${V}+00:00#00`,
    `${V}+00:00#-1`,
    `${V}+00:00#+1`,
    `${V}+00:00#1.0`,
    `${V}+00:00#1e3`,
    `${V}+00:00#0x10`,
    `${V}+00:00#2147483648`,
    `${V}+00:00#99999999999`,
    `${V}+00:00#1#2`,
    `${V}+00:00##1`,
    ` ${V}+00:00#1`,
    `${V}+00:00#1 `,
    `${V}+00:00#1\n`,
    `${V} +00:00#1`,
    `${V}+00:00# 1`,
    `${V}+00:00#\u0661`, // Arabic-Indic one
    `${V}+00:00#\uff11`, // full-width one
    '\uff12025-10-19T01:23:45.678+00:00#0',
    '2025-00-19T01:23:45.678+00:00#0',
    '2025-13-19T01:23:45.678+00:00#0',
    '2025-10-00T01:23:45.678+00:00#0',
    '2025-10-32T01:23:45.678+00:00#0',
    '2025-04-31T01:23:45.678+00:00#0',
    '2025-10-19T24:00:00.000+00:00#0',
    '2025-10-19T23:60:00.000+00:00#0',
    '2016-12-31T23:59:60.000+00:00#0',
    '0000-01-01T00:00:00.000+00:00#0',
    'x'.repeat(10_000),
  ];
  for (const s of bad) {
    const r = parseHlc(s);
    assert.equal(r.ok, false, `should reject ${JSON.stringify(s)}`);
    if (!r.ok) assert.ok(r.reason.length > 0 && r.reason.length < 80, `short reason for ${JSON.stringify(s)}`);
  }
  const notStrings: unknown[] = [null, undefined, 0, 1760837025678, {}, [], true, Symbol('x'), 10n, new String(`${V}+00:00#1`)];
  for (const x of notStrings) {
    const r = parseHlc(x as unknown as string);
    assert.equal(r.ok, false, `should reject non-string ${typeof x}`);
  }
  assert.deepEqual(parseHlc(`${V}Z#0`), { ok: false, reason: 'UTC must be written +00:00, not Z' });
});

test(`format matches Date#toISOString for random ms (seed ${seed})`, () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: HLC_MAX_MS }), fc.integer({ min: 0, max: HLC_MAX_LOGICAL }), (ms, logical) => {
      const text = formatHlc({ ms, logical });
      assert.equal(text, `${isoOf(ms)}#${logical}`);
      assert.deepEqual(mustParse(text), { ms, logical });
    }),
    { seed, numRuns: 2000 },
  );
});

test(`calendar validity agrees with Date.UTC (seed ${seed})`, () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1970, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 27, max: 31 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 999 }),
      (y, mo, d, h, mi, s, ms) => {
        const p = (n: number, w: number): string => String(n).padStart(w, '0');
        const text = `${p(y, 4)}-${p(mo, 2)}-${p(d, 2)}T${p(h, 2)}:${p(mi, 2)}:${p(s, 2)}.${p(ms, 3)}+00:00#0`;
        const expectedMs = Date.UTC(y, mo - 1, d, h, mi, s, ms);
        const calendarValid = new Date(expectedMs).getUTCDate() === d;
        const r = parseHlc(text);
        assert.equal(r.ok, calendarValid, `${text} (seed ${seed})`);
        if (r.ok) {
          assert.equal(r.value.ms, expectedMs);
          assert.equal(formatHlc(r.value), text);
        }
      },
    ),
    { seed, numRuns: 2000 },
  );
});

test(`round-trip both ways (seed ${seed})`, () => {
  fc.assert(
    fc.property(arbHlc, (h) => {
      const text = formatHlc(h);
      assert.deepEqual(mustParse(text), h);
      assert.equal(formatHlc(mustParse(text)), text);
    }),
    opts,
  );
});

test(`parse is total and accepts only canonical text (seed ${seed})`, () => {
  // Mutations of valid text hit the near-misses that random strings almost never produce.
  const arbMutated = fc
    .tuple(arbHlc, fc.nat(), fc.constantFrom('replace', 'delete', 'insert'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
    .map(([h, i, op, ch]) => {
      const s = formatHlc(h);
      const at = i % (s.length + 1);
      if (op === 'delete') return s.slice(0, at) + s.slice(at + 1);
      if (op === 'insert') return s.slice(0, at) + ch + s.slice(at);
      return s.slice(0, at) + ch + s.slice(at + 1);
    });
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), arbMutated), (s) => {
      const r = parseHlc(s);
      if (r.ok) {
        assert.ok(isValidHlc(r.value), 'isValidHlc(r.value)');
        assert.equal(formatHlc(r.value), s, `accepted non-canonical ${JSON.stringify(s)} (seed ${seed})`);
      } else {
        assert.equal(typeof r.reason, 'string');
      }
    }),
    { seed, numRuns: 5000 },
  );
});

test(`send is strictly monotonic and follows the HLC rule (seed ${seed})`, () => {
  fc.assert(
    fc.property(arbHlc, arbMs, (local, pt) => {
      const r = hlcSend(local, pt);
      if (!r.ok) {
        assert.equal(r.reason, 'logical_overflow');
        assert.equal(local.logical, HLC_MAX_LOGICAL);
        assert.ok(pt <= local.ms, 'pt <= local.ms');
        return;
      }
      assert.ok(gt(r.value, local), `seed ${seed}`);
      assert.equal(r.value.ms, Math.max(local.ms, pt));
      assert.equal(r.value.logical, r.value.ms === local.ms ? local.logical + 1 : 0);
      assert.ok(isValidHlc(r.value), 'isValidHlc(r.value)');
    }),
    opts,
  );
});

test(`a chain of sends stays strictly increasing (seed ${seed})`, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 50 }), (pts) => {
      let clock = HLC_ZERO;
      for (const pt of pts) {
        const r = hlcSend(clock, pt);
        assert.ok(r.ok, 'r.ok');
        assert.ok(gt(r.value, clock), 'gt(r.value, clock)');
        clock = r.value;
      }
    }),
    opts,
  );
});

test(`receive exceeds local and remote and follows the HLC rule (seed ${seed})`, () => {
  fc.assert(
    fc.property(arbHlc, arbHlc, arbMs, (local, remote, pt) => {
      const r = hlcReceive(local, remote, pt);
      const ms = Math.max(local.ms, remote.ms, pt);
      if (!r.ok) {
        assert.equal(r.reason, 'logical_overflow');
        assert.ok(
          (ms === local.ms && local.logical === HLC_MAX_LOGICAL) || (ms === remote.ms && remote.logical === HLC_MAX_LOGICAL),
        );
        return;
      }
      assert.ok(gt(r.value, local), `> local (seed ${seed})`);
      assert.ok(gt(r.value, remote), `> remote (seed ${seed})`);
      assert.equal(r.value.ms, ms);
      const expected =
        ms === local.ms && ms === remote.ms
          ? Math.max(local.logical, remote.logical) + 1
          : ms === local.ms
            ? local.logical + 1
            : ms === remote.ms
              ? remote.logical + 1
              : 0;
      assert.equal(r.value.logical, expected);
    }),
    opts,
  );
});

test(`drift: remote too far ahead of physical time is refused (seed ${seed})`, () => {
  const local = { ms: 1_000, logical: 3 };
  const r = hlcReceive(local, { ms: 10_001, logical: 0 }, 5_000, 5_000);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, 'clock_drift');
    assert.ok(r.detail.length > 0, 'r.detail.length > 0');
  }
  // Exactly at the limit is allowed.
  assert.deepEqual(hlcReceive(local, { ms: 10_000, logical: 0 }, 5_000, 5_000), {
    ok: true,
    value: { ms: 10_000, logical: 1 },
  });
  // Without a limit the clock follows the remote.
  assert.equal(hlcReceive(local, { ms: HLC_MAX_MS, logical: 0 }, 5_000).ok, true);
  fc.assert(
    fc.property(arbHlc, arbHlc, arbMs, fc.integer({ min: 0, max: 10_000 }), (l, m, pt, drift) => {
      const r = hlcReceive(l, m, pt, drift);
      if (m.ms - pt > drift) assert.ok(!r.ok && r.reason === 'clock_drift', `seed ${seed}`);
      else assert.ok(r.ok || r.reason === 'logical_overflow', `seed ${seed}`);
    }),
    opts,
  );
});

test('overflow is reported, not wrapped', () => {
  const top = { ms: 500, logical: HLC_MAX_LOGICAL };
  const s = hlcSend(top, 500);
  assert.ok(!s.ok && s.reason === 'logical_overflow', '!s.ok && s.reason === \'logical_overflow\'');
  assert.ok(!hlcSend(top, 10).ok, '!hlcSend(top, 10).ok');
  assert.deepEqual(hlcSend(top, 501), { ok: true, value: { ms: 501, logical: 0 } });
  const r1 = hlcReceive({ ms: 100, logical: 0 }, top, 200);
  assert.ok(!r1.ok && r1.reason === 'logical_overflow', '!r1.ok && r1.reason === \'logical_overflow\'');
  const r2 = hlcReceive(top, { ms: 500, logical: 0 }, 200);
  assert.ok(!r2.ok && r2.reason === 'logical_overflow', '!r2.ok && r2.reason === \'logical_overflow\'');
  assert.deepEqual(hlcReceive({ ms: 499, logical: 0 }, top, 501), { ok: true, value: { ms: 501, logical: 0 } });
  // At the end of representable time the counter is the only thing left to advance.
  const end = { ms: HLC_MAX_MS, logical: HLC_MAX_LOGICAL - 1 };
  assert.deepEqual(hlcSend(end, HLC_MAX_MS), { ok: true, value: { ms: HLC_MAX_MS, logical: HLC_MAX_LOGICAL } });
});

test('invalid arguments to clock operations throw RangeError', () => {
  const ok = { ms: 1, logical: 1 };
  assert.throws(() => hlcSend(ok, Number.NaN), RangeError);
  assert.throws(() => hlcSend(ok, 1.5), RangeError);
  assert.throws(() => hlcSend(ok, -1), RangeError);
  assert.throws(() => hlcSend(ok, HLC_MAX_MS + 1), RangeError);
  assert.throws(() => hlcSend({ ms: 1, logical: -1 }, 1), RangeError);
  assert.throws(() => hlcSend({ ms: 1, logical: HLC_MAX_LOGICAL + 1 }, 1), RangeError);
  assert.throws(() => hlcReceive(ok, { ms: 0.5, logical: 0 }, 1), RangeError);
  assert.throws(() => hlcReceive(ok, ok, 1, -1), RangeError);
  assert.throws(() => formatHlc({ ms: -1, logical: 0 }), RangeError);
  assert.throws(() => formatHlc({ ms: HLC_MAX_MS + 1, logical: 0 }), RangeError);
  assert.throws(() => hlcAddMs(ok, 0.5), RangeError);
  assert.throws(() => hlcAddMs(ok, Number.POSITIVE_INFINITY), RangeError);
  assert.equal(isValidHlc(null), false);
  assert.equal(isValidHlc({ ms: '1', logical: 0 }), false);
});

test(`compareHlc is a total order consistent with (ms, logical) (seed ${seed})`, () => {
  const key = (h: Hlc): bigint => BigInt(h.ms) * 2n ** 31n + BigInt(h.logical);
  fc.assert(
    fc.property(arbSmallHlc, arbSmallHlc, arbSmallHlc, (a, b, c) => {
      const ab = compareHlc(a, b);
      assert.equal(compareHlc(a, a), 0);
      assert.equal(compareHlc(b, a), neg(ab));
      assert.equal(ab, key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
      assert.equal(ab === 0, a.ms === b.ms && a.logical === b.logical);
      if (ab <= 0 && compareHlc(b, c) <= 0) assert.ok(compareHlc(a, c) <= 0, `transitivity (seed ${seed})`);
    }),
    opts,
  );
  fc.assert(
    fc.property(arbHlc, arbHlc, (a, b) => {
      const ab = compareHlc(a, b);
      assert.equal(ab, key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
      const m = maxHlc(a, b);
      assert.ok(m === a || m === b, 'm === a || m === b');
      assert.ok(compareHlc(m, a) >= 0 && compareHlc(m, b) >= 0, 'compareHlc(m, a) >= 0 && compareHlc(m, b) >= 0');
    }),
    opts,
  );
});

test(`hlcAddMs clamps and zeroes the counter (seed ${seed})`, () => {
  assert.deepEqual(hlcAddMs({ ms: 1000, logical: 9 }, 500), { ms: 1500, logical: 0 });
  assert.deepEqual(hlcAddMs({ ms: 1000, logical: 9 }, -5000), { ms: 0, logical: 0 });
  assert.deepEqual(hlcAddMs({ ms: HLC_MAX_MS - 1, logical: 0 }, 10), { ms: HLC_MAX_MS, logical: 0 });
  assert.deepEqual(hlcAddMs(HLC_ZERO, Number.MAX_SAFE_INTEGER), { ms: HLC_MAX_MS, logical: 0 });
  assert.deepEqual(hlcAddMs({ ms: HLC_MAX_MS, logical: 0 }, -Number.MAX_VALUE), { ms: 0, logical: 0 });
  fc.assert(
    fc.property(arbHlc, fc.integer({ min: -2 * HLC_MAX_MS, max: 2 * HLC_MAX_MS }), (h, delta) => {
      const r = hlcAddMs(h, delta);
      assert.equal(r.ms, Math.min(HLC_MAX_MS, Math.max(0, h.ms + delta)));
      assert.equal(r.logical, 0);
      assert.deepEqual(mustParse(formatHlc(r)), r);
    }),
    opts,
  );
});

test(`compareProposalOrder: hlc first, then signer, then idem_key by UTF-16 units (seed ${seed})`, () => {
  const h = { ms: 10, logical: 1 };
  assert.equal(compareProposalOrder({ hlc: h, signer: 'a', idem_key: 'z' }, { hlc: h, signer: 'b', idem_key: 'a' }), -1);
  assert.equal(compareProposalOrder({ hlc: h, signer: 'a', idem_key: 'b' }, { hlc: h, signer: 'a', idem_key: 'a' }), 1);
  assert.equal(compareProposalOrder({ hlc: h, signer: 'a', idem_key: 'a' }, { hlc: h, signer: 'a', idem_key: 'a' }), 0);
  assert.equal(
    compareProposalOrder({ hlc: { ms: 10, logical: 0 }, signer: 'z', idem_key: 'z' }, { hlc: h, signer: 'a', idem_key: 'a' }),
    -1,
  );
  // U+1F600 is a surrogate pair starting 0xD83D, which sorts before U+FFFF in code units (though not in code points).
  assert.equal(compareProposalOrder({ hlc: h, signer: '\u{1f600}', idem_key: '' }, { hlc: h, signer: '\uffff', idem_key: '' }), -1);
  assert.equal(compareProposalOrder({ hlc: h, signer: 'B', idem_key: '' }, { hlc: h, signer: 'a', idem_key: '' }), -1);
  assert.equal(compareProposalOrder({ hlc: h, signer: 'ab', idem_key: '' }, { hlc: h, signer: 'a', idem_key: 'zz' }), 1);

  fc.assert(
    fc.property(arbProposal, arbProposal, arbProposal, (a, b, c) => {
      const ab = compareProposalOrder(a, b);
      assert.equal(compareProposalOrder(b, a), neg(ab));
      assert.equal(ab === 0, compareHlc(a.hlc, b.hlc) === 0 && a.signer === b.signer && a.idem_key === b.idem_key);
      const byHlc = compareHlc(a.hlc, b.hlc);
      if (byHlc !== 0) assert.equal(ab, byHlc);
      if (ab <= 0 && compareProposalOrder(b, c) <= 0) {
        assert.ok(compareProposalOrder(a, c) <= 0, `transitivity (seed ${seed})`);
      }
    }),
    { seed, numRuns: 2000 },
  );
  // Sorting is independent of input order, which is what makes replicas agree.
  fc.assert(
    fc.property(fc.array(arbProposal, { maxLength: 20 }), fc.nat(), (ps, rot) => {
      const sorted = [...ps].sort(compareProposalOrder);
      const k = ps.length === 0 ? 0 : rot % ps.length;
      const other = [...ps.slice(k), ...ps.slice(0, k)].reverse().sort(compareProposalOrder);
      assert.deepEqual(other, sorted);
    }),
    opts,
  );
});
