// Walks runbooks/snapshot-restore.md against a real cluster: a routine backup, then two of three replicas lose
// their data (no quorum, for good); the survivor's snapshot becomes a new 3-replica cluster started with
// `swoosh cluster up`, which serves the saved state, takes writes signed with the original keys, and whose
// directories pass `swoosh doctor`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { terminate } from '../../src/node/serve-process.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { hashesIn, REPO, Runbook, type Background } from './runbook-steps.ts';

test('snapshot-restore.md: a new cluster from the survivor of a lost majority', { timeout: 120_000 }, async () => {
  const book = Runbook.load('snapshot-restore.md');
  assert.deepEqual(book.undeclared(), [], 'every variable a step uses is declared in the vars block');
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-runbook-restore-'));
  const old = join(dir, 'old');
  const cluster = await LocalCluster.create(old, 3);
  let up: ChildProcess | null = null;
  let upOutput = '';
  const background: Background = async (argv) => {
    assert.deepEqual(argv.slice(0, 4), ['cluster', 'up', '--data', join(dir, 'new')], `the runbook starts the restored directory: ${argv.join(' ')}`);
    up = spawn(process.execPath, [join(REPO, 'bin', 'swoosh.mjs'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout!.on('data', (d: Buffer) => (upOutput += d.toString()));
    up.stderr!.on('data', (d: Buffer) => (upOutput += d.toString()));
    const deadline = Date.now() + 30_000;
    while ((upOutput.match(/listening on/g) ?? []).length < 3) {
      assert.ok(Date.now() < deadline && up.exitCode === null, `cluster up starts three replicas:\n${upOutput}`);
      await sleep(100);
    }
  };
  try {
    const k = parseKeyFile(JSON.parse(readFileSync(join(old, 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(k.ok, 'the license-adapter key parses');
    // Fixed inputs per i, so that a retry is the same proposal.
    const validUntil = formatHlc({ ms: Date.now() + 3_600_000, logical: 0 });
    const write = (url: string, i: number) =>
      propose({ url, secretKey: k.secret, transition: 'License_RecordVerdict', inputs: { verdict: 'valid', verdict_hash: digestJson({ i }), valid_until: validUntil, grace_ms: 60_000 }, evidence: ['ucxl://kaching:license_adapter@rs:license/*^/verdict'], idemKey: `rs:${i}` });
    const leader = await cluster.leader();
    const survivor = cluster.ids.find((id) => id !== leader)!;
    const vars: Record<string, string> = {
      DIR: old,
      SWOOSH_ENDPOINTS: cluster.urls.join(','),
      SOURCE_URL: cluster.member(survivor).http,
      BACKUP: join(dir, 'backup.snap'),
      SNAP: join(dir, 'restore.snap'),
      NEW_DIR: join(dir, 'new'),
      NEW_HTTP_BASE: '',
      NEW_RAFT_BASE: '',
      NEW_ENDPOINTS: '',
    };
    const run = (step: string) => book.run(step, vars, { cwd: dir, background });
    for (let i = 0; i < 10; i++) assert.equal((await write(cluster.member(leader).http, i)).status, 202, `write ${i}`);

    const backup = await run('backup');
    assert.equal(backup.of(/snapshot save/).code, 0, `the backup is saved\n${backup}`);
    const backedUp = JSON.parse(backup.of(/snapshot save/).stdout) as { index: number; state_hash: string };
    assert.ok(backedUp.index >= 11, `the backup holds the 10 writes (index ${backedUp.index})\n${backup}`);
    const inspectBackup = backup.of(/snapshot inspect/);
    assert.equal(inspectBackup.code, 0, `the backup verifies\n${backup}`);
    assert.ok(inspectBackup.stdout.includes(backedUp.state_hash), `inspect shows the backup's state hash\n${backup}`);

    // --- The state: more writes, then two replicas and their data are gone; the survivor has no quorum.
    for (let i = 10; i < 15; i++) assert.equal((await write(cluster.member(leader).http, i)).status, 202, `write ${i}`);
    for (const id of cluster.ids.filter((x) => x !== survivor)) {
      await cluster.kill(id);
      rmSync(join(old, id), { recursive: true, force: true });
    }
    const deadline = Date.now() + 10_000;
    for (let h = await cluster.health(survivor); h === null || h.consensus.leader_id !== null; h = await cluster.health(survivor)) {
      assert.ok(Date.now() < deadline, `${survivor} notices it has no leader`);
      await sleep(100);
    }

    const assess = await run('assess');
    const status = assess.of(/endpoint status/);
    assert.equal(status.code, 1, `status fails with two replicas gone\n${assess}`);
    assert.match(status.stdout, new RegExp(`\\| ${survivor} +\\| - +\\|`), `the survivor reports no leader\n${assess}`);
    const members = assess.of(/member list/);
    assert.equal(members.code, 0, `the survivor lists the members without a leader\n${assess}`);
    assert.equal((members.stdout.match(/\| voter +\|/g) ?? []).length, 3, `three voters, so two are needed\n${assess}`);

    const save = await run('save');
    assert.equal(save.of(/snapshot save/).code, 0, `the survivor's state is saved without a leader\n${save}`);
    const saved = JSON.parse(save.of(/snapshot save/).stdout) as { index: number; state_hash: string };
    assert.ok(saved.index > backedUp.index, `the survivor's snapshot is newer than the backup (${saved.index} > ${backedUp.index})\n${save}`);
    assert.equal(saved.state_hash, (await cluster.health(survivor))!.state_hash, 'the snapshot is the survivor\'s applied state');
    assert.equal(save.of(/snapshot inspect/).code, 0, `the saved file verifies\n${save}`);
    // Stop every old replica (the runbook's manual step between 2 and 3).
    await cluster.stop();

    let httpBase = await freePortRange(3);
    let raftBase = await freePortRange(3);
    while (Math.abs(httpBase - raftBase) < 3) raftBase = await freePortRange(3);
    vars['NEW_HTTP_BASE'] = String(httpBase);
    vars['NEW_RAFT_BASE'] = String(raftBase);
    const newUrls = [0, 1, 2].map((i) => `http://127.0.0.1:${httpBase + i}`);
    vars['NEW_ENDPOINTS'] = newUrls.join(',');

    const restore = await run('restore');
    const restored = restore.of(/snapshot restore/);
    assert.equal(restored.code, 0, `restore writes the new cluster\n${restore}`);
    const made = JSON.parse(restored.stdout) as { restored_index: number; state_hash: string; members: { http: string }[] };
    assert.equal(made.restored_index, saved.index, `it restores at the snapshot's index\n${restore}`);
    assert.deepEqual(made.members.map((m) => m.http), newUrls, `the new members serve NEW_ENDPOINTS\n${restore}`);
    await waitForLeader(newUrls);

    const verify = await run('verify');
    const newStatus = verify.of(/endpoint status/);
    assert.equal(newStatus.code, 0, `every new replica answers\n${verify}`);
    const leaders = [...newStatus.stdout.matchAll(/\| (r\d) +\| (r\d) +\| (leader|follower) +\| \d+ +\| (\d+) +\| (\d+) +\|/g)];
    assert.equal(leaders.length, 3, `three rows with a leader\n${verify}`);
    assert.equal(new Set(leaders.map((m) => m[2])).size, 1, `one leader\n${verify}`);
    for (const m of leaders) assert.equal(Number(m[5]), saved.index + 1, `${m[1]} applied the snapshot and the new leader's empty entry\n${verify}`);
    const hashes = hashesIn(verify.of(/endpoint hash/).stdout);
    assert.deepEqual(hashes, [saved.state_hash, saved.state_hash, saved.state_hash], `every replica has the snapshot's state hash\n${verify}`);
    const read = JSON.parse(verify.of(/\/state/).stdout) as { hash: string; projection: { configuration: { top: string } } };
    assert.equal(read.hash, saved.state_hash, `a linearizable read serves the snapshot's state\n${verify}`);

    // Clients resume with their original keys; a retry of a write acknowledged before the snapshot is a duplicate.
    const again = await write(newUrls[1]!, 3);
    assert.equal(again.status, 202, `a retried old write is answered: ${JSON.stringify(again.body)}`);
    assert.equal(again.body['duplicate'], true, 'and recognised as a duplicate: the dedupe table was restored');
    const fresh = await write(newUrls[2]!, 100);
    assert.equal(fresh.status, 202, `a new write signed with the original key is accepted: ${JSON.stringify(fresh.body)}`);
    await waitConverged(newUrls, fresh.body['index'] as number);

    const doctor = await run('doctor');
    for (const r of doctor.results) assert.equal(r.code, 0, `doctor passes on every restored replica\n${doctor}`);
    assert.deepEqual(book.unwalked(), [], 'every step of the runbook was walked');
  } finally {
    await cluster.stop();
    if (up !== null) await terminate(up);
  }
  rmSync(dir, { recursive: true, force: true });
});

async function waitForLeader(urls: readonly string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const views = await Promise.all(urls.map((u) => fetch(`${u}/health`).then(async (r) => ((await r.json()) as { consensus: { leader_id: string | null } }).consensus.leader_id).catch(() => null)));
    if (views.every((v) => v !== null && v === views[0])) return;
    assert.ok(Date.now() < deadline, `the restored cluster elects a leader: ${JSON.stringify(views)}`);
    await sleep(100);
  }
}

async function waitConverged(urls: readonly string[], index: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const applied = await Promise.all(urls.map((u) => fetch(`${u}/health`).then(async (r) => ((await r.json()) as { consensus: { applied_index: number } }).consensus.applied_index).catch(() => 0)));
    if (applied.every((a) => a >= index)) return;
    assert.ok(Date.now() < deadline, `every restored replica applies index ${index}: ${applied.join(', ')}`);
    await sleep(100);
  }
}
