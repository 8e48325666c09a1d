// Walks runbooks/replica-loss-recovery.md against a real 3-replica cluster: a follower's process dies (detect,
// restart, verify), then another follower's disk is lost while the leader compacts its log (replace it with a
// learner that catches up by snapshot, promote it, verify).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { freePorts } from '../../src/node/free-ports.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { hashesIn, Runbook, sample, type Background } from './runbook-steps.ts';

test('replica-loss-recovery.md: restart a dead replica, replace a lost one, verify', { timeout: 120_000 }, async () => {
  const book = Runbook.load('replica-loss-recovery.md');
  assert.deepEqual(book.undeclared(), [], 'every variable a step uses is declared in the vars block');
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-runbook-loss-'));
  // Snapshots every 20 entries, 5 kept behind: a replica that starts empty after 60 entries needs the snapshot.
  const cluster = await LocalCluster.create(dir, 3, ['--log-level', 'warn', '--snapshot-every', '20', '--log-tail-kept', '5']);
  const background: Background = async (argv) => {
    assert.equal(argv.length, 3, `the runbook serves a directory with no other flags: ${argv.join(' ')}`);
    assert.deepEqual(argv.slice(0, 2), ['serve', '--data'], `a background step is swoosh serve --data: ${argv.join(' ')}`);
    const id = basename(argv[2]!);
    if (cluster.config.members.some((m) => m.id === id)) {
      assert.equal(argv[2], join(dir, id), `the restart serves the replica's own directory`);
      await cluster.start(id);
    } else {
      await cluster.startExtra(id, argv[2]!);
    }
  };
  try {
    const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(k.ok, 'the license-adapter key parses');
    let n = 0;
    const write = async (url: string): Promise<void> => {
      const i = n++;
      const inputs = { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
      const r = await propose({ url, secretKey: k.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@rb:license/*^/verdict'], idemKey: `rb:${i}` });
      assert.equal(r.status, 202, `write ${i}: ${JSON.stringify(r.body)}`);
    };
    const leader = await cluster.leader();
    const leaderUrl = cluster.member(leader).http;
    for (let i = 0; i < 5; i++) await write(leaderUrl);
    const [dead, lost] = cluster.ids.filter((id) => id !== leader) as [string, string];
    const vars = { DIR: dir, SWOOSH_ENDPOINTS: cluster.urls.join(','), LEADER_URL: leaderUrl, ID: dead, NEW_ID: 'r4', NEW_RAFT: '', NEW_HTTP: '' };
    const run = (step: string, v: Record<string, string> = vars) => book.run(step, v, { cwd: dir, background });

    // --- The state: a follower's process died (kill -9); its directory is intact.
    await cluster.kill(dead);
    for (let i = 0; i < 3; i++) await write(leaderUrl);
    await waitFor(async () => ((await (await fetch(`${leaderUrl}/health`)).json()) as Health).consensus.peers[dead]?.presence === 'offline', 5000, `the leader sees ${dead} offline`);

    const detect = await run('detect');
    const health = detect.of(/endpoint health/);
    assert.equal(health.code, 1, `endpoint health fails while a replica is down\n${detect}`);
    assert.match(health.stderr, new RegExp(`${cluster.member(dead).http} is unhealthy`), `it names the dead endpoint\n${detect}`);
    const status = detect.of(/endpoint status/);
    for (const id of [leader, lost]) assert.match(status.stdout, new RegExp(`\\| ${id} +\\| ${leader} +\\| `), `status: ${id} reports ${leader} as leader\n${detect}`);
    const peers = (JSON.parse(detect.of(/\/health/).stdout) as Health).consensus.peers;
    assert.equal(peers[dead]?.presence, 'offline', `the leader's /health shows ${dead} offline\n${detect}`);
    assert.equal(peers[dead]?.connected, false, `and not connected\n${detect}`);
    const metrics = detect.of(/metrics/).stdout;
    assert.equal(sample(metrics, 'swoosh_server_has_leader'), 1, `the leader still has a leader\n${detect}`);
    assert.ok(sample(metrics, `swoosh_network_peer_sent_failures_total{peer="${dead}"}`) >= 1, `send failures to ${dead} are counted\n${detect}`);

    const restart = await run('restart');
    const doctorBefore = restart.of(/doctor/);
    assert.equal(doctorBefore.code, 0, `doctor passes on the stopped replica's directory\n${restart}`);
    assert.match(doctorBefore.stderr, /doctor: healthy/, `doctor says healthy\n${restart}`);
    assert.ok(cluster.alive(dead), `${dead} runs again`);
    await cluster.converged(20_000);
    await verify(run, vars, 3);

    // --- The state: another follower's disk is gone (its directory disappears with its process), and the
    // leader takes enough writes meanwhile to compact its log past where that replica would start.
    await cluster.kill(lost);
    renameSync(join(dir, lost), join(dir, `${lost}.lost`));
    for (let i = 0; i < 45; i++) await write(leaderUrl);
    const [raftPort, httpPort] = await freePorts(2);
    const replaceVars = { ...vars, ID: lost, NEW_RAFT: `127.0.0.1:${raftPort}`, NEW_HTTP: `http://127.0.0.1:${httpPort}` };

    const replace = await run('replace', replaceVars);
    assert.equal(replace.of(/member remove/).code, 0, `member remove succeeds with one voter down\n${replace}`);
    const add = replace.of(/member add/);
    assert.equal(add.code, 0, `member add succeeds\n${replace}`);
    assert.match(add.stdout, /member r4 added as learner/, `r4 joins as a learner\n${replace}`);
    assert.ok(cluster.alive('r4'), 'r4 runs');
    await cluster.converged(30_000);

    const catchUp = await run('catch-up', replaceVars);
    const hash = catchUp.of(/endpoint hash/);
    assert.equal(hash.code, 0, `every member answers\n${catchUp}`);
    const hashes = hashesIn(hash.stdout);
    assert.equal(hashes.length, 3, `three members: ${leader}, ${dead} and the learner r4\n${catchUp}`);
    assert.equal(new Set(hashes).size, 1, `the learner has the voters' state hash\n${catchUp}`);
    assert.match(hash.stdout, new RegExp(`${httpPort}`), `the learner is listed\n${catchUp}`);
    assert.ok(sample(catchUp.of(/metrics/).stdout, 'swoosh_snapshot_installed_total') >= 1, `r4 caught up by installing the leader's snapshot\n${catchUp}`);
    assert.equal(catchUp.of(/member promote/).code, 0, `promote succeeds\n${catchUp}`);
    const list = catchUp.of(/member list/).stdout;
    assert.match(list, /\| r4 +\| voter +\|/, `r4 is a voter\n${catchUp}`);
    assert.doesNotMatch(list, new RegExp(`\\| ${lost} +\\|`), `${lost} is no longer a member\n${catchUp}`);

    const endpoints = [leader, dead, 'r4'].map((id) => cluster.member(id).http).join(',');
    await verify(run, { ...replaceVars, SWOOSH_ENDPOINTS: endpoints, ID: 'r4' }, 3);
    await write(cluster.member('r4').http);
    assert.deepEqual(book.unwalked(), [], 'every step of the runbook was walked');
  } finally {
    await cluster.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Health {
  readonly consensus: { readonly peers: Record<string, { presence: string; connected: boolean }> };
}

async function verify(run: (step: string, v: Record<string, string>) => ReturnType<Runbook['run']>, vars: Record<string, string>, members: number): Promise<void> {
  const v = await run('verify', vars);
  assert.equal(v.of(/endpoint health/).code, 0, `every member is healthy\n${v}`);
  const hashes = hashesIn(v.of(/endpoint hash/).stdout);
  assert.equal(hashes.length, members, `${members} members report a hash\n${v}`);
  assert.equal(new Set(hashes).size, 1, `one state hash\n${v}`);
  const doctor = v.of(/doctor/);
  assert.equal(doctor.code, 0, `doctor passes on ${vars['ID']}\n${v}`);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await sleep(100);
  }
}
