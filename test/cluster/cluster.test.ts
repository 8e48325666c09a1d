// A real 3-replica cluster (processes, TCP, LevelDB): writes through any replica, kill -9 of the leader under
// load, restart, and convergence to one state hash with no acknowledged transition lost.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { Prng } from '../../src/core/prng.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

interface FeedItem {
  readonly index: number;
  readonly decision: { readonly idem_key: string; readonly state_post_hash: string };
}

async function allDecisions(url: string): Promise<FeedItem[]> {
  const out: FeedItem[] = [];
  let after = 0;
  for (;;) {
    const page = (await (await fetch(`${url}/decisions?after=${after}&limit=1000`)).json()) as { items: FeedItem[]; next_after: number | null };
    out.push(...page.items);
    if (page.next_after === null) return out;
    after = page.next_after;
  }
}

/** Polls the replica's /health until `peer`'s presence is `want` (or 10 s pass); returns the last seen. */
async function presenceOf(url: string, peer: string, want: string): Promise<string | null> {
  let seen: string | null = null;
  for (let i = 0; i < 100 && seen !== want; i++) {
    const h = (await (await fetch(`${url}/health`)).json()) as { consensus: { peers: Record<string, { presence: string }> } };
    seen = h.consensus.peers[peer]?.presence ?? null;
    if (seen !== want) await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

test(`a 3-replica cluster survives kill -9 of its leader under load ${seedNote()}`, { timeout: 180_000 }, async () => {
  const rng = new Prng(TEST_SEED);
  const dir = tempDir('cluster');
  const cluster = await LocalCluster.create(dir, 3);
  try {
    const key = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(key.ok, 'license-adapter key parses');
    const first = await cluster.leader();
    const followers = cluster.config.members.filter((m) => m.id !== first);

    // A request another replica already forwarded is not forwarded again: 421 names the leader.
    const loop = await fetch(`${followers[0]!.http}/transition`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-swoosh-forwarded': '1' }, body: '{}' });
    const loopBody = (await loop.json()) as { reason: string; leader_id: string };
    assert.equal(loop.status, 421, JSON.stringify(loopBody));
    assert.equal(loopBody.leader_id, first);

    const acked = new Map<string, number>();
    const sent = new Set<string>();
    let n = 0;
    let phase: 'before' | 'after' = 'before';
    let firstAckAfterKill: number | null = null;
    let killedAt = 0;
    let stop = false;
    // Each writer talks to one replica; followers forward to the leader.
    const writer = async (url: string): Promise<void> => {
      while (!stop) {
        const idemKey = `cluster:${++n}`;
        sent.add(idemKey);
        const inputs = { verdict: 'valid', verdict_hash: digestJson({ idemKey }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
        let r;
        try {
          r = await propose({ url, secretKey: key.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@cluster:license/*^/verdict'], idemKey, maxAttempts: 50 });
        } catch {
          await new Promise((res) => setTimeout(res, 100)); // that replica is down: the outcome is unknown, which is allowed
          continue;
        }
        if (r.status === 202) {
          acked.set(idemKey, r.body['index'] as number);
          if (phase === 'after' && firstAckAfterKill === null) firstAckAfterKill = Date.now();
        } else if (r.status === 503 || r.status === 400) {
          await new Promise((res) => setTimeout(res, 50)); // no leader yet, or contention outlasted the retries
        } else {
          assert.fail(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    };
    const writers = cluster.urls.map((u) => writer(u));
    await new Promise((r) => setTimeout(r, rng.int(1500, 3000)));
    const ackedBeforeKill = acked.size;
    killedAt = Date.now();
    await cluster.kill(first);
    // Only answers that arrive once the old leader is gone count as served by the new one.
    phase = 'after';
    const second = await cluster.leader(30_000);
    const electedAfterMs = Date.now() - killedAt;
    assert.notEqual(second, first, 'a new leader was elected');
    await new Promise((r) => setTimeout(r, 2000));
    // The new leader counts missed heartbeats from the dead one: offline after 4.
    assert.equal(await presenceOf(cluster.member(second).http, first, 'offline'), 'offline', `the new leader reports ${first} offline`);
    await cluster.start(first);
    assert.equal(await presenceOf(cluster.member(second).http, first, 'ok'), 'ok', `the new leader reports ${first} ok once it is back`);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(writers);
    assert.ok(ackedBeforeKill > 5, `only ${ackedBeforeKill} writes acknowledged before the kill`);
    assert.ok(firstAckAfterKill !== null, 'writes were acknowledged again after the leader was killed');

    const views = await cluster.converged(30_000);
    assert.equal(views.length, 3, 'all three replicas report health');
    const feeds = await Promise.all(cluster.urls.map(allDecisions));
    for (const [i, feed] of feeds.entries()) {
      const present = new Map(feed.map((d) => [d.decision.idem_key, d.index]));
      // The restarted replica recovered its own decision records and applied the rest: no gaps either way.
      for (const [idem, index] of acked) assert.equal(present.get(idem), index, `replica ${cluster.config.members[i]!.id}: acknowledged ${idem} at ${index} is missing ${seedNote()}`);
      for (const idem of present.keys()) assert.ok(sent.has(idem), `${idem} was applied but never sent`);
      assert.equal(present.size, feed.length, 'an idem_key was applied twice');
      assert.equal(feed[feed.length - 1]!.decision.state_post_hash, views[0]!.state_hash, 'the newest decision record carries the converged hash');
    }
    // Linearizable reads on every replica see the same state.
    const reads = await Promise.all(cluster.urls.map(async (u) => (await (await fetch(`${u}/state?projection=boot`)).json()) as { hash: string; index: number }));
    for (const r of reads) assert.equal(r.hash, views[0]!.state_hash, 'a linearizable read returns the converged state');
    // Consensus metrics, named as etcd's, and lint-clean for Prometheus (when promtool is installed).
    const REQUIRED = ['swoosh_server_has_leader', 'swoosh_server_is_leader', 'swoosh_server_leader_changes_seen_total', 'swoosh_server_proposals_committed_total', 'swoosh_server_proposals_applied_total', 'swoosh_server_proposals_failed_total', 'swoosh_server_proposals_pending', 'swoosh_disk_wal_fsync_duration_seconds', 'swoosh_network_peer_round_trip_time_seconds', 'swoosh_network_peer_sent_failures_total', 'swoosh_raft_term', 'swoosh_build_info', 'swoosh_snapshot_sent_total', 'swoosh_snapshot_installed_total'];
    const leaderMetrics = await (await fetch(`${cluster.member(second).http}/metrics`)).text();
    for (const name of REQUIRED) assert.match(leaderMetrics, new RegExp(`^# TYPE ${name} `, 'm'), `/metrics exposes ${name}`);
    assert.match(leaderMetrics, /^swoosh_server_is_leader 1$/m, 'the leader says it leads');
    assert.match(leaderMetrics, /^swoosh_network_peer_round_trip_time_seconds_count\{peer="r\d"\} [1-9]/m, 'the leader measured heartbeat round trips');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: leaderMetrics, encoding: 'utf8' });
    if (promtool.error === undefined) assert.equal(promtool.status, 0, `promtool: ${promtool.stdout}${promtool.stderr}`);
    process.stdout.write(`# leader ${first} killed: new leader ${second} elected after ${electedAfterMs} ms, first write acknowledged after ${firstAckAfterKill! - killedAt} ms; ${acked.size} writes acknowledged\n`);
  } finally {
    await cluster.stop();
  }
  for (const m of cluster.config.members) {
    const doctor = swooshSync('doctor', '--data', join(dir, m.id));
    assert.equal(doctor.code, 0, `doctor on ${m.id}: ${doctor.stdout}${doctor.stderr}`);
  }
  cleanup(dir);
});
