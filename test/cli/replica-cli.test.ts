// init, serve, propose and doctor as processes: the newcomer's path, log lines, and refusal on a corrupt WAL.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { storeDir } from '../../src/storage/data-dir.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { indexKey, KEYS } from '../../src/storage/storage-keys.ts';
import { killHard, startServe, swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

const dir = tempDir('cli-replica');
after(() => cleanup(dir));
const ZERO = `sha256-${'0'.repeat(64)}`;

test('init writes a genesis, a key per role (0600), and refuses a non-empty directory', () => {
  const r = swooshSync('init', '--data', dir, '--project', 'demo');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { operator_key: string; keys: Record<string, string>; state_hash: string };
  assert.equal(statSync(out.operator_key).mode & 0o777, 0o600);
  assert.ok(Object.keys(out.keys).length >= 10, 'Object.keys(out.keys).length >= 10');
  assert.equal((JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { project: string }).project, 'demo');
  const again = swooshSync('init', '--data', dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /not empty/);
});

test('serve + propose: a signed transition gets 202 and is logged with hashes, hlc and window, without secrets', async () => {
  const server = await startServe(dir);
  try {
    const ok = swooshSync('propose', '--url', server.url, '--key', join(dir, 'keys', 'operator.key'), '--transition', 'Boot_ConfigOk', '--inputs', JSON.stringify({ config_hash: ZERO }));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { http_status: number }).http_status, 202);
    const token = 'kaching-SECRET-token-value';
    const lic = swooshSync('propose', '--url', server.url, '--key', join(dir, 'keys', 'license-adapter.key'), '--transition', 'License_RecordVerdict', '--inputs', JSON.stringify({ verdict: 'valid', verdict_hash: ZERO, valid_until: '2099-01-01T00:00:00.000+00:00#0', grace_ms: 0, token }));
    assert.equal(lic.code, 0, lic.stdout);
    const denied = swooshSync('propose', '--url', server.url, '--key', join(dir, 'keys', 'reviewer-1.key'), '--transition', 'Boot_Licensed', '--inputs', JSON.stringify({ verdict_hash: ZERO }));
    assert.equal(denied.code, 1);
    assert.equal((JSON.parse(denied.stdout) as { reason: string }).reason, 'signer_not_authorized');
    const status = swooshSync('endpoint', 'status', '--endpoints', server.url);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /\| ENDPOINT .*STATE HASH/);
    assert.match(status.stdout, /leader/);
    const hash = JSON.parse(swooshSync('endpoint', 'hash', '--endpoints', server.url, '-w', 'json').stdout) as { applied_index: number; state_hash: string }[];
    assert.equal(hash[0]?.applied_index, 2);
    assert.match(hash[0]?.state_hash ?? '', /^sha256-/);
    const down = swooshSync('endpoint', 'health', '--endpoints', `${server.url},http://127.0.0.1:1`);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /127\.0\.0\.1:1 is unhealthy/);
    const unreachable = swooshSync('propose', '--url', 'http://127.0.0.1:1', '--key', join(dir, 'keys', 'operator.key'), '--transition', 'Boot_ConfigOk', '--inputs', '{}');
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /cannot reach/);
  } finally {
    await killHard(server);
  }
  const lines = server.output().split('\n').filter((l) => l.startsWith('{'));
  const transitions = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['event'] === 'transition');
  assert.equal(transitions.length, 2);
  for (const t of transitions) for (const field of ['state_pre_hash', 'state_post_hash', 'transition', 'hlc', 'window_id']) assert.ok(field in t, `log line lacks ${field}`);
  assert.doesNotMatch(server.output(), /kaching-SECRET-token-value/);
  assert.doesNotMatch(server.output(), /secret_key/);
  const doctor = swooshSync('doctor', '--data', dir);
  assert.equal(doctor.code, 0, doctor.stdout);
  assert.match(doctor.stderr, /doctor: healthy/);
  // The whole WAL re-verified from genesis: every signature, the same final hash the replica served.
  const replay = swooshSync('replay', '--data', dir, '--verify-signatures');
  assert.equal(replay.code, 0, replay.stderr);
  const report = JSON.parse(replay.stdout) as { entries: number; accepted: number; rejected: number; final_state_hash: string };
  assert.deepEqual([report.entries, report.accepted, report.rejected], [2, 2, 0]);
  assert.equal(report.final_state_hash, (JSON.parse(doctor.stdout) as { live: { state_hash: string } }).live.state_hash);
});

test('serve refuses a WAL corrupt mid-log, naming the index; doctor exits 1', async () => {
  const server = await startServe(dir);
  for (let i = 0; i < 3; i++) {
    const r = swooshSync('propose', '--url', server.url, '--key', join(dir, 'keys', 'mcp-adapter.key'), '--transition', 'Mcp_RecordHealth', '--inputs', JSON.stringify({ registry: 'reg', reachable: true, probe_hash: ZERO, pins: [] }));
    assert.equal(r.code, 0, r.stdout);
  }
  await killHard(server);
  const store = await ReplicaStore.open(storeDir(dir));
  const bytes = Uint8Array.from((await store.getRaw(indexKey(KEYS.log, 3)))!);
  bytes[30] = bytes[30]! ^ 0x01;
  await store.putRaw(indexKey(KEYS.log, 3), bytes);
  await store.close();
  const serve = swooshSync('serve', '--data', dir, '--port', '0');
  assert.equal(serve.code, 1);
  assert.match(serve.stderr, /WAL corrupt at index 3/);
  const doctor = swooshSync('doctor', '--data', dir);
  assert.equal(doctor.code, 1);
  assert.equal(swooshSync('doctor', '--data', join(dir, 'nope')).code, 2);
});
