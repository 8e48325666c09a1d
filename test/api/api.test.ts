// The HTTP API over real HTTP against a real replica: every status code, every response checked against openapi.yaml.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import type { RunningServer } from '../../src/api/http-server.ts';
import type { Replica } from '../../src/node/replica.ts';
import { h, keys } from '../support/fixtures.ts';
import { assertMatchesSpec, cleanup, initDataDir, openReplica, serveReplica, tempDir, TestClock } from '../support/replica-harness.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import type { SigningKey } from '../../src/workload/signing-key.ts';

const dir = tempDir('api');
const clock = new TestClock();
let replica: Replica;
let server: RunningServer;
let seq = 0;

before(async () => {
  await initDataDir(dir);
  replica = await openReplica(dir, clock, { recordMaxBytes: 4096, recordWarnBytes: 2048 });
  server = await serveReplica(replica);
});
after(async () => {
  await server.close();
  await replica.close().catch(() => undefined);
  cleanup(dir);
});

async function head(): Promise<{ hash: string; hlc: string | null }> {
  return (await (await fetch(`${server.url}/state?projection=hlc_last`)).json()) as { hash: string; hlc: string | null };
}

async function draft(key: SigningKey, transition: string, inputs: Record<string, unknown>, over: Partial<Proposal> = {}): Promise<Proposal> {
  clock.advance(1000);
  const { hash } = await head();
  return key.signProposal({
    current_state_hash: hash as Proposal['current_state_hash'],
    transition,
    inputs_hash: digestJson(inputs),
    signer: key.signer,
    idem_key: `api:${++seq}`,
    hlc: formatHlc({ ms: clock.ms, logical: 0 }),
    window_id: null,
    evidence: ['ucxl://tester:qa@api:case/*^/evidence'],
    inputs: inputs as never,
    ...over,
  });
}

async function call(method: string, path: string, template: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; res: Response }> {
  const res = await fetch(`${server.url}${path}`, { method, ...init });
  const text = await res.text();
  const body = (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text };
  assertMatchesSpec(template, method.toLowerCase(), res.status, body);
  return { status: res.status, body, res };
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  call('POST', '/transition', '/transition', { headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test('202: an accepted proposal is durable and answers index, hlc, post hash and DR id; a repeat is duplicate', async () => {
  const p = await draft(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  const first = await post(p, { 'Idempotency-Key': p.idem_key });
  assert.equal(first.status, 202);
  assert.equal(first.body['duplicate'], false);
  assert.equal(first.body['index'], 1);
  const again = await post(p);
  assert.equal(again.status, 202);
  assert.equal(again.body['duplicate'], true);
  assert.equal(again.body['index'], 1);
  assert.equal(again.body['state_post_hash'], first.body['state_post_hash']);
  const state = await call('GET', '/state', '/state');
  assert.equal(state.body['hash'], first.body['state_post_hash']);
  assert.equal(state.body['index'], 1);
});

test('400: a stale proposal is rejected with the current hash; a rejection is not logged', async () => {
  const p = await draft(keys.lic, 'License_RecordVerdict', { verdict: 'valid', verdict_hash: h('v'), valid_until: formatHlc({ ms: clock.ms + 1e7, logical: 0 }), grace_ms: 0 }, { current_state_hash: h('old') });
  const r = await post(p);
  assert.equal(r.status, 400);
  assert.equal(r.body['reason'], 'stale_state_hash');
  assert.equal(r.body['current_state_hash'], (await head()).hash);
  assert.equal((r.body['decision_record'] as { outcome: string }).outcome, 'rejected');
  const feed = await call('GET', '/decisions?after=0', '/decisions');
  assert.equal((feed.body['items'] as unknown[]).length, 1);
});

test('400 for a guard failure names the failing guard', async () => {
  const r = await post(await draft(keys.lic, 'Boot_Licensed', { verdict_hash: h('none') }));
  assert.equal(r.status, 400);
  assert.equal(r.body['reason'], 'license_invalid');
  assert.equal(r.body['failing_guard'], 'license_valid');
});

test('401 bad signature, 403 unknown or unauthorized signer, 422 schema-invalid inputs', async () => {
  const p = await draft(keys.op, 'Control_Terminate', { reason: 'x' });
  assert.equal((await post({ ...p, signature: 'A'.repeat(86) })).status, 401);
  const stranger = await draft(keys.stranger, 'Control_Terminate', { reason: 'x' });
  const s = await post(stranger);
  assert.deepEqual([s.status, s.body['reason']], [403, 'unknown_signer']);
  const human = await post(await draft(keys.human, 'Control_Terminate', { reason: 'x' }));
  assert.deepEqual([human.status, human.body['reason']], [403, 'signer_not_authorized']);
  const bad = await post(await draft(keys.op, 'Control_Terminate', { reason: '' }));
  assert.deepEqual([bad.status, bad.body['reason']], [422, 'inputs_schema_invalid']);
});

test('413 for an oversized body and for a record over the maximum size; 415 for a non-JSON body', async () => {
  const big = await post('{"pad":"' + 'x'.repeat(600 * 1024) + '"}');
  assert.deepEqual([big.status, big.body['reason']], [413, 'payload_too_large']);
  const evidence = Array.from({ length: 12 }, (_, i) => `ucxl://tester:qa@api:case/*^/${'e'.repeat(400)}${i}`);
  const record = await post(await draft(keys.op, 'Control_Terminate', { reason: 'x' }, { evidence }).then((p) => keys.op.signProposal({ ...p, evidence })));
  assert.deepEqual([record.status, record.body['reason']], [413, 'record_too_large']);
  const text = await call('POST', '/transition', '/transition', { headers: { 'content-type': 'text/plain' }, body: '{}' });
  assert.deepEqual([text.status, text.body['reason']], [415, 'unsupported_media_type']);
});

test('400 for invalid JSON and for an Idempotency-Key that differs from idem_key', async () => {
  const broken = await post('{"not json');
  assert.deepEqual([broken.status, broken.body['reason']], [400, 'invalid_json']);
  const p = await draft(keys.op, 'Control_Terminate', { reason: 'x' });
  const mismatch = await post(p, { 'Idempotency-Key': 'other' });
  assert.deepEqual([mismatch.status, mismatch.body['reason']], [400, 'idempotency_key_mismatch']);
});

test('GET /state projects sections case-insensitively and refuses unknown ones', async () => {
  const r = await call('GET', '/state?projection=Council,Ingestion,dedupe', '/state');
  assert.deepEqual(Object.keys(r.body['projection'] as object), ['council', 'ingestion', 'dedupe']);
  assert.equal((r.body['projection'] as { dedupe: { size: number } }).dedupe.size, 1);
  const bad = await call('GET', '/state?projection=Council,Nope', '/state');
  assert.deepEqual([bad.status, bad.body['reason']], [400, 'invalid_query']);
});

test('GET /health, /metrics, /capabilities', async () => {
  const health = await call('GET', '/health', '/health');
  assert.equal(health.body['status'], 'ok');
  const metrics = await call('GET', '/metrics', '/metrics');
  const text = String(metrics.body['text']);
  assert.match(text, /swoosh_transition_total\{transition="Boot_ConfigOk"\} 1/);
  assert.match(text, /swoosh_guard_fail_total\{guard="license_valid"\} 1/);
  assert.match(text, /swoosh_retry_total\{transition="Boot_ConfigOk"\} 1/);
  for (const name of ['swoosh_state_advance_latency_seconds', 'swoosh_quarantine_total', 'swoosh_recovery_time_seconds', 'swoosh_wal_lag_records', 'swoosh_disk_wal_fsync_duration_seconds', 'swoosh_wal_batch_size']) assert.match(text, new RegExp(`# TYPE ${name} `));
  const caps = await call('GET', '/capabilities', '/capabilities');
  const dedupe = (caps.body['features'] as { name: string; params: { retention_ms: number } }[]).find((f) => f.name === 'dedupe');
  assert.equal(dedupe?.params.retention_ms, 86_400_000);
});

test('GET /decisions pages the feed; /decisions/{id} finds a record by hash or bubble:// id; 404 and 400', async () => {
  const page = await call('GET', '/decisions?after=0&limit=1', '/decisions');
  const items = page.body['items'] as { index: number; decision: { id: string } }[];
  assert.equal(items.length, 1);
  assert.equal(page.body['next_after'], 1);
  const id = items[0]!.decision.id;
  const byHash = await call('GET', `/decisions/${id.slice('bubble://dr/'.length)}`, '/decisions/{id}');
  assert.equal((byHash.body['decision'] as { id: string }).id, id);
  const byAddress = await call('GET', `/decisions/${encodeURIComponent(id)}`, '/decisions/{id}');
  assert.equal(byAddress.status, 200);
  assert.equal((await call('GET', `/decisions/${h('missing')}`, '/decisions/{id}')).status, 404);
  assert.equal((await call('GET', '/decisions/xyz', '/decisions/{id}')).status, 400);
  assert.equal((await call('GET', '/decisions?limit=0', '/decisions')).status, 400);
  const unknown = await fetch(`${server.url}/nope`);
  assert.equal(unknown.status, 404);
});

test('503 once the replica stops accepting writes', async () => {
  const p = await draft(keys.op, 'Control_Terminate', { reason: 'x' });
  await replica.close();
  const r = await post(p);
  assert.deepEqual([r.status, r.body['reason']], [503, 'unavailable']);
  assert.equal(r.res.headers.get('retry-after'), '1');
});
