// A follower that was down while the leader compacted its log catches up by InstallSnapshot, sent in chunks
// over the real transport, verified, and installed; afterwards it agrees with the others and its doctor passes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

const metric = async (url: string, name: string): Promise<number> => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 'NaN');

test('a lagging follower installs a chunked leader snapshot', { timeout: 180_000 }, async () => {
  const dir = tempDir('catchup');
  // Snapshot every 20 entries, keep 5 behind it, 4 KiB chunks: a follower down for 60 entries needs a snapshot.
  const cluster = await LocalCluster.create(dir, 3, ['--log-level', 'info', '--snapshot-every', '20', '--log-tail-kept', '5', '--snapshot-chunk-bytes', '4096']);
  try {
    const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(k.ok, 'key parses');
    const leader = await cluster.leader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    await cluster.kill(lagging);
    const url = cluster.member(leader).http;
    for (let i = 0; i < 60; i++) {
      const inputs = { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
      const r = await propose({ url, secretKey: k.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@c:license/*^/verdict'], idemKey: `c:${i}` });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    await cluster.start(lagging);
    const views = await cluster.converged(30_000);
    assert.equal(views.length, 3, 'all three agree');
    const installed = await metric(cluster.member(lagging).http, 'swoosh_snapshot_installed_total');
    assert.ok(installed >= 1, `the lagging follower installed a snapshot (${installed})`);
    assert.ok((await metric(url, 'swoosh_snapshot_sent_total')) >= 1, 'the leader sent one');
    const sent = /"event":"snapshot_sent".*?"chunks":(\d+)/.exec(cluster.output(leader));
    assert.ok(sent !== null && Number(sent[1]) > 1, `the snapshot went in several chunks: ${sent?.[0] ?? 'no snapshot_sent log line'}`);
    assert.doesNotMatch(cluster.output(lagging), /snapshot_chunk_dropped/, 'no chunk was dropped');
  } finally {
    await cluster.stop();
  }
  for (const id of cluster.ids) {
    const doctor = swooshSync('doctor', '--data', join(dir, id));
    assert.equal(doctor.code, 0, `doctor on ${id}: ${doctor.stdout}${doctor.stderr}`);
  }
  cleanup(dir);
});
