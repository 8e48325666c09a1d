// The fault proxy on one link (frames in, frames out), and a real cluster partitioned through it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { FaultProxy } from '../../chaos/network/fault-proxy.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';

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
  let proxy: FaultProxy | null = null;
  const cluster = await LocalCluster.prepare(join(dir, 'c'), { replicas: 3, argsFor: (id) => proxy?.dialArgs(id) ?? [] });
  try {
    proxy = await FaultProxy.start(cluster.config.members, 11);
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
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
