// The cluster runtime in-process, against a scripted peer on the real transport: divergence detection, and
// snapshot chunk reassembly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { initCluster, openClusterReplica } from '../../src/cli/cluster-commands.ts';
import { freePorts } from '../../src/node/free-ports.ts';
import { createLogger } from '../../src/node/logger.ts';
import { SnapshotAssembler, splitSnapshot } from '../../src/node/snapshot-chunks.ts';
import { peerIdentity } from '../../src/node/cluster-config.ts';
import type { Message } from '../../src/raft/types.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { PeerTransport } from '../../src/transport/peer-transport.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

const quiet = createLogger({ level: 'silent' });

test('a peer reporting another hash for an index this replica applied stops its writes', { timeout: 60_000 }, async () => {
  const dir = tempDir('divergence');
  const ports = await freePorts(6);
  const cluster = await initCluster(dir, { replicas: 3, host: '127.0.0.1', httpPorts: ports.slice(0, 3), raftPorts: ports.slice(3) });
  const r1 = await openClusterReplica(join(dir, 'r1'), quiet, {});
  const k2 = parseKeyFile(JSON.parse(readFileSync(join(dir, 'r2', 'node.key'), 'utf8')));
  assert.ok(k2.ok, 'r2 key parses');
  // r2 is played by a bare transport with r2's real identity: frames from it are authenticated.
  const fake = await PeerTransport.start({ self: peerIdentity(cluster.members[1]!), key: new SigningKey(k2.secret), peers: [peerIdentity(cluster.members[0]!)], onMessage: () => {}, logger: quiet });
  try {
    const heartbeat: Message = { type: 'heartbeat', from: 'r2', to: 'r1', term: 1, commit: 0 };
    fake.send('r1', { raft: heartbeat, applied: [0, r1.stateHash] });
    await sleep(500);
    assert.equal((r1.health()['consensus'] as { divergence: unknown }).divergence, null, 'the same hash at the same index is agreement');
    const theirs = `sha256-${'0'.repeat(64)}`;
    fake.send('r1', { raft: heartbeat, applied: [0, theirs] });
    let divergence: { index: number; peer: string; ours: string; theirs: string } | null = null;
    for (let i = 0; i < 50 && divergence === null; i++) {
      await sleep(100);
      divergence = (r1.health()['consensus'] as { divergence: typeof divergence }).divergence;
    }
    assert.deepEqual(divergence, { index: 0, peer: 'r2', ours: r1.stateHash, theirs });
    assert.equal(r1.health()['status'], 'failed');
    const refused = await r1.submit({});
    assert.equal(refused.kind === 'refused' && refused.code, 'diverged', 'writes are refused once diverged');
    assert.match(await r1.metrics.registry.metrics(), /^swoosh_divergence_detected 1$/m);
  } finally {
    await fake.close();
    await r1.close();
  }
  cleanup(dir);
});

test('snapshot chunks reassemble in order; a gap, an abandoned send, an oversize stream or a missing message is dropped', () => {
  const data = new Uint8Array(10_000).map((_, i) => i % 251);
  const m: Message = { type: 'snap', from: 'r1', to: 'r2', term: 3, snapshot: { meta: { index: 40, term: 2, conf: { voters: ['r1', 'r2'], learners: [] } }, data } };
  const { chunks, head } = splitSnapshot(m, 3000, 1);
  assert.equal(chunks.length, 4);
  assert.equal(head.snapshot!.data.length, 0, 'the message travels without its data');
  const a = new SnapshotAssembler(1_000_000);
  let out: Message | null = null;
  for (const [i, c] of chunks.entries()) {
    const r = a.add('r1', c, i === chunks.length - 1 ? head : undefined);
    assert.ok(r.ok, `chunk ${i} accepted`);
    out = r.message;
  }
  assert.ok(out?.snapshot?.data !== undefined && Buffer.from(out.snapshot.data).equals(Buffer.from(data)), 'the reassembled data is the original');
  assert.deepEqual(out?.snapshot?.meta, m.snapshot!.meta);

  const gap = new SnapshotAssembler(1_000_000);
  assert.ok(gap.add('r1', chunks[0]!, undefined).ok, 'first chunk');
  assert.equal(gap.add('r1', chunks[2]!, undefined).ok, false, 'a missing chunk drops the stream');
  assert.equal(gap.add('r1', chunks[3]!, head).ok, false, 'and nothing after it completes');
  const retry = splitSnapshot(m, 3000, 2);
  const fresh = new SnapshotAssembler(1_000_000);
  fresh.add('r1', chunks[0]!, undefined);
  assert.ok(fresh.add('r1', retry.chunks[0]!, undefined).ok, 'a resend restarts the sequence');
  assert.equal(fresh.add('r1', chunks[1]!, undefined).ok, false, 'chunks of the abandoned send no longer fit');
  const small = new SnapshotAssembler(5000);
  small.add('r1', chunks[0]!, undefined);
  assert.equal(small.add('r1', chunks[1]!, undefined).ok, false, 'a stream over the size limit is dropped');
  const headless = new SnapshotAssembler(1_000_000);
  for (const c of chunks.slice(0, -1)) headless.add('r1', c, undefined);
  assert.equal(headless.add('r1', chunks[3]!, undefined).ok, false, 'the last chunk must carry its message');
});
