// A cluster replica whose WAL is corrupt in the middle refuses to serve with a clear message and exit 1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { storeDir } from '../../src/storage/data-dir.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { indexKey, KEYS } from '../../src/storage/storage-keys.ts';
import { swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

test('cluster-mode serve on a WAL corrupt mid-log exits 1 naming the index, no stack trace', { timeout: 90_000 }, async () => {
  const dir = tempDir('serve-corrupt');
  const cluster = await LocalCluster.create(dir, 3);
  try {
    const key = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(key.ok, 'license-adapter key parses');
    await cluster.leader();
    for (let i = 0; i < 5; i++) {
      const inputs = { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
      const r = await propose({ url: cluster.urls[0]!, secretKey: key.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@cluster:license/*^/verdict'], idemKey: `corrupt:${i}`, maxAttempts: 20 });
      assert.equal(r.status, 202, `proposal ${i} accepted: ${JSON.stringify(r.body)}`);
    }
    await cluster.converged();
  } finally {
    await cluster.stop();
  }
  const store = await ReplicaStore.open(storeDir(join(dir, 'r1')));
  const k = indexKey(KEYS.log, 3);
  const bytes = Uint8Array.from((await store.getRaw(k))!);
  bytes[20] = bytes[20]! ^ 0xff;
  await store.putRaw(k, bytes);
  await store.close();
  const r = swooshSync('serve', '--data', join(dir, 'r1'), '--log-level', 'fatal');
  assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
  assert.match(r.stderr, /WAL corrupt at index 3/, 'stderr names the index');
  assert.match(r.stderr, /swoosh doctor --data/, 'and says how to inspect it');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  cleanup(dir);
});
