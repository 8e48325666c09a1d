// The netns chaos backend: three replicas in their own network namespaces, an isolated leader replaced by the
// majority through kernel-level cuts, convergence after healing, a shaped link that still commits, and no
// namespace, bridge or veth left behind. Skips (and says why) where network namespaces are not available.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createNetnsBackend, netnsAvailable, type NetnsBackend } from '../../chaos/netns/netns-backend.ts';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000 });

test('netns backend: an isolated leader is replaced, the cluster heals and converges, nothing is left behind', { timeout: 60_000 }, async (t) => {
  const avail = await netnsAvailable();
  if (!avail.ok) {
    t.skip(`netns backend unavailable: ${avail.reason}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'swoosh-netns-'));
  let backend: NetnsBackend | null = null;
  try {
    backend = await createNetnsBackend({ dir: join(dir, 'c'), replicas: 3, serveArgs: ['--log-level', 'warn'], fakePortBase: await freePortRange(6), seed: 7 });
    const { replicas, network, prefix } = backend;
    t.diagnostic(`prefix ${prefix}, subnet ${backend.subnet}, capabilities ${JSON.stringify(backend.capabilities)}, supports ${[...network.supports].join(',')}`);
    const base = backend.subnet.split('.').slice(0, 3).join('.');
    assert.equal(backend.fakeHost, `${base}.1`, 'the fakes are expected on the bridge address');
    assert.deepEqual(replicas.urls.map((u) => new URL(u).hostname), [`${base}.2`, `${base}.3`, `${base}.4`], 'each replica listens on its own namespace address');
    assert.ok(network.supports.has('cut'), 'cuts are always supported');

    // `ip netns exec` execs node: the process this test spawned (its child) in each namespace is node itself, not an
    // `ip` wrapper, so SIGSTOP/SIGKILL reach the replica. (Node's own helpers, like esbuild, may live there too.)
    for (const [id, ns] of backend.namespaces) {
      const pids = ip('netns', 'pids', ns).trim().split(/\s+/).filter(Boolean);
      const ours = pids.filter((p) => Number(readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === process.pid);
      assert.equal(ours.length, 1, `exactly one process in ${ns} (${id}) is this test's child: ${pids.join(' ')}`);
      assert.equal(realpathSync(`/proc/${ours[0]}/exe`), realpathSync(process.execPath), `the child in ${ns} is node, not ip`);
    }

    const old = await replicas.leader(20_000);
    const oldTerm = (await replicas.health(old))!.consensus.term;
    const others = replicas.ids.filter((id) => id !== old);
    for (const id of others) {
      await network.set(old, id, { cut: true });
      await network.set(id, old, { cut: true });
    }
    let next: string | null = null;
    const deadline = Date.now() + 15_000;
    while (next === null && Date.now() < deadline) {
      const views = await Promise.all(others.map((id) => replicas.health(id)));
      const l = views.find((v) => v?.consensus.role === 'leader' && v.consensus.term > oldTerm);
      if (l !== undefined && views.every((v) => v?.consensus.leader_id === l!.node_id)) next = l!.node_id;
      else await sleep(100);
    }
    assert.ok(next !== null && next !== old, `the majority elects a new leader in a term above ${oldTerm} within 15 s (old leader ${old})`);
    const st = network.stats();
    assert.equal(st[`${old}->${next}`]?.['cuts'], 1, `the cut ${old}->${next} is counted: ${JSON.stringify(st)}`);
    if (backend.capabilities.ifb) assert.ok((st[`${old}->${next}`]?.['dropped'] ?? 0) > 0, `the cut sink swallowed the isolated leader's packets: ${JSON.stringify(st[`${old}->${next}`])}`);

    await network.healAll();
    const views = await replicas.converged(20_000);
    assert.equal(views.length, 3, 'all three replicas answer after healing');
    assert.equal(new Set(views.map((v) => v.state_hash)).size, 1, 'all replicas agree on the state after healing');
    const after = await replicas.leader(15_000);
    assert.ok((await replicas.health(after))!.consensus.term > oldTerm, 'the cluster is past the isolated leader’s term');

    // A shaped link (50 ms delay with netem, else a 20 KB/s rate) from the leader to one follower: writes still commit.
    const follower = replicas.ids.find((id) => id !== after)!;
    const shaping = network.supports.has('delay_ms') ? { delay_ms: 50 } : network.supports.has('bytes_per_second') ? { bytes_per_second: 20_000 } : null;
    if (shaping === null) {
      t.diagnostic('neither netem nor htb here: the shaped-link check is skipped');
    } else {
      await network.set(after, follower, shaping);
      const key = parseKeyFile(JSON.parse(readFileSync(join(replicas.dir, 'keys', 'license-adapter.key'), 'utf8')));
      assert.ok(key.ok, 'the license-adapter key parses');
      const before = (await replicas.health(after))!.consensus.commit_index;
      for (let i = 0; i < 3; i++) {
        const idemKey = `netns:${i}`;
        const inputs = { verdict: 'valid', verdict_hash: digestJson({ idemKey }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 };
        const r = await propose({ url: replicas.member(after).http, secretKey: key.secret, transition: 'License_RecordVerdict', inputs, evidence: ['ucxl://kaching:license_adapter@cluster:license/*^/verdict'], idemKey, maxAttempts: 20 });
        assert.equal(r.status, 202, `write ${i} over a shaped link (${JSON.stringify(shaping)}) is accepted: ${JSON.stringify(r.body)}`);
      }
      const shaped = await replicas.converged(15_000);
      assert.ok(shaped.every((v) => v.consensus.commit_index >= before + 3), `every replica committed the 3 writes: ${JSON.stringify(shaped.map((v) => v.consensus))}`);
      const ls = network.stats()[`${after}->${follower}`] ?? {};
      assert.ok((ls['shaped_packets'] ?? 0) > 0, `the shaped class carried the leader's packets: ${JSON.stringify(ls)}`);
      await network.healAll();
    }

    // The replica processes answer signals inside their namespaces: SIGSTOP silences one, kill -9 and a restart.
    replicas.pause(follower);
    assert.equal(await replicas.health(follower), null, `a paused ${follower} does not answer`);
    replicas.resume(follower);
    assert.notEqual(await replicas.health(follower), null, `${follower} answers again after SIGCONT`);
    await replicas.kill(follower);
    assert.equal(replicas.alive(follower), false, `${follower} is dead after kill -9`);
    await replicas.start(follower, 20_000);
    const restarted = await replicas.converged(15_000);
    assert.equal(restarted.length, 3, `${follower} restarts in its namespace and the cluster converges`);

    await backend.close();
    const leftNs = ip('netns', 'list').split('\n').filter((l) => l.startsWith(prefix));
    const leftLinks = (JSON.parse(ip('-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
    assert.deepEqual(leftNs, [], `no namespace with prefix ${prefix} remains`);
    assert.deepEqual(leftLinks, [], `no bridge or veth with prefix ${prefix} remains`);
  } finally {
    await backend?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});
