// The dedupe table: lookups, expiry by HLC in insertion order, and an incremental hash equal to a rebuild.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { DedupeTable, hashedRow, type DedupeRow } from '../../src/core/dedupe-table.ts';
import { digestJson } from '../../src/core/digest.ts';
import { SetHash } from '../../src/core/set-hash.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

const row = (key: string, ms: number): DedupeRow => ({
  idem_key: key,
  index: ms,
  transition: 'Boot_ConfigOk',
  signer: 'hmmm:pubkey:x',
  inputs_hash: digestJson(key),
  outcome: 'accepted',
  first_seen: `t${ms}`,
  first_seen_ms: ms,
  state_post_hash: digestJson('post'),
  decision_record_id: 'bubble://dr/x',
});

const rebuilt = (t: DedupeTable) => t.toArray().reduce((h, r) => h.add(canonicalJson(hashedRow(r))), SetHash.empty()).digest();

test('lookup honours retention; expiry removes exactly the rows past it', () => {
  let t = DedupeTable.empty().insert(row('a', 100)).insert(row('b', 200)).insert(row('c', 300));
  assert.equal(t.lookup('a', 150, 100)?.idem_key, 'a');
  assert.equal(t.lookup('a', 200, 100), undefined, 'first_seen + retention <= now is expired');
  t = t.expire(250, 100);
  assert.deepEqual(t.toArray().map((r) => r.idem_key), ['b', 'c'], 'a expired at 200; b lives until 300');
  assert.equal(t.expire(10_000, 100).size, 0);
});

test('annotations do not change the hash; re-inserting a key keeps time order', () => {
  const t = DedupeTable.empty().insert(row('a', 1)).insert(row('b', 2));
  assert.equal(t.annotate('a', digestJson('other'), 'bubble://dr/y').digest(), t.digest());
  const again = t.insert(row('a', 3));
  assert.deepEqual(again.toArray().map((r) => r.idem_key), ['b', 'a']);
  assert.equal(again.digest(), rebuilt(again));
});

test(`the incremental set hash equals a rebuild after any sequence of inserts and expiries ${seedNote()}`, () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.boolean()), { maxLength: 40 }), (ops) => {
      let t = DedupeTable.empty();
      let now = 0;
      for (const [key, expire] of ops) {
        now += 10;
        t = expire ? t.expire(now, 35) : t.insert(row(key, now));
      }
      assert.equal(t.digest(), rebuilt(t));
      assert.equal(DedupeTable.fromRows(t.toArray()).digest(), t.digest());
    }),
    { seed: TEST_SEED, numRuns: 200 },
  );
});
