import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Proposal } from '../../src/core/proposal.ts';
import { ClientClock, propose, type ProposeTransport } from '../../src/sdk/client.ts';
import { generateKeyFile, parseKeyFile } from '../../src/sdk/proposal-signer.ts';

const key = parseKeyFile(generateKeyFile());
assert.ok(key.ok, 'a generated key file parses');
const HEAD = `sha256-${'ab'.repeat(32)}`;
const request = { url: 'http://unused', secretKey: key.secret, transition: 'License_RecordVerdict', inputs: { verdict: 'valid' }, evidence: [], idemKey: 'k1' };

/** A transport whose GET /state fails `headFailures` times (as a 503 during an election would), then answers. */
function flakyHead(headFailures: number) {
  const seen = { heads: 0, posts: [] as Proposal[] };
  const transport: ProposeTransport = {
    async readHead() {
      seen.heads++;
      if (seen.heads <= headFailures) throw new Error('GET /state: HTTP 503 no_leader');
      return { hash: HEAD, hlc: null };
    },
    async post(p) {
      seen.posts.push(p);
      return { status: 202, body: { index: 7 } };
    },
  };
  return { transport, seen };
}

test('propose() retries a failed HEAD read (no leader during an election) instead of giving up', async () => {
  const { transport, seen } = flakyHead(2);
  const r = await propose({ ...request, maxAttempts: 5 }, new ClientClock(), transport);
  assert.equal(r.status, 202, 'the proposal is accepted once HEAD answers');
  assert.equal(r.attempts, 3, 'two failed reads and one send');
  assert.equal(seen.posts.length, 1, 'sent exactly once');
  assert.equal(seen.posts[0]!.current_state_hash, HEAD, 'against the HEAD that was read');
});

test('propose() throws the last HEAD error once maxAttempts reads failed, and never sends', async () => {
  const { transport, seen } = flakyHead(Infinity);
  await assert.rejects(propose({ ...request, maxAttempts: 3 }, new ClientClock(), transport), /HTTP 503 no_leader/, 'the read error surfaces');
  assert.equal(seen.heads, 3, 'one read per attempt');
  assert.equal(seen.posts.length, 0, 'nothing was sent without a HEAD');
});

test('propose() retries 503 no_leader but returns 503 diverged at once (an operator must act)', async () => {
  for (const [reason, sends] of [['no_leader', 3], ['diverged', 1]] as const) {
    let posts = 0;
    const transport: ProposeTransport = {
      readHead: async () => ({ hash: HEAD, hlc: null }),
      post: async () => (posts++, { status: 503, body: { reason } }),
    };
    const r = await propose({ ...request, maxAttempts: 3 }, new ClientClock(), transport);
    assert.deepEqual([r.status, r.body['reason'], posts], [503, reason, sends], `503 ${reason}: sent ${sends} time(s)`);
  }
});
