// snapshot save | inspect | restore: a saved file verifies, a damaged one is refused, and a cluster restored
// from it starts at the saved index and hash and takes new writes.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { killHard, startServe, swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

test('snapshot save, inspect and restore into a new cluster', { timeout: 120_000 }, async () => {
  const dir = tempDir('snapshot');
  const key = () => {
    const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'src', 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(k.ok, 'key parses');
    return k.secret;
  };
  const write = (url: string, i: number) =>
    propose({ url, secretKey: key(), transition: 'License_RecordVerdict', inputs: { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 }, evidence: ['ucxl://kaching:license_adapter@s:license/*^/verdict'], idemKey: `s:${i}` });
  const cluster = await LocalCluster.create(join(dir, 'src'), 3);
  const file = join(dir, 'saved.snap');
  let saved: { index: number; state_hash: string };
  try {
    await cluster.leader();
    for (let i = 0; i < 15; i++) assert.equal((await write(cluster.urls[i % 3]!, i)).status, 202, `write ${i}`);
    const save = swooshSync('snapshot', 'save', file, '--endpoints', cluster.urls[1]!);
    assert.equal(save.code, 0, save.stderr);
    saved = JSON.parse(save.stdout) as typeof saved;
    const head = (await (await fetch(`${cluster.urls[0]}/state?projection=boot`)).json()) as { hash: string; index: number };
    assert.equal(saved.state_hash, head.hash, 'the saved state is the applied state');
  } finally {
    await cluster.stop();
  }
  const inspect = swooshSync('snapshot', 'inspect', file, '-w', 'json');
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { index: number }).index, saved.index);

  const damaged = join(dir, 'damaged.snap');
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x40;
  writeFileSync(damaged, bytes);
  const bad = swooshSync('snapshot', 'inspect', damaged);
  assert.equal(bad.code, 1, 'a damaged file is refused');
  assert.match(bad.stderr, /checksum_mismatch/);

  const restored = join(dir, 'restored');
  const restore = swooshSync('snapshot', 'restore', file, '--data', restored, '--replicas', '1');
  assert.equal(restore.code, 0, restore.stderr);
  // Before its first write the restored replica has a snapshot and no decision records: that is its live state.
  const doctor = swooshSync('doctor', '--data', join(restored, 'r1'));
  assert.equal(doctor.code, 0, `doctor is healthy on a freshly restored replica: ${doctor.stdout}${doctor.stderr}`);
  const server = await startServe(join(restored, 'r1'), ['--log-level', 'warn']);
  try {
    let head = { hash: '', index: 0 };
    // The new leader's first (empty) entry comes right after the snapshot; it does not change the state.
    for (let i = 0; i < 100 && head.index === 0; i++) {
      const res = await fetch(`${server.url}/state?projection=boot`);
      if (res.ok) head = (await res.json()) as typeof head;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(head.index === saved.index || head.index === saved.index + 1, `the restored cluster starts at the saved index ${saved.index}, got ${head.index}`);
    assert.equal(head.hash, saved.state_hash, 'and with the saved state');
    assert.equal((await write(server.url, 100)).status, 202, 'it takes new writes signed with the original keys');
  } finally {
    await killHard(server);
  }
  cleanup(dir);
});
