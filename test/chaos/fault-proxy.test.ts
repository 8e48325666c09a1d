// The fault proxy on one link (frames in, frames out), and a real cluster partitioned through it.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { FaultProxy } from '../../chaos/network/fault-proxy.ts';
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { allDecisions } from '../../src/sdk/decisions.ts';
import { parseKeyFile, signProposal } from '../../src/sdk/proposal-signer.ts';

const frame = (n: number): Buffer => {
  const body = Buffer.from(`frame-${n}`);
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
};

/** A receiver that answers every connection with a challenge frame and records the frame bodies it gets. */
async function receiver(): Promise<{ server: Server; port: number; got: string[] }> {
  const got: string[] = [];
  const server = createServer((s) => {
    s.write(frame(-1));
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0);
        got.push(buf.subarray(4, 4 + len).toString());
        buf = buf.subarray(4 + len);
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0, got };
}

async function setup(seed = 1) {
  const rx = await receiver();
  const proxy = await FaultProxy.start([{ id: 'a', raft: { host: '127.0.0.1', port: 1 } }, { id: 'b', raft: { host: '127.0.0.1', port: rx.port } }], seed);
  const port = Number(/b=127\.0\.0\.1:(\d+)/.exec(proxy.dialArgs('a').join(' '))![1]);
  const connect = async (): Promise<{ s: Socket; challenged: Promise<boolean> }> => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    const challenged = new Promise<boolean>((r) => {
      s.once('data', () => r(true));
      setTimeout(() => r(false), 500);
    });
    return { s, challenged };
  };
  const close = async () => {
    await proxy.close();
    await new Promise<void>((r) => rx.server.close(() => r()));
  };
  return { rx, proxy, connect, close };
}

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

test('a healthy proxied link passes the handshake and every frame, in order', async () => {
  const { rx, proxy, connect, close } = await setup();
  try {
    assert.deepEqual(proxy.dialArgs('b'), ['--dial', `a=127.0.0.1:${/a=127\.0\.0\.1:(\d+)/.exec(proxy.dialArgs('b').join(' '))![1]}`], 'b dials a through the proxy');
    const { s, challenged } = await connect();
    assert.equal(await challenged, true, 'the receiver’s challenge comes back through the proxy');
    for (let i = 0; i < 50; i++) s.write(frame(i));
    await until(() => rx.got.length === 50, 2000, '50 frames');
    assert.deepEqual(rx.got, Array.from({ length: 50 }, (_, i) => `frame-${i}`), 'frames arrive once each, in order');
    assert.equal(proxy.stats()['a->b']!['frames'], 49, 'the first frame (hello) is not counted as traffic');
    s.destroy();
  } finally {
    await close();
  }
});

test('drop, duplicate and reorder act on whole frames after the hello', async () => {
  const { rx, proxy, connect, close } = await setup(7);
  try {
    const { s } = await connect();
    s.write(frame(0));
    await until(() => rx.got.length === 1, 2000, 'hello');
    await proxy.set('a', 'b', { drop_permille: 1000 });
    for (let i = 1; i <= 10; i++) s.write(frame(i));
    await sleep(100);
    assert.deepEqual(rx.got, ['frame-0'], 'a 100% lossy link delivers nothing after the hello');
    await proxy.set('a', 'b', { duplicate_permille: 1000 });
    s.write(frame(11));
    await until(() => rx.got.length === 3, 2000, 'duplicates');
    assert.deepEqual(rx.got.slice(1), ['frame-11', 'frame-11'], 'a duplicating link sends the frame twice');
    await proxy.set('a', 'b', { reorder_permille: 1000 });
    for (let i = 12; i <= 15; i++) s.write(frame(i));
    await until(() => rx.got.length === 7, 2000, 'reordered frames');
    assert.deepEqual([...rx.got.slice(3)].sort(), ['frame-12', 'frame-13', 'frame-14', 'frame-15'], 'reordering loses and adds nothing');
    assert.notDeepEqual(rx.got.slice(3), ['frame-12', 'frame-13', 'frame-14', 'frame-15'], 'but changes the order');
    const st = proxy.stats()['a->b']!;
    assert.equal(st['dropped'], 10, 'drops are counted');
    assert.ok(st['duplicated']! >= 1 && st['reordered']! >= 1, `duplicates and reorders are counted: ${JSON.stringify(st)}`);
    s.destroy();
  } finally {
    await close();
  }
});

test('delay holds frames at least that long; a cut goes silent and healing resumes the connection', async () => {
  const { rx, proxy, connect, close } = await setup(3);
  try {
    const { s } = await connect();
    s.write(frame(0));
    await until(() => rx.got.length === 1, 2000, 'hello');
    await proxy.set('a', 'b', { delay_ms: 300 });
    const sent = Date.now();
    s.write(frame(1));
    await until(() => rx.got.length === 2, 3000, 'delayed frame');
    assert.ok(Date.now() - sent >= 290, `the frame was held ${Date.now() - sent} ms, at least the 300 ms delay`);
    await proxy.set('a', 'b', { cut: true });
    s.write(frame(2));
    const fresh = await connect();
    assert.equal(await fresh.challenged, false, 'a new connection across a cut gets no challenge');
    await sleep(100);
    assert.equal(rx.got.length, 2, 'nothing crosses a cut link');
    await proxy.healAll();
    s.write(frame(3));
    await until(() => rx.got.length === 3, 2000, 'frame after heal');
    assert.deepEqual(rx.got.slice(2), ['frame-3'], 'the open connection carries frames again; what was sent during the cut is lost');
    s.destroy();
    fresh.s.destroy();
  } finally {
    await close();
  }
});

test('an isolated leader is replaced through the proxy, and the cluster converges after healing', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swoosh-proxy-'));
  // Listening before the cluster picks its free ports, as the process backend does (no port collisions).
  const proxy = await FaultProxy.reserve(['r1', 'r2', 'r3'], 11, { http: true });
  const cluster = await LocalCluster.prepare(join(dir, 'c'), { replicas: 3, argsFor: (id) => proxy.dialArgs(id) });
  try {
    proxy.route(cluster.config.members);
    await cluster.startAll();
    const old = await cluster.leader(20_000);
    const oldTerm = (await cluster.health(old))!.consensus.term;
    for (const id of cluster.ids) {
      if (id === old) continue;
      await proxy.set(old, id, { cut: true });
      await proxy.set(id, old, { cut: true });
    }
    let next: string | null = null;
    const deadline = Date.now() + 20_000;
    while (next === null && Date.now() < deadline) {
      const views = await Promise.all(cluster.ids.filter((id) => id !== old).map((id) => cluster.health(id)));
      const l = views.find((v) => v?.consensus.role === 'leader' && v.consensus.term > oldTerm);
      if (l !== undefined) next = l!.node_id;
      else await sleep(100);
    }
    assert.ok(next !== null && next !== old, `the majority elects a new leader in a higher term than ${oldTerm} (old leader ${old})`);
    const st = proxy.stats();
    assert.ok(st[`${old}->${next}`]!['dropped']! > 0, `the proxy dropped the isolated leader's frames: ${JSON.stringify(st[`${old}->${next}`])}`);
    await proxy.healAll();
    const views = await cluster.converged(30_000);
    assert.equal(new Set(views.map((v) => v.state_hash)).size, 1, 'all replicas agree after healing');
    const after = await cluster.leader(20_000);
    assert.ok((await cluster.health(after))!.consensus.term > oldTerm, 'the old leader does not keep or regain its old term');
  } finally {
    await cluster.stop();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('forwarded HTTP crosses the proxy: a cut stalls requests (from→to) or answers (to→from) until it heals', async () => {
  const hits: string[] = [];
  const web = createHttpServer((req, res) => {
    hits.push(req.url ?? '');
    res.end(`ok ${req.url}`);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  const webPort = (web.address() as { port: number }).port;
  const proxy = await FaultProxy.start([{ id: 'a', raft: { host: '127.0.0.1', port: 1 } }, { id: 'b', raft: { host: '127.0.0.1', port: 1 }, http: `http://127.0.0.1:${webPort}` }], 5);
  try {
    const args = proxy.dialArgs('a');
    const m = /^b=127\.0\.0\.1:(\d+)$/.exec(args[args.indexOf('--dial-http') + 1] ?? '');
    assert.ok(m !== null, `a forwards to b through the proxy: ${args.join(' ')}`);
    assert.ok(!proxy.dialArgs('b').includes('--dial-http'), 'a has no http URL, so b gets no --dial-http for it');
    const get = (path: string) => fetch(`http://127.0.0.1:${m[1]}${path}`).then((r) => r.text());
    assert.equal(await get('/healthy'), 'ok /healthy', 'a healthy link carries a request and its answer');

    await proxy.set('a', 'b', { cut: true });
    const held = get('/during-cut');
    await sleep(300);
    assert.deepEqual(hits, ['/healthy'], 'a cut a→b: the request does not reach b');
    await proxy.healAll();
    assert.equal(await held, 'ok /during-cut', 'after healing the held request goes through, once');

    await proxy.set('b', 'a', { cut: true });
    let answered = false;
    const late = get('/answer-cut').then((t) => ((answered = true), t));
    await until(() => hits.includes('/answer-cut'), 2000, 'the request reaching b');
    await sleep(300);
    assert.equal(answered, false, 'a cut b→a: b got the request, its answer is held');
    await proxy.healAll();
    assert.equal(await late, 'ok /answer-cut', 'the answer arrives after healing');
    assert.deepEqual(hits, ['/healthy', '/during-cut', '/answer-cut'], 'every request reached b exactly once');
    assert.ok(proxy.stats()['a->b http']!['stalled']! >= 2, `stalls are counted: ${JSON.stringify(proxy.stats()['a->b http'])}`);
  } finally {
    await proxy.close();
    await new Promise<void>((r) => web.close(() => r()));
  }
});

test('a follower cut from the leader cannot forward a proposal until the link heals; it then applies once', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swoosh-proxy-fwd-'));
  // Listening before the cluster picks its free ports, as the process backend does (no port collisions).
  const proxy = await FaultProxy.reserve(['r1', 'r2', 'r3'], 13, { http: true });
  const cluster = await LocalCluster.prepare(join(dir, 'c'), { replicas: 3, argsFor: (id) => proxy.dialArgs(id) });
  try {
    proxy.route(cluster.config.members);
    await cluster.startAll();
    const leader = await cluster.leader(20_000);
    const follower = cluster.ids.find((id) => id !== leader)!;
    const leaderUrl = cluster.member(leader).http;
    const k = parseKeyFile(JSON.parse(await readFile(join(dir, 'c', 'keys', 'license-adapter.key'), 'utf8')));
    assert.ok(k.ok, 'the license-adapter key parses');
    // One direction only: the follower still hears the leader's heartbeats, so it knows whom to forward to.
    await proxy.set(follower, leader, { cut: true });
    const head = (await (await fetch(`${leaderUrl}/state?projection=hlc_last`)).json()) as { hash: string; index: number };
    const idem = 'forward-across-cut';
    const p = signProposal(
      { current_state_hash: head.hash as Proposal['current_state_hash'], transition: 'License_RecordVerdict', idem_key: idem, hlc: formatHlc({ ms: Date.now(), logical: 0 }), window_id: null, evidence: ['ucxl://kaching:license_adapter@c:license/*^/verdict'], inputs: { verdict: 'valid', verdict_hash: digestJson({ idem }), valid_until: formatHlc({ ms: Date.now() + 3_600_000, logical: 0 }), grace_ms: 60_000 } },
      k.secret,
    );
    const post = (url: string, ms: number) => fetch(`${url}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p), signal: AbortSignal.timeout(ms) });
    await assert.rejects(post(cluster.member(follower).http, 2500), /abort|timeout/i, 'no answer: the forwarded request waits at the cut');
    assert.equal(((await (await fetch(`${leaderUrl}/state?projection=hlc_last`)).json()) as { hash: string }).hash, head.hash, 'the leader did not receive it');
    await proxy.healAll();
    const ids = async () => (await allDecisions(leaderUrl)).filter((d) => d.decision.idem_key === idem).length;
    const deadline = Date.now() + 20_000;
    while ((await ids()) === 0 && Date.now() < deadline) await sleep(100);
    assert.equal(await ids(), 1, 'after healing the held request reaches the leader and is applied');
    const again = await post(leaderUrl, 10_000);
    assert.equal(again.status, 202, `resending it answers as before (${again.status})`);
    assert.equal(await ids(), 1, 'and applies nothing twice');
    assert.ok(proxy.stats()[`${follower}->${leader} http`]!['stalled']! >= 1, `the proxy held the forward: ${JSON.stringify(proxy.stats()[`${follower}->${leader} http`])}`);
  } finally {
    await cluster.stop();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  }
});
