// PeerTransport over real loopback TCP: delivery and order, authentication, hostile frames, reconnect, backpressure.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { createLogger, type Logger } from '../../src/node/logger.ts';
import type { Message } from '../../src/raft/types.ts';
import { encodeFrame, FrameReader } from '../../src/transport/frame-codec.ts';
import { helloSigningBytes, makeHello, parseChallenge, type Challenge } from '../../src/transport/handshake.ts';
import { PeerTransport, type PeerIdentity, type TransportOptions } from '../../src/transport/peer-transport.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';

const HOST = '127.0.0.1';
const FAST_RECONNECT = { initialMs: 10, maxMs: 100 };

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly reason?: string;
  readonly peer?: string | null;
  readonly self?: string;
}

interface Capture {
  readonly logger: Logger;
  readonly lines: LogLine[];
  readonly raw: string[];
}

/** A real pino logger writing into an array, so tests see exactly what production would log. */
function captureLogger(): Capture {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write(s: string) {
        raw.push(s);
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  });
  return { logger, lines, raw };
}

// Every assert.ok here carries a message: without one, node's assert re-parses the tsx-compiled source to build
// it, which can spin for minutes on the one-line transpiled output and hide the real failure.
async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Node {
  readonly id: string;
  readonly key: SigningKey;
  readonly transport: PeerTransport;
  readonly inbox: { from: string; payload: unknown }[];
  readonly log: Capture;
  identity(): PeerIdentity;
}

function keyFor(id: string): SigningKey {
  return SigningKey.derive(`transport-test-${id}`);
}

async function startNode(id: string, extra: Partial<TransportOptions> & { key?: SigningKey; port?: number } = {}): Promise<Node> {
  const key = extra.key ?? keyFor(id);
  const inbox: { from: string; payload: unknown }[] = [];
  const log = captureLogger();
  const transport = await PeerTransport.start({
    reconnect: FAST_RECONNECT,
    ...extra,
    self: { id, signer: key.signer, address: { host: HOST, port: extra.port ?? 0 } },
    key,
    peers: extra.peers ?? [],
    onMessage: (from, payload) => inbox.push({ from, payload }),
    logger: log.logger,
  });
  return { id, key, transport, inbox, log, identity: () => ({ id, signer: key.signer, address: { host: HOST, port: transport.port } }) };
}

/** Port 0 everywhere: start all listeners, then hand every node the full config (self included, which is ignored). */
async function startCluster(ids: readonly string[], extra: Partial<TransportOptions> = {}): Promise<Node[]> {
  const nodes = await Promise.all(ids.map((id) => startNode(id, extra)));
  const config = nodes.map((n) => n.identity());
  for (const n of nodes) n.transport.setPeers(config);
  return nodes;
}

async function closeAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.close()));
}

function warnings(c: Capture, reason: string): LogLine[] {
  return c.lines.filter((l) => l.level === 40 && l.reason === reason);
}

/** A hand-driven TCP client speaking the wire format, for the misbehaving peers no real transport would be. */
interface RawPeer {
  readonly socket: Socket;
  readonly challenge: Promise<Challenge>;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

function rawDial(port: number): RawPeer {
  const socket = connect({ host: HOST, port });
  const reader = new FrameReader(4096);
  let closed = false;
  const challenge = new Promise<Challenge>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      const frame = reader.next();
      if (frame === null) return;
      const c = parseChallenge(frame.payload);
      if (c === null) reject(new Error('not a challenge'));
      else resolve(c);
    });
  });
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  return { socket, challenge, closed: done, isClosed: () => closed };
}

async function withDeadline<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function raftMessage(from: string, to: string, seq: number): Message {
  return {
    type: 'app',
    from,
    to,
    term: 3,
    logTerm: 2,
    index: seq,
    commit: seq,
    entries: [{ term: 3, index: seq + 1, type: 'normal', data: new Uint8Array([seq & 0xff, 0, 255, (seq >> 8) & 0xff]) }],
  };
}

test('three replicas exchange messages both ways, in order per pair, with binary fields intact', async () => {
  const nodes = await startCluster(['r1', 'r2', 'r3']);
  const PER_PAIR = 300;
  try {
    for (let seq = 0; seq < PER_PAIR; seq++) {
      for (const a of nodes) {
        for (const b of nodes) {
          if (a === b) continue;
          assert.equal(a.transport.send(b.id, { raft: raftMessage(a.id, b.id, seq), applied: { index: seq, hash: 'h'.repeat(8) } }), true);
        }
      }
    }
    await waitFor(() => nodes.every((n) => n.inbox.length === 2 * PER_PAIR), 'all messages delivered');
    for (const b of nodes) {
      for (const a of nodes) {
        if (a === b) continue;
        const fromA = b.inbox.filter((m) => m.from === a.id);
        assert.equal(fromA.length, PER_PAIR);
        fromA.forEach((m, seq) => assert.deepEqual(m.payload, { raft: raftMessage(a.id, b.id, seq), applied: { index: seq, hash: 'hhhhhhhh' } }));
        const data = (fromA[7]!.payload as { raft: Message }).raft.entries![0]!.data;
        assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype, 'binary decodes as a plain Uint8Array');
        const s = a.transport.stats()[b.id]!;
        assert.equal(s.connected, true);
        assert.equal(s.sentFrames, PER_PAIR);
        assert.equal(s.droppedFrames, 0);
        const r = b.transport.stats()[a.id]!;
        assert.equal(r.receivedFrames, PER_PAIR);
        assert.ok(r.lastContactMs !== null && r.lastContactMs <= Date.now(), 'lastContactMs is a past wall-clock time');
      }
    }
    assert.equal(nodes[0]!.transport.send('nobody', 1), false, 'unknown peer');
    assert.equal(nodes[0]!.transport.send('r1', 1), false, 'self is not a peer');
    assert.deepEqual(Object.keys(nodes[0]!.transport.stats()).sort(), ['r2', 'r3']);
  } finally {
    await closeAll(nodes);
  }
});

test('an unconfigured peer and an impersonator are refused and logged; nothing of theirs is delivered', async () => {
  const [a, b] = await startCluster(['r1', 'r2']);
  const outsider = await startNode('x9', { peers: [b!.identity()] });
  // Claims r1's id but holds a different key.
  const impostor = await startNode('r1', { key: SigningKey.derive('not-r1'), peers: [b!.identity()] });
  try {
    outsider.transport.send('r2', { hi: 'from outsider' });
    impostor.transport.send('r2', { hi: 'from impostor' });
    await waitFor(() => warnings(b!.log, 'unknown peer').length > 0, 'unknown peer warning');
    await waitFor(() => warnings(b!.log, 'signer mismatch').length > 0, 'signer mismatch warning');
    assert.equal(warnings(b!.log, 'unknown peer')[0]!.peer, 'x9');
    assert.equal(warnings(b!.log, 'signer mismatch')[0]!.peer, 'r1');

    // Right signer claimed, wrong key used: the signature is checked against the configured key.
    const raw = rawDial(b!.transport.port);
    const ch = await withDeadline(raw.challenge, 'challenge');
    const forged = { type: 'hello', id: 'r1', signer: a!.key.signer, signature: SigningKey.derive('not-r1').signBytes(helloSigningBytes('r1', ch.nonce, ch.server)) };
    raw.socket.write(Buffer.concat([encodeFrame(forged), encodeFrame({ hi: 'from forger' })]));
    await withDeadline(raw.closed, 'forger disconnected');
    await waitFor(() => warnings(b!.log, 'bad signature').length > 0, 'bad signature warning');

    // A hello signed for another replica's challenge is not accepted here (relay), nor a replayed nonce.
    const relay = rawDial(b!.transport.port);
    const ch2 = await withDeadline(relay.challenge, 'challenge');
    relay.socket.write(encodeFrame(makeHello(a!.key, 'r1', { ...ch2, server: 'r3' })));
    await withDeadline(relay.closed, 'relayed hello disconnected');
    await waitFor(() => warnings(b!.log, 'bad signature').length > 1, 'second bad signature warning');

    // The genuine r1 still gets through, which also shows nothing from the refused peers was queued ahead of it.
    a!.transport.send('r2', { hi: 'genuine' });
    await waitFor(() => b!.inbox.length > 0, 'genuine delivery');
    assert.deepEqual(b!.inbox, [{ from: 'r1', payload: { hi: 'genuine' } }]);
    const allLogs = b!.log.raw.join('\n') + outsider.log.raw.join('\n') + impostor.log.raw.join('\n');
    assert.ok(!allLogs.includes(forged.signature), 'signatures are never logged');
    assert.equal(b!.transport.stats()['r1']!.receivedFrames, 1);
  } finally {
    await closeAll([a!, b!, outsider, impostor]);
  }
});

test('a handshake that never completes times out and is closed', async () => {
  const b = await startNode('r2', { handshakeTimeoutMs: 150, peers: [{ id: 'r1', signer: keyFor('r1').signer, address: { host: HOST, port: 1 } }] });
  try {
    const raw = rawDial(b.transport.port);
    await withDeadline(raw.challenge, 'challenge');
    await withDeadline(raw.closed, 'timeout disconnect', 3000);
    await waitFor(() => warnings(b.log, 'handshake timeout').length > 0, 'handshake timeout warning');
    assert.equal(b.inbox.length, 0);
  } finally {
    await b.transport.close();
  }
});

test('a dial answered by a silent server times out its handshake and keeps retrying', async () => {
  const silent = createServer(() => {});
  const held: Socket[] = [];
  silent.on('connection', (s) => held.push(s));
  await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
  const addr = silent.address();
  assert.ok(typeof addr === 'object' && addr !== null, 'silent server has a TCP address');
  const a = await startNode('r1', { handshakeTimeoutMs: 100, peers: [{ id: 'r2', signer: keyFor('r2').signer, address: { host: HOST, port: addr.port } }] });
  try {
    a.transport.send('r2', 'waiting');
    await waitFor(() => warnings(a.log, 'handshake timeout').length >= 2, 'two handshake timeouts');
    // Counted when the destroyed socket's 'close' arrives, a moment after the warning.
    await waitFor(() => a.transport.stats()['r2']!.sendFailures >= 2, 'two counted failures');
    const s = a.transport.stats()['r2']!;
    assert.equal(s.connected, false);
    assert.equal(s.sentFrames, 0, 'nothing is sent before the challenge');
  } finally {
    await a.transport.close();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('a multi-megabyte frame arriving in many TCP chunks is reassembled', async () => {
  const [a, b] = await startCluster(['r1', 'r2']);
  try {
    const blob = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 31) & 0xff;
    assert.equal(a!.transport.send('r2', { blob }), true);
    a!.transport.send('r2', 'tail');
    await waitFor(() => b!.inbox.length === 2, 'large frame and its successor', 10_000);
    const got = (b!.inbox[0]!.payload as { blob: Uint8Array }).blob;
    // Compared by bytes: a failing deepEqual would render a multi-megabyte diff.
    assert.ok(got instanceof Uint8Array && Buffer.compare(got, blob) === 0, 'blob round-trips byte for byte');
    assert.equal(b!.inbox[1]!.payload, 'tail');
  } finally {
    await closeAll([a!, b!]);
  }
});

test('oversized and malformed frames close the connection, before or after the handshake, and the replica lives on', async () => {
  const [a, b] = await startCluster(['r1', 'r2'], { maxFrameBytes: 1024 });
  // The authenticated raw client speaks as r3 (configured, never started): authenticating as r1 would replace
  // r1's genuine connection, since the newest authenticated connection from a peer wins.
  const r3 = keyFor('r3');
  b!.transport.setPeers([a!.identity(), b!.identity(), { id: 'r3', signer: r3.signer, address: { host: HOST, port: 1 } }]);
  try {
    const authed = async (): Promise<RawPeer> => {
      const raw = rawDial(b!.transport.port);
      raw.socket.write(encodeFrame(makeHello(r3, 'r3', await withDeadline(raw.challenge, 'challenge'))));
      return raw;
    };
    const cases: { name: string; open: () => Promise<RawPeer>; bytes: Buffer; reason: string }[] = [
      { name: 'huge length before hello', open: async () => rawDial(b!.transport.port), bytes: Buffer.from([0x00, 0x10, 0x00, 0x00]), reason: 'frame too large' },
      { name: 'garbage hello', open: async () => rawDial(b!.transport.port), bytes: Buffer.from([0, 0, 0, 2, 0x92, 0x01]), reason: 'malformed frame' },
      { name: 'hello of the wrong shape', open: async () => rawDial(b!.transport.port), bytes: encodeFrame({ type: 'hello', id: 7 }), reason: 'malformed frame' },
      { name: 'empty frame', open: async () => rawDial(b!.transport.port), bytes: Buffer.from([0, 0, 0, 0]), reason: 'malformed frame' },
      { name: 'frame over maxFrameBytes after hello', open: authed, bytes: Buffer.from([0, 0, 0x04, 0x01]), reason: 'frame too large' },
      { name: 'truncated msgpack after hello', open: authed, bytes: Buffer.from([0, 0, 0, 2, 0x92, 0x01]), reason: 'malformed frame' },
      { name: 'trailing bytes after hello', open: authed, bytes: Buffer.from([0, 0, 0, 2, 0x01, 0x02]), reason: 'malformed frame' },
    ];
    for (const c of cases) {
      const before = warnings(b!.log, c.reason).length;
      const raw = await c.open();
      await withDeadline(raw.challenge, `${c.name}: challenge`);
      raw.socket.write(c.bytes);
      await withDeadline(raw.closed, `${c.name}: disconnect`);
      await waitFor(() => warnings(b!.log, c.reason).length > before, `${c.name}: warning`);
    }
    {
      // A valid hello followed by a stray byte inside its frame: msgpackr's error would quote the hello, signature included.
      const raw = rawDial(b!.transport.port);
      const hello = makeHello(r3, 'r3', await withDeadline(raw.challenge, 'challenge'));
      // Signature first, so a 100-character quote of the decoded value would contain it.
      const body = encodeFrame({ signature: hello.signature, type: hello.type, id: hello.id, signer: hello.signer }).subarray(4);
      const frame = Buffer.alloc(4 + body.length + 1);
      frame.writeUInt32BE(body.length + 1, 0);
      body.copy(frame, 4);
      frame[frame.length - 1] = 0x01;
      const before = warnings(b!.log, 'malformed frame').length;
      raw.socket.write(frame);
      await withDeadline(raw.closed, 'hello with trailing bytes: disconnect');
      await waitFor(() => warnings(b!.log, 'malformed frame').length > before, 'hello with trailing bytes: warning');
      assert.ok(!b!.log.raw.join('').includes(hello.signature.slice(0, 20)), 'no part of the signature is logged');
    }
    assert.equal(b!.inbox.length, 0);
    assert.equal(a!.transport.stats()['r2']!.sendFailures, 0, 'the genuine r1 link was never disturbed');
    // Refused on the sending side too, so a peer with the same limit never sees it.
    assert.equal(a!.transport.send('r2', { blob: new Uint8Array(2048) }), false);
    assert.equal(a!.transport.stats()['r2']!.sendFailures, 1);
    assert.equal(a!.transport.send('r2', { ok: true }), true);
    await waitFor(() => b!.inbox.length === 1, 'delivery after the hostile frames');
    assert.deepEqual(b!.inbox[0], { from: 'r1', payload: { ok: true } });
  } finally {
    await closeAll([a!, b!]);
  }
});

test('a restarted peer on the same port receives what was queued while it was down', async () => {
  const [a, b] = await startCluster(['r1', 'r2']);
  let b2: Node | null = null;
  try {
    a!.transport.send('r2', { seq: 0 });
    await waitFor(() => b!.inbox.length === 1, 'first delivery');
    const port = b!.transport.port;
    await b!.transport.close();
    await waitFor(() => a!.transport.stats()['r2']!.connected === false, 'r1 noticing r2 is gone');
    for (let seq = 1; seq <= 20; seq++) assert.equal(a!.transport.send('r2', { seq }), true);
    // Several refused dials while down, all retried with backoff.
    await waitFor(() => a!.transport.stats()['r2']!.sendFailures >= 3, 'failed redials');
    assert.equal(a!.transport.stats()['r2']!.sentFrames, 1);

    b2 = await startNode('r2', { port, peers: [a!.identity(), b!.identity()] });
    await waitFor(() => b2!.inbox.length === 20, 'queued frames delivered after restart');
    assert.deepEqual(
      b2.inbox.map((m) => m.payload),
      Array.from({ length: 20 }, (_, i) => ({ seq: i + 1 })),
    );
    // The restarted replica dials out again too.
    b2.transport.send('r1', 'back');
    await waitFor(() => a!.inbox.length === 1, 'reverse direction after restart');
    assert.deepEqual(a!.inbox[0], { from: 'r2', payload: 'back' });
    assert.equal(a!.transport.stats()['r2']!.connected, true);
  } finally {
    await closeAll(b2 === null ? [a!, b!] : [a!, b!, b2]);
  }
});

test('a full outbound queue drops the oldest frames and counts them', async () => {
  // Reserve a port, then free it so r2 is unreachable while r1 queues.
  const placeholder = await startNode('r2');
  const port = placeholder.transport.port;
  const r2 = placeholder.identity();
  await placeholder.transport.close();
  const a = await startNode('r1', { maxQueueFrames: 4, peers: [r2] });
  let b: Node | null = null;
  try {
    for (let seq = 0; seq < 10; seq++) assert.equal(a.transport.send('r2', { seq }), true);
    assert.equal(a.transport.stats()['r2']!.droppedFrames, 6);
    assert.equal(a.log.lines.filter((l) => l.msg.startsWith('outbound queue full')).length, 1, 'one warning per overflow episode');
    b = await startNode('r2', { port, peers: [a.identity()] });
    await waitFor(() => b!.inbox.length === 4, 'surviving frames delivered');
    assert.deepEqual(
      b.inbox.map((m) => m.payload),
      [{ seq: 6 }, { seq: 7 }, { seq: 8 }, { seq: 9 }],
    );
    const s = a.transport.stats()['r2']!;
    assert.equal(s.sentFrames, 4);
    assert.equal(s.droppedFrames, 6);
  } finally {
    await a.transport.close();
    await b?.transport.close();
  }
});

test('a throwing onMessage is logged and does not cost the connection; setPeers keeps existing links', async () => {
  const [a, b] = await startCluster(['r1', 'r2']);
  const got: unknown[] = [];
  const log = captureLogger();
  const key = keyFor('r3');
  const thrower = await PeerTransport.start({
    self: { id: 'r3', signer: key.signer, address: { host: HOST, port: 0 } },
    key,
    peers: [a!.identity()],
    onMessage: (_from, payload) => {
      if (payload === 'boom') throw new Error('handler bug');
      got.push(payload);
    },
    logger: log.logger,
    reconnect: FAST_RECONNECT,
  });
  try {
    a!.transport.send('r2', 'one');
    await waitFor(() => b!.inbox.length === 1, 'r2 delivery before the config change');
    a!.transport.setPeers([a!.identity(), b!.identity(), { id: 'r3', signer: key.signer, address: { host: HOST, port: thrower.port } }]);
    a!.transport.send('r3', 'boom');
    a!.transport.send('r3', 'after');
    await waitFor(() => got.length === 1, 'frame after the throw');
    assert.deepEqual(got, ['after']);
    assert.equal(log.lines.filter((l) => l.msg === 'onMessage threw').length, 1);
    a!.transport.send('r2', 'two');
    await waitFor(() => b!.inbox.length === 2, 'r2 still reachable');
    assert.equal(a!.transport.stats()['r2']!.sentFrames, 2, 'r2 counters survived setPeers');
    assert.equal(a!.transport.stats()['r2']!.sendFailures, 0, 'r2 link was not redialed');
  } finally {
    await closeAll([a!, b!]);
    await thrower.close();
  }
});

test('start validates its configuration', async () => {
  const key = keyFor('r1');
  const base: TransportOptions = {
    self: { id: 'r1', signer: key.signer, address: { host: HOST, port: 0 } },
    key,
    peers: [],
    onMessage: () => {},
    logger: createLogger({ level: 'silent' }),
  };
  await assert.rejects(PeerTransport.start({ ...base, key: keyFor('r2') }), /does not match self.signer/);
  await assert.rejects(PeerTransport.start({ ...base, peers: [{ id: 'r2', signer: 'nope', address: { host: HOST, port: 9 } }] }), /signer/);
  await assert.rejects(PeerTransport.start({ ...base, peers: [{ id: 'r1', signer: keyFor('r2').signer, address: { host: HOST, port: 9 } }] }), /signer other than/);
  const dup = { id: 'r2', signer: keyFor('r2').signer, address: { host: HOST, port: 9 } };
  await assert.rejects(PeerTransport.start({ ...base, peers: [dup, dup] }), /duplicate/);
});
