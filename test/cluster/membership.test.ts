// Operator commands against a real cluster: add a learner, let it catch up, promote it, hand it leadership,
// remove an original member; unsigned or non-admin requests are refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { signAdminRequest } from '../../src/api/admin-request.ts';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { freePorts } from '../../src/node/free-ports.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

function keyAt(dir: string, name: string): SigningKey {
  const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', `${name}.key`), 'utf8')));
  assert.ok(k.ok, `${name} key parses`);
  return new SigningKey(k.secret);
}

test('member add --learner, promote, leader transfer and remove on a live cluster', { timeout: 180_000 }, async () => {
  const dir = tempDir('membership');
  const cluster = await LocalCluster.create(dir, 3);
  try {
    const leader = await cluster.leader();
    const endpoints = cluster.urls.join(',');
    const operatorKey = join(dir, 'keys', 'operator.key');
    const license = keyAt(dir, 'license-adapter');
    for (let i = 0; i < 20; i++) {
      const inputs = { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
      const r = await propose({ url: cluster.urls[i % 3]!, secretKey: license.seed, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@m:license/*^/verdict'], idemKey: `m:${i}` });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }

    // Admin requests must be signed by an admin identity of this cluster.
    const members = (await (await fetch(`${cluster.urls[0]}/members`)).json()) as { cluster_id: string };
    const forged = signAdminRequest(license, members.cluster_id, 'member-remove', { id: 'r1' }, Date.now());
    const res = await fetch(`${cluster.urls[0]}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    assert.equal(res.status, 403, 'a non-admin signer is refused');
    const tampered = { ...signAdminRequest(keyAt(dir, 'operator'), members.cluster_id, 'member-remove', { id: 'r2' }, Date.now()), params: { id: 'r1' } };
    const res2 = await fetch(`${cluster.urls[1]}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tampered) });
    assert.equal(res2.status, 401, 'a request altered after signing is refused');

    const [raftPort, httpPort] = await freePorts(2);
    const newDir = join(dir, 'r4');
    const add = swooshSync('member', 'add', 'r4', '--learner', '--data', newDir, '--raft', `127.0.0.1:${raftPort}`, '--http', `http://127.0.0.1:${httpPort}`, '--key', operatorKey, '--endpoints', endpoints);
    assert.equal(add.code, 0, add.stderr + add.stdout);
    const again = swooshSync('member', 'add', 'r4', '--learner', '--data', join(dir, 'r4b'), '--raft', `127.0.0.1:${raftPort}`, '--http', `http://127.0.0.1:${httpPort}`, '--key', operatorKey, '--endpoints', endpoints);
    assert.equal(again.code, 1, `adding an existing member fails: ${again.stderr}`);
    await cluster.startExtra('r4', newDir);
    const caughtUp = await cluster.converged(30_000);
    assert.equal(caughtUp.length, 4, 'the learner reports the same applied index and hash as the voters');

    const promote = swooshSync('member', 'promote', 'r4', '--key', operatorKey, '--endpoints', endpoints);
    assert.equal(promote.code, 0, promote.stderr);
    const list = swooshSync('member', 'list', '-w', 'json', '--endpoints', endpoints);
    const view = JSON.parse(list.stdout) as { members: { id: string; voter: boolean; learner: boolean }[] };
    assert.deepEqual(view.members.map((m) => [m.id, m.voter]).sort(), [['r1', true], ['r2', true], ['r3', true], ['r4', true]]);

    const transfer = swooshSync('leader', 'transfer', 'r4', '--key', operatorKey, '--endpoints', endpoints);
    assert.equal(transfer.code, 0, transfer.stderr);
    assert.equal(await cluster.leader(), 'r4', 'r4 leads after the transfer');

    const remove = swooshSync('member', 'remove', leader, '--key', operatorKey, '--endpoints', cluster.urls.filter((u) => u !== cluster.member(leader).http).join(','));
    assert.equal(remove.code, 0, remove.stderr);
    await cluster.kill(leader);
    const after = JSON.parse(swooshSync('member', 'list', '-w', 'json', '--endpoints', cluster.member('r4').http).stdout) as { members: { id: string }[] };
    assert.deepEqual(after.members.map((m) => m.id).sort(), ['r1', 'r2', 'r3', 'r4'].filter((id) => id !== leader));
    // The smaller cluster still commits.
    const inputs = { verdict: 'valid', verdict_hash: digestJson({ after: true }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
    const w = await propose({ url: cluster.member('r4').http, secretKey: license.seed, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@m:license/*^/verdict'], idemKey: 'm:after' });
    assert.equal(w.status, 202, JSON.stringify(w.body));
  } finally {
    await cluster.stop();
  }
  cleanup(dir);
});
