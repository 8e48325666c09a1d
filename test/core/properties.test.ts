// Property tests over random proposal streams: invariants, hostile-input codes, duplicates, totality, hashing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { digestJson } from '../../src/core/digest.ts';
import { genesisState } from '../../src/core/genesis.ts';
import { formatHlc, parseHlc } from '../../src/core/hlc.ts';
import { recomputeStateHash } from '../../src/core/invariants.ts';
import { reduce } from '../../src/core/reducer.ts';
import { isReasonCode } from '../../src/core/reason-codes.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { replayStream } from '../../src/replay/replay-stream.ts';
import { generateWorkload } from '../../src/workload/generator.ts';
import { Driver, keys } from '../support/fixtures.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

const RUNS = { seed: TEST_SEED, numRuns: 12 };

test(`random workloads keep every invariant and refuse every hostile entry with its code ${seedNote()}`, () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 50, max: 500 }), (seed, hostile) => {
      const w = generateWorkload({ seed, count: 400, hostilePermille: hostile });
      const { report } = replayStream(w.genesis, w.entries);
      assert.equal(report.invariant_violations, 0, `workload seed ${seed}: ${JSON.stringify(report.violations)}`);
      assert.deepEqual(report.expectation_mismatches, [], `workload seed ${seed}`);
      assert.ok(report.accepted > 0, 'report.accepted > 0');
    }),
    RUNS,
  );
});

test(`the same stream always reduces to the same hashes, and the cached hash equals a from-scratch hash ${seedNote()}`, () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const w = generateWorkload({ seed, count: 250 });
      const a = replayStream(w.genesis, w.entries);
      const b = replayStream(w.genesis, w.entries);
      assert.deepEqual(a.postHashes, b.postHashes);
      assert.equal(recomputeStateHash(a.final), stateHash(a.final), `workload seed ${seed}: incremental hash drifted`);
    }),
    { ...RUNS, numRuns: 6 },
  );
});

test(`re-applying any accepted entry is a no-op duplicate ${seedNote()}`, () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(), (seed, pick) => {
      const w = generateWorkload({ seed, count: 200, hostilePermille: 0 });
      const run = replayStream(w.genesis, w.entries);
      const entry = w.entries[pick % w.entries.length]!;
      const last = parseHlc(run.final.hlc_last!);
      assert.ok(last.ok, 'last.ok');
      const stamp = formatHlc({ ms: last.value.ms + 1, logical: 0 }); // within the dedupe retention
      const replay = reduce(run.final, { index: 10_000, stamp, proposal: entry.proposal });
      assert.equal(replay.outcome.duplicate, true, `workload seed ${seed}, entry ${entry.index}`);
      assert.equal(stateHash(replay.state), stateHash(run.final));
    }),
    RUNS,
  );
});

test(`reduce is total: arbitrary values and mutated proposals are rejected with a known code, never thrown ${seedNote()}`, () => {
  const d = new Driver();
  const base = d.proposal(keys.op, 'Boot_ConfigOk', { config_hash: digestJson({ c: 1 }) });
  const fields = Object.keys(base);
  const mutated = fc.tuple(fc.constantFrom(...fields), fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true })).map(([k, v]) => ({ ...base, [k]: v }));
  fc.assert(
    fc.property(fc.oneof(fc.anything({ withBigInt: true, withMap: true, withSet: true }), mutated), (proposal) => {
      const r = reduce(d.state, { index: 1, stamp: '2026-06-01T00:00:00.000+00:00#0', proposal });
      assert.equal(r.outcome.status, 'rejected');
      assert.ok(isReasonCode(r.outcome.code), String(r.outcome.code));
      assert.equal(r.state, d.state);
      assert.ok(r.decisionRecord !== null, 'r.decisionRecord !== null');
    }),
    { seed: TEST_SEED, numRuns: 400 },
  );
});

test(`canonical JSON ignores key order, so hashes do too ${seedNote()}`, () => {
  const json = fc.jsonValue();
  fc.assert(
    fc.property(json, (v) => {
      const shuffled = JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x)));
      assert.equal(canonicalJson(shuffled), canonicalJson(v));
      assert.equal(digestJson(shuffled), digestJson(v));
      assert.deepEqual(JSON.parse(canonicalJson(v)), JSON.parse(JSON.stringify(v)));
    }),
    { seed: TEST_SEED, numRuns: 300 },
  );
});

test('genesis state hashes are stable for the same genesis and differ for another', () => {
  const a = generateWorkload({ seed: 1, count: 1 }).genesis;
  const b = generateWorkload({ seed: 2, count: 1 }).genesis;
  assert.equal(stateHash(genesisState(a)), stateHash(genesisState(a)));
  assert.notEqual(stateHash(genesisState(a)), stateHash(genesisState(b)));
});
