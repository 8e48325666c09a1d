// Evidence links (brief §5, §15): UCXL addresses and BUBBLE DR links. The brief's own examples are accepted;
// a malformed link is a rejection with its reason code, never a crash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEvidence, checkEvidenceLink } from '../../src/core/evidence-link.ts';
import { Driver, keys } from '../support/fixtures.ts';

test('UCXL and bubble links: the brief\'s examples and the documented temporal segments are accepted', () => {
  for (const link of [
    'ucxl://chorus:spec@council/…', // the brief's example, ellipsis and all
    'bubble://dr/…',
    'ucxl://agent:role@project:task/*^/path/to/file.md',
    'ucxl://any:any@proj/~~3/notes',
    'ucxl://a_b-c:r@p:t/^^12/x',
    'ucxl://a:b@c/*~',
    'ucxl://kaching:license_adapter@swoosh:license/*^/verdict/sha256-abc',
    `bubble://dr/sha256-${'0'.repeat(64)}`,
  ]) {
    assert.deepEqual(checkEvidenceLink(link).ok, true, `accepted: ${link}`);
  }
});

test('malformed links are refused with a reason', () => {
  for (const [link, why] of [
    ['ucxl://chorus@council/x', /not a UCXL address/],
    ['ucxl://a b:c@d/x', /not a UCXL address/],
    ['ucxl://a:b@/x', /not a UCXL address/],
    ['ucxl://a:b@c:d:e/x', /not a UCXL address/],
    ['ucxl://a.b:c@d/x', /not a UCXL address/],
    ['ucxl://a:b@c/x\n', /control characters/],
    ['bubble://other/x', /not a bubble:\/\/dr\/ link/],
    ['https://example.com/x', /unknown scheme/],
    ['', /unknown scheme/],
  ] as const) {
    const c = checkEvidenceLink(link);
    assert.equal(c.ok, false, `refused: ${JSON.stringify(link)}`);
    if (!c.ok) assert.match(c.reason, why, `reason for ${JSON.stringify(link)}`);
  }
  const none = checkEvidence(['bubble://dr/x']);
  assert.equal(none.ok, false, 'a proposal needs at least one UCXL backlink');
});

test('a proposal with a malformed evidence link is rejected with evidence_invalid and its reason', () => {
  const d = new Driver();
  const r = d.do(keys.op, 'Boot_ConfigOk', { config_hash: `sha256-${'0'.repeat(64)}` }, { evidence: ['ucxl://chorus@council/x'] });
  assert.equal(r.outcome.status, 'rejected', 'rejected, not thrown');
  assert.equal(r.outcome.code, 'evidence_invalid', 'with the reason code');
  assert.ok(r.outcome.reasons.some((x) => x.includes('not a UCXL address')), `and the reason: ${r.outcome.reasons.join('; ')}`);
});
