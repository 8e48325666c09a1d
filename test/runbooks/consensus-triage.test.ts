// Walks runbooks/consensus-triage.md against real 3-replica clusters, one section at a time, each in the state it
// describes: no leader (two of three replicas stopped), leader flapping (successive leaders stalled with SIGSTOP),
// a lagging follower (stalled while the leader compacts its log), and a divergence alarm (a replica built from
// another genesis).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestJson } from '../../src/core/digest.ts';
import type { Genesis } from '../../src/core/genesis.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { storeDir } from '../../src/storage/data-dir.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { hashesIn, Runbook, sample, type Background, type StepResult } from './runbook-steps.ts';

const book = Runbook.load('consensus-triage.md');

interface Health {
  readonly status: string;
  readonly consensus: {
    readonly role: string;
    readonly leader_id: string | null;
    readonly commit_index: number;
    readonly divergence: { index: number; peer: string; ours: string; theirs: string } | null;
    readonly peers: Record<string, { presence: string; match_index: number | null }>;
  };
}

interface Page {
  readonly items: readonly { readonly index: number; readonly decision: { readonly outcome: string; readonly code: string | null; readonly state_post_hash: string } }[];
}

/**
 * Starts the stopped replica a `swoosh serve --data DIR/ID` line names; resolves once it knows a leader. With
 * `stopFirst`, it first stops the running process (the runbook's "after stopping its process").
 */
function serveHook(cluster: LocalCluster, dir: string, after?: () => Promise<unknown>, stopFirst = false): Background {
  return async (argv) => {
    assert.equal(argv.length, 3, `the runbook serves a directory with no other flags: ${argv.join(' ')}`);
    assert.deepEqual(argv.slice(0, 2), ['serve', '--data'], `swoosh serve --data: ${argv.join(' ')}`);
    const id = basename(argv[2]!);
    assert.equal(argv[2], join(dir, id), 'it serves the replica\'s own directory');
    if (stopFirst) await cluster.kill(id);
    assert.ok(!cluster.alive(id), `${id} was stopped before the runbook starts it`);
    await cluster.start(id);
    await until(`${id} knows a leader`, async () => (await cluster.health(id))?.consensus.leader_id != null, 15_000);
    await after?.();
  };
}

function writer(dir: string, prefix: string) {
  const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
  assert.ok(k.ok, 'the license-adapter key parses');
  let n = 0;
  return (url: string, maxAttempts = 20) => {
    const i = n++;
    const inputs = { verdict: 'valid', verdict_hash: digestJson({ prefix, i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
    return propose({ url, secretKey: k.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@ct:license/*^/verdict'], idemKey: `${prefix}:${i}`, maxAttempts });
  };
}

/** The rows of `swoosh endpoint status -w table`: id → [leader, role, term, commit, applied]. */
function statusRows(r: StepResult, re = /endpoint status/): Map<string, { leader: string; role: string; term: number; commit: number; applied: number }> {
  const rows = new Map<string, { leader: string; role: string; term: number; commit: number; applied: number }>();
  for (const m of r.of(re).stdout.matchAll(/\| (r\d) +\| (r\d|-) +\| (\w+) +\| (\d+) +\| (\d+) +\| (\d+) +\|/g)) {
    rows.set(m[1]!, { leader: m[2]!, role: m[3]!, term: Number(m[4]), commit: Number(m[5]), applied: Number(m[6]) });
  }
  return rows;
}

// The two clusters run side by side: most of each test is waiting for elections, catch-up and CLI processes.
describe('consensus-triage.md', { concurrency: true }, () => {
  let finished = 0;
  // Only when both tests ran to the end (not under --test-name-pattern, and a failure is reported by its test).
  after(() => {
    if (finished === 2) assert.deepEqual(book.unwalked(), [], 'every step of the runbook ran in the tests above');
  });

  test('no leader, leader flapping, lagging follower', { timeout: 150_000 }, async () => {
    assert.deepEqual(book.undeclared(), [], 'every variable a step uses is declared in the vars block');
    const dir = mkdtempSync(join(tmpdir(), 'swoosh-runbook-triage-'));
    // Snapshots every 20 entries, 5 kept behind, so a follower stalled for 35 entries needs the leader's snapshot.
    const cluster = await LocalCluster.create(dir, 3, ['--log-level', 'warn', '--snapshot-every', '20', '--log-tail-kept', '5']);
    try {
      const write = writer(dir, 'ct');
      const url = (id: string) => cluster.member(id).http;
      const base = { DIR: dir, SWOOSH_ENDPOINTS: cluster.urls.join(','), URL: '', LEADER_URL: '', ID: '', TO: '', PEER_URL: '', BEFORE: '0', FLAGGED: '' };
      const first = await cluster.leader();
      for (let i = 0; i < 5; i++) assert.equal((await write(url(first))).status, 202, `write ${i}`);

      // --- No leader: two of the three replicas are stopped.
      const [down1, survivor] = cluster.ids.filter((id) => id !== first) as [string, string];
      await cluster.kill(first);
      await cluster.kill(down1);
      await until(`${survivor} has no leader`, async () => (await cluster.health(survivor))?.consensus.leader_id === null, 10_000);
      const v1 = { ...base, URL: url(survivor), ID: first };
      const background = serveHook(cluster, dir);
      const run = (step: string, vars: Record<string, string>) => book.run(step, vars, { cwd: dir, background });

      const overview = await run('overview', v1);
      assert.equal(overview.of(/endpoint status/).code, 1, `status fails with two replicas down\n${overview}`);
      assert.equal(statusRows(overview).get(survivor)?.leader, '-', `the survivor's LEADER is empty\n${overview}`);
      assert.equal(overview.of(/endpoint health/).code, 1, `health fails\n${overview}`);
      assert.match(overview.of(/endpoint health/).stdout, new RegExp(`${url(survivor)} +\\| true +\\| degraded`), `the survivor is degraded\n${overview}`);

      const noLeader = await run('no-leader', v1);
      assert.equal(sample(noLeader.of(/metrics/).stdout, 'swoosh_server_has_leader'), 0, `swoosh_server_has_leader is 0\n${noLeader}`);
      const h = JSON.parse(noLeader.of(/\/health/).stdout) as Health;
      assert.equal(h.consensus.leader_id, null, `no leader_id\n${noLeader}`);
      assert.equal(h.status, 'degraded', `status degraded\n${noLeader}`);
      assert.ok(['precandidate', 'candidate'].includes(h.consensus.role), `the survivor campaigns (${h.consensus.role})\n${noLeader}`);
      assert.equal((noLeader.of(/member list/).stdout.match(/\| voter +\|/g) ?? []).length, 3, `three voters: two must run\n${noLeader}`);
      const read = await fetch(`${url(survivor)}/state?projection=boot`);
      assert.deepEqual([read.status, ((await read.json()) as { reason: string }).reason], [503, 'no_leader'], 'linearizable reads answer 503 no_leader');
      const post = await fetch(`${url(survivor)}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.deepEqual([post.status, ((await post.json()) as { reason: string }).reason], [503, 'no_leader'], 'writes answer 503 no_leader');
      assert.equal((await fetch(`${url(survivor)}/state?projection=boot&consistency=stale`)).status, 200, 'stale reads still answer');

      const fix1 = await run('no-leader-fix', v1);
      const rows1 = statusRows(fix1);
      assert.equal(rows1.size, 2, `two replicas answer after the first restart\n${fix1}`);
      assert.equal(new Set([...rows1.values()].map((r) => r.leader)).size, 1, `they agree on a leader\n${fix1}`);
      assert.ok(![...rows1.values()].some((r) => r.leader === '-'), `a leader is elected with two of three\n${fix1}`);
      // The same step for the other stopped voter ("once per stopped voter"), without the status check again.
      await cluster.start(down1);
      await cluster.converged(20_000);

      // --- Leader flapping: the leader stalls past the election timeout, twice (two different replicas).
      const metricsOf = async (id: string) => (await (await fetch(`${url(id)}/metrics`)).text());
      let leader = await cluster.leader();
      const before = new Map(await Promise.all(cluster.ids.map(async (id) => [id, await metricsOf(id)] as const)));
      const stalled: string[] = [];
      for (let round = 0; round < 2; round++) {
        const victim = leader;
        stalled.push(victim);
        cluster.pause(victim);
        const watcher = cluster.ids.find((id) => id !== victim)!;
        await until(`a new leader replaces the stalled ${victim}`, async () => {
          const hv = await cluster.health(watcher);
          return hv !== null && hv.consensus.leader_id !== null && hv.consensus.leader_id !== victim;
        }, 15_000);
        cluster.resume(victim);
        leader = await cluster.leader();
      }
      assert.equal(new Set(stalled).size, 2, `two different leaders stalled: ${stalled.join(', ')}`);
      // The replica that was never stalled saw both changes.
      const healthy = cluster.ids.find((id) => !stalled.includes(id))!;
      const observer = healthy;
      // A leader elected a moment ago has no heartbeat round trip measured yet: the runbook reads a settled one.
      for (let i = 0; i < 100; i++) {
        const m = await (await fetch(`${url(leader)}/metrics`)).text();
        if (/^swoosh_network_peer_round_trip_time_seconds_count\{peer="r\d"\} [1-9]/m.test(m)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const flapping = await run('flapping', { ...base, URL: url(observer), LEADER_URL: url(leader) });
      const after = flapping.of(/leader_changes_seen_total/).stdout;
      const was = before.get(observer)!;
      const seen = sample(after, 'swoosh_server_leader_changes_seen_total') - sample(was, 'swoosh_server_leader_changes_seen_total');
      assert.ok(seen >= 2, `${observer} counted at least two leader changes (${seen})\n${flapping}`);
      assert.ok(sample(after, 'swoosh_raft_term') >= sample(was, 'swoosh_raft_term') + 2, `the term rose with each election\n${flapping}`);
      const leaderMetrics = flapping.of(/fsync/).stdout;
      assert.ok(sample(leaderMetrics, 'swoosh_disk_wal_fsync_duration_seconds_count') > 0, `the leader reports fsync durations\n${flapping}`);
      assert.match(leaderMetrics, /^swoosh_network_peer_round_trip_time_seconds_count\{peer="r\d"\} \d+/m, `and heartbeat round trips per peer\n${flapping}`);
      assert.ok(Object.values((JSON.parse(flapping.of(/\/health/).stdout) as Health).consensus.peers).every((p) => p.presence === 'ok'), `the leader hears every peer again\n${flapping}`);

      const flapFix = await run('flapping-fix', { ...base, TO: healthy });
      assert.equal(flapFix.of(/leader transfer/).code, 0, `leadership moves to ${healthy}\n${flapFix}`);
      const rows3 = statusRows(flapFix);
      assert.ok([...rows3.values()].every((r) => r.leader === healthy), `every row names ${healthy} as LEADER\n${flapFix}`);
      leader = healthy;

      // --- Lagging follower: a follower stalls while the leader takes 35 writes and compacts its log.
      const lagging = cluster.ids.find((id) => id !== leader)!;
      cluster.pause(lagging);
      for (let i = 0; i < 35; i++) assert.equal((await write(url(leader))).status, 202, `write while ${lagging} lags`);
      await until(`the leader sees ${lagging} offline`, async () => ((await (await fetch(`${url(leader)}/health`)).json()) as Health).consensus.peers[lagging]?.presence === 'offline', 10_000);
      const lagVars = { ...base, URL: url(lagging), LEADER_URL: url(leader), ID: lagging };
      const lag = await run('lagging', lagVars);
      const lagStatus = lag.of(/endpoint status/);
      assert.equal(lagStatus.code, 1, `status fails: the stalled follower does not answer\n${lag}`);
      assert.match(lagStatus.stderr, new RegExp(`${url(lagging)} is unhealthy`), `it names the stalled follower\n${lag}`);
      const lh = (JSON.parse(lag.of(/\/health/).stdout) as Health).consensus;
      assert.equal(lh.peers[lagging]?.presence, 'offline', `the leader sees ${lagging} offline\n${lag}`);
      assert.ok((lh.peers[lagging]?.match_index ?? Infinity) < lh.commit_index - 30, `its match_index trails commit_index\n${lag}`);
      assert.ok(Number.isFinite(sample(lag.of(/snapshot_sent/).stdout, 'swoosh_snapshot_sent_total')), `the leader reports snapshots sent\n${lag}`);

      // "Stop the process and start it again": the stalled process is killed, then the runbook starts it.
      await cluster.kill(lagging);
      const lagFix = await book.run('lagging-fix', lagVars, { cwd: dir, background: serveHook(cluster, dir, () => cluster.converged(30_000)) });
      const hashes = hashesIn(lagFix.of(/endpoint hash/).stdout);
      assert.equal(hashes.length, 3, `three replicas report a hash\n${lagFix}`);
      assert.equal(new Set(hashes).size, 1, `the follower caught up: one state hash\n${lagFix}`);
      assert.ok(sample(lagFix.of(/snapshot_installed/).stdout, 'swoosh_snapshot_installed_total') >= 1, `it caught up by installing the leader's snapshot\n${lagFix}`);
      finished++;
    } finally {
      await cluster.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('divergence alarm', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swoosh-runbook-diverge-'));
    const cluster = await LocalCluster.prepare(dir, { replicas: 3, serveArgs: ['--log-level', 'warn'] });
    try {
      // The state: r3 was built from a different genesis (another project's), so its state hash differs at every index.
      const store = await ReplicaStore.open(storeDir(join(dir, 'r3')));
      const genesis = (await store.readGenesis()) as Genesis;
      await store.writeGenesis({ ...genesis, project: 'another-project' });
      await store.close();
      await cluster.start('r1');
      await cluster.start('r2');
      const leader = await cluster.leader();
      const other = leader === 'r1' ? 'r2' : 'r1';
      const url = (id: string) => cluster.member(id).http;
      const write = writer(dir, 'dv');
      for (let i = 0; i < 3; i++) assert.equal((await write(url(leader))).status, 202, `write ${i} before r3 joins`);
      await cluster.start('r3');
      const health = async (id: string) => (await (await fetch(`${url(id)}/health`)).json()) as Health;
      await until('the leader and r3 raise the alarm, and r3 has applied the writes', async () => (await health(leader)).consensus.divergence !== null && (await health('r3')).consensus.divergence !== null && (await cluster.health('r3'))!.consensus.applied_index >= 4, 15_000);
      const refused = await write(url(other), 10);
      assert.deepEqual([refused.status, refused.body['reason']], [503, 'diverged'], `a diverged leader refuses every write, forwarded ones too: ${JSON.stringify(refused.body)}`);

      const vars = { DIR: dir, SWOOSH_ENDPOINTS: cluster.urls.join(','), URL: url(leader), LEADER_URL: url(leader), ID: 'r3', TO: other, PEER_URL: url('r3'), BEFORE: '0', FLAGGED: leader };
      const run = (step: string, v: Record<string, string> = vars) => book.run(step, v, { cwd: dir, background: serveHook(cluster, dir, undefined, true) });
      const d = await run('divergence');
      const hc = d.of(/endpoint health/);
      assert.equal(hc.code, 1, `health fails\n${d}`);
      for (const id of [leader, 'r3']) assert.match(hc.stderr, new RegExp(`${url(id)} is unhealthy`), `${id} raised the alarm\n${d}`);
      const rows = [...d.of(/endpoint hash/).stdout.matchAll(/\| (http:\/\/\S+) +\| \d+ +\| (sha256-[0-9a-f]{64}) +\|/g)];
      const hashOf = (id: string) => rows.find((m) => m[1] === url(id))?.[2];
      assert.equal(rows.length, 3, `three hashes\n${d}`);
      assert.equal(hashOf(leader), hashOf(other), `${leader} and ${other} agree\n${d}`);
      assert.notEqual(hashOf('r3'), hashOf(leader), `r3 is the odd one\n${d}`);
      const div = (JSON.parse(d.of(/curl -s \$URL\/health/).stdout) as Health).consensus.divergence;
      assert.equal(div?.peer, 'r3', `the leader names r3 as the peer it diverged from\n${d}`);
      assert.equal(div?.index, 0, `at index 0: the genesis differs\n${d}`);
      assert.equal(sample(d.of(/divergence_detected/).stdout, 'swoosh_divergence_detected'), 1, `swoosh_divergence_detected is 1\n${d}`);
      const ours = (JSON.parse(d.of(/\$URL\/decisions/).stdout) as Page).items[0];
      const theirs = (JSON.parse(d.of(/\$PEER_URL\/decisions/).stdout) as Page).items[0];
      assert.ok(ours !== undefined && theirs !== undefined && ours.index === theirs.index, `both replicas have a record at the same index\n${d}`);
      assert.notEqual(ours.decision.state_post_hash, theirs.decision.state_post_hash, `and their post hashes differ\n${d}`);
      assert.deepEqual([theirs.decision.outcome, theirs.decision.code], ['rejected', 'stale_state_hash'], `on r3 the leader's entries do not even apply\n${d}`);
      const projects = [d.of(/\$URL\/genesis/), d.of(/\$PEER_URL\/genesis/)].map((r) => (JSON.parse(r.stdout) as Genesis).project);
      assert.deepEqual(projects, [genesis.project, 'another-project'], `the genesis documents differ\n${d}`);

      // Stop the wrong replica and move its directory aside (the runbook's manual step).
      await cluster.kill('r3');
      renameSync(join(dir, 'r3'), join(dir, 'r3.diverged'));
      const fix = await run('divergence-fix');
      assert.equal(fix.of(/member remove/).code, 0, `r3 is removed\n${fix}`);
      // The leader always exchanges messages with r3; the other replica only if r3 campaigned (timing), which it
      // may have done after the first look: the list is read again once r3 is stopped.
      const stillFailed = fix.of(/endpoint health/).stderr;
      const flagged = [other, leader].filter((id) => stillFailed.includes(`${url(id)} is unhealthy`));
      assert.ok(flagged.includes(leader), `the leader still reports the alarm\n${fix}`);
      // Each replica that raised the alarm, one at a time; leadership goes to the other one first.
      for (const f of flagged) {
        const to = f === leader ? other : leader;
        // With two voters, the restart costs the quorum: wait past the election that follows before going on.
        const settle = async () => {
          await cluster.leader();
          await sleep(1500); // longer than a check-quorum period: a leader that lost its quorum has stepped down
          await cluster.leader();
        };
        const restart = await book.run('divergence-restart', { ...vars, FLAGGED: f, TO: to }, { cwd: dir, background: serveHook(cluster, dir, settle, true) });
        assert.equal(restart.of(/leader transfer/).code, 0, `leadership moves to ${to}\n${restart}`);
        const rows = statusRows(restart);
        assert.equal(rows.size, 2, `two replicas answer\n${restart}`);
        assert.equal(new Set([...rows.values()].map((r) => r.leader)).size, 1, `one LEADER on every row\n${restart}`);
        assert.equal((await health(f)).consensus.divergence, null, `${f} restarted without the alarm`);
      }
      const verify = await run('divergence-verify');
      assert.equal(verify.of(/endpoint health/).code, 0, `every member is healthy: the alarm is gone\n${verify}`);
      const after = hashesIn(verify.of(/endpoint hash/).stdout);
      assert.equal(after.length, 2, `two members\n${verify}`);
      assert.equal(new Set(after).size, 1, `one state hash\n${verify}`);
      assert.equal((await write(url(leader))).status, 202, 'the cluster takes writes again');
      finished++;
    } finally {
      await cluster.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await sleep(100);
  }
}
