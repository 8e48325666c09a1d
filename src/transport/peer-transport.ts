// Replica-to-replica TCP transport: one authenticated, one-directional connection per ordered pair of replicas.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { publicKeyFromSigner } from '../core/ed25519.ts';
import type { Logger } from '../node/logger.ts';
import type { SigningKey } from '../workload/signing-key.ts';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameError, frameBodyLength, FrameReader } from './frame-codec.ts';
import { BoundedQueue } from './frame-queue.ts';
import { makeHello, newChallenge, parseChallenge, verifyHello, type Challenge } from './handshake.ts';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** One replica as the cluster config names it. */
export interface PeerIdentity {
  readonly id: string;
  readonly signer: string;
  readonly address: PeerAddress;
}

export interface TransportOptions {
  readonly self: PeerIdentity;
  /** This replica's Ed25519 key; key.signer must equal self.signer. */
  readonly key: SigningKey;
  /** The cluster config; an entry for self is allowed and ignored. May be empty and supplied later via setPeers(). */
  readonly peers: readonly PeerIdentity[];
  /** Called only for application frames on connections whose handshake succeeded, in per-sender order. */
  readonly onMessage: (from: string, payload: unknown) => void;
  readonly logger: Logger;
  /** Largest accepted payload (default 16 MiB); a larger incoming frame closes its connection. */
  readonly maxFrameBytes?: number;
  /** Exponential backoff with full jitter between dial attempts (default 100 ms .. 5 s). */
  readonly reconnect?: { readonly initialMs: number; readonly maxMs: number };
  /** Per-peer outbound queue bound in frames (default 4096); when full the oldest frame is dropped. */
  readonly maxQueueFrames?: number;
  /** How long either side waits for the handshake (default 5 s). */
  readonly handshakeTimeoutMs?: number;
}

export interface PeerStats {
  /** Our outbound link to the peer has completed its half of the handshake. */
  readonly connected: boolean;
  /** Frames handed to the socket; frames in flight when a connection drops are lost (Raft retransmits). */
  readonly sentFrames: number;
  /** Failed dials, handshakes that failed, established links that dropped, and payloads that could not be framed. */
  readonly sendFailures: number;
  /** Application frames delivered to onMessage from this peer. */
  readonly receivedFrames: number;
  /** Wall-clock ms (Date.now) of the last authenticated handshake or frame from the peer; null if never. */
  readonly lastContactMs: number | null;
  /** Frames evicted from the full outbound queue. */
  readonly droppedFrames: number;
}

// The hello is a few hundred bytes; a party that has not authenticated gets no large buffers from us.
const HANDSHAKE_MAX_FRAME_BYTES = 4096;
// Bounds sockets (and their timers) held open by parties that never finish the handshake.
const MAX_PENDING_HANDSHAKES = 64;
const DEFAULT_RECONNECT = { initialMs: 100, maxMs: 5000 } as const;
const DEFAULT_QUEUE_FRAMES = 4096;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
const KEEPALIVE_MS = 10_000;

type Timer = ReturnType<typeof setTimeout>;

interface SendCounters {
  sentFrames: number;
  sendFailures: number;
  droppedFrames: number;
}

interface OutboundLink {
  peer: PeerIdentity;
  readonly queue: BoundedQueue<Buffer>;
  readonly counters: SendCounters;
  socket: Socket | null;
  /** Hello written: frames may follow. */
  ready: boolean;
  readyAt: number;
  attempt: number;
  reconnectTimer: Timer | null;
  handshakeTimer: Timer | null;
  /** Set while the queue is overflowing, so an overflow episode logs once rather than per frame. */
  overflowing: boolean;
  /** Logged once per outage; the retries that follow log at debug. */
  downLogged: boolean;
}

interface InboundConn {
  readonly socket: Socket;
  readonly remote: string;
  readonly reader: FrameReader;
  readonly challenge: Challenge;
  peer: string | null;
  timer: Timer | null;
  dead: boolean;
}

function validatePeer(p: PeerIdentity): void {
  if (typeof p.id !== 'string' || p.id.length === 0) throw new Error('peer id must be a non-empty string');
  if (publicKeyFromSigner(p.signer) === null) throw new Error(`peer ${p.id}: signer is not a valid hmmm:pubkey id`);
  if (typeof p.address?.host !== 'string' || !Number.isInteger(p.address.port) || p.address.port < 0 || p.address.port > 65535) {
    throw new Error(`peer ${p.id}: invalid address`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Every replica dials every peer for its own outbound traffic and accepts the peers' dials for inbound traffic,
 * so each TCP connection carries frames one way only and a reconnect never races a connection in the other
 * direction. The acceptor authenticates the dialer; the dialer trusts the address it dialed (no TLS: frames are
 * neither encrypted nor integrity-protected after the handshake, so the network between replicas must be trusted).
 *
 * Port 0: start every transport with `peers: []`, read `.port`, then call setPeers() with the real addresses.
 */
export class PeerTransport {
  private readonly links = new Map<string, OutboundLink>();
  /** Configured peers' signers by id; the handshake verifies against these. */
  private signers = new Map<string, string>();
  private readonly inbound = new Set<InboundConn>();
  /** The newest authenticated inbound connection per peer; an older one is closed when a newer one arrives. */
  private readonly activeInbound = new Map<string, InboundConn>();
  /** Receive-side counters survive outbound link changes, so they live apart from the links. */
  private readonly received = new Map<string, { receivedFrames: number; lastContactMs: number | null }>();
  private closing: Promise<void> | null = null;
  private readonly maxFrameBytes: number;
  private readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  private readonly maxQueueFrames: number;
  private readonly handshakeTimeoutMs: number;
  private readonly log: Logger;

  private constructor(
    private readonly opts: TransportOptions,
    private readonly server: Server,
    readonly port: number,
  ) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.reconnect = opts.reconnect ?? DEFAULT_RECONNECT;
    this.maxQueueFrames = opts.maxQueueFrames ?? DEFAULT_QUEUE_FRAMES;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.log = opts.logger.child({ component: 'peer-transport', self: opts.self.id });
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => this.log.error({ err: errorMessage(err) }, 'peer listener error'));
  }

  /** Listens on self.address (port 0 picks a free port, see `.port`) and starts dialing the configured peers. */
  static async start(opts: TransportOptions): Promise<PeerTransport> {
    if (opts.key.signer !== opts.self.signer) throw new Error('transport key does not match self.signer');
    validatePeer(opts.self);
    const maxFrame = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > 0xffffffff) throw new RangeError('maxFrameBytes must be an integer in [1, 2^32)');
    const rc = opts.reconnect ?? DEFAULT_RECONNECT;
    if (!(rc.initialMs > 0 && rc.maxMs >= rc.initialMs)) throw new RangeError('reconnect needs 0 < initialMs <= maxMs');
    const server = createServer({ noDelay: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.self.address.port, opts.self.address.host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : opts.self.address.port);
      });
    });
    const transport = new PeerTransport(opts, server, port);
    try {
      transport.setPeers(opts.peers);
    } catch (err) {
      await transport.close();
      throw err;
    }
    transport.log.info({ host: opts.self.address.host, port }, 'peer transport listening');
    return transport;
  }

  /**
   * Replaces the cluster config. Unchanged peers keep their connection, queue and counters; removed peers lose
   * them (and their inbound connections); a changed address redials at once; a changed signer drops the peer's
   * inbound connections so it must authenticate again under the new key.
   */
  setPeers(peers: readonly PeerIdentity[]): void {
    if (this.closing !== null) throw new Error('transport is closed');
    const self = this.opts.self;
    const next = new Map<string, PeerIdentity>();
    for (const p of peers) {
      validatePeer(p);
      if (p.id === self.id) {
        if (p.signer !== self.signer) throw new Error(`cluster config gives ${self.id} a signer other than this replica's key`);
        continue;
      }
      if (next.has(p.id)) throw new Error(`duplicate peer id ${p.id}`);
      if (p.address.port === 0) throw new Error(`peer ${p.id}: port 0 cannot be dialed`);
      next.set(p.id, p);
    }
    for (const [id, link] of this.links) {
      const p = next.get(id);
      if (p === undefined) {
        this.shutLink(link);
        this.links.delete(id);
        this.received.delete(id);
        this.dropInbound(id, 'peer removed from config');
      } else if (p.signer !== link.peer.signer) {
        this.dropInbound(id, 'peer signer changed');
      }
    }
    this.signers = new Map([...next].map(([id, p]) => [id, p.signer]));
    for (const [id, p] of next) {
      const link = this.links.get(id);
      if (link === undefined) {
        const fresh: OutboundLink = {
          peer: p,
          queue: new BoundedQueue<Buffer>(this.maxQueueFrames),
          counters: { sentFrames: 0, sendFailures: 0, droppedFrames: 0 },
          socket: null,
          ready: false,
          readyAt: 0,
          attempt: 0,
          reconnectTimer: null,
          handshakeTimer: null,
          overflowing: false,
          downLogged: false,
        };
        this.links.set(id, fresh);
        if (!this.received.has(id)) this.received.set(id, { receivedFrames: 0, lastContactMs: null });
        this.dial(fresh);
      } else {
        const moved = p.address.host !== link.peer.address.host || p.address.port !== link.peer.address.port;
        link.peer = p;
        if (moved) {
          this.shutLink(link);
          link.attempt = 0;
          this.dial(link);
        }
      }
    }
  }

  /**
   * Queues `payload` for `to` and returns true; false when the peer is not configured (including self), the
   * transport is closed, or the payload cannot be encoded within maxFrameBytes. Delivery is best effort and in order.
   */
  send(to: string, payload: unknown): boolean {
    if (this.closing !== null) return false;
    const link = this.links.get(to);
    if (link === undefined) return false;
    let frame: Buffer;
    try {
      frame = encodeFrame(payload);
    } catch (err) {
      link.counters.sendFailures++;
      this.log.warn({ peer: to, err: errorMessage(err) }, 'payload cannot be encoded; not sent');
      return false;
    }
    if (frameBodyLength(frame) > this.maxFrameBytes) {
      link.counters.sendFailures++;
      this.log.warn({ peer: to, bytes: frameBodyLength(frame), max: this.maxFrameBytes, reason: 'frame too large' }, 'payload exceeds maxFrameBytes; not sent');
      return false;
    }
    if (link.queue.push(frame)) {
      link.counters.droppedFrames++;
      if (!link.overflowing) {
        link.overflowing = true;
        this.log.warn({ peer: to, capacity: link.queue.capacity }, 'outbound queue full; dropping oldest frames');
      }
    }
    this.flush(link);
    return true;
  }

  /** Our outbound link to `id` is up (frames queued for a peer that is down wait, bounded, for a reconnect). */
  isConnected(id: string): boolean {
    return this.links.get(id)?.ready ?? false;
  }

  stats(): Record<string, PeerStats> {
    const out: Record<string, PeerStats> = {};
    for (const [id, link] of this.links) {
      const rx = this.received.get(id);
      out[id] = {
        connected: link.ready,
        sentFrames: link.counters.sentFrames,
        sendFailures: link.counters.sendFailures,
        receivedFrames: rx?.receivedFrames ?? 0,
        lastContactMs: rx?.lastContactMs ?? null,
        droppedFrames: link.counters.droppedFrames,
      };
    }
    return out;
  }

  /** Stops listening, destroys every socket and clears every timer; queued frames are discarded. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    // Set first so the socket 'close' handlers that destroy() triggers see a closed transport and do not redial.
    this.closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const link of this.links.values()) {
      this.shutLink(link);
      link.queue.clear();
    }
    for (const conn of this.inbound) this.killInbound(conn);
    return this.closing;
  }

  // ---- outbound ----

  private dial(link: OutboundLink): void {
    if (this.closing !== null || link.socket !== null || link.reconnectTimer !== null) return;
    const { host, port } = link.peer.address;
    const socket = createConnection({ host, port, noDelay: true });
    socket.setKeepAlive(true, KEEPALIVE_MS);
    link.socket = socket;
    link.ready = false;
    const reader = new FrameReader(HANDSHAKE_MAX_FRAME_BYTES);
    let failure: string | null = null;
    const fail = (reason: string, detail?: string): void => {
      if (link.socket !== socket || failure !== null) return;
      failure = reason;
      this.log.warn({ peer: link.peer.id, remote: `${host}:${port}`, reason, detail }, 'outbound peer handshake failed');
      socket.destroy();
    };
    // Covers the TCP connect too: a dial into a black hole must not wait for the OS timeout.
    link.handshakeTimer = setTimeout(() => fail('handshake timeout'), this.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      // The acceptor sends nothing after its challenge; anything further is ignored rather than buffered.
      if (link.socket !== socket || link.ready || failure !== null) return;
      reader.push(chunk);
      let frame: { readonly payload: unknown } | null;
      try {
        frame = reader.next();
      } catch (err) {
        if (err instanceof FrameError) return fail(err.reason, err.detail);
        throw err;
      }
      if (frame === null) return;
      const challenge = parseChallenge(frame.payload);
      if (challenge === null) return fail('malformed frame', 'expected a challenge');
      if (challenge.server !== link.peer.id) return fail('unexpected server', `address answered as ${challenge.server}`);
      socket.write(encodeFrame(makeHello(this.opts.key, this.opts.self.id, challenge)));
      this.clearHandshakeTimer(link);
      link.ready = true;
      link.readyAt = Date.now();
      link.downLogged = false;
      this.log.info({ peer: link.peer.id, remote: `${host}:${port}` }, 'peer link up');
      this.flush(link);
    });
    socket.on('drain', () => this.flush(link));
    let lastError: string | null = null;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      lastError = err.code ?? err.message;
    });
    socket.on('close', () => {
      if (link.socket !== socket) return;
      const wasReady = link.ready;
      link.socket = null;
      link.ready = false;
      this.clearHandshakeTimer(link);
      if (this.closing !== null) return;
      link.counters.sendFailures++;
      // A link that stayed up a while starts over at the short delay; one rejected right after its hello keeps
      // backing off, so a misconfigured peer is not hammered.
      if (wasReady && Date.now() - link.readyAt >= this.reconnect.maxMs) link.attempt = 0;
      if (wasReady) {
        this.log.info({ peer: link.peer.id, error: lastError }, 'peer link down; reconnecting');
      } else if (!link.downLogged && failure === null) {
        this.log.info({ peer: link.peer.id, error: lastError }, 'peer unreachable; retrying with backoff');
        link.downLogged = true;
      } else {
        this.log.debug({ peer: link.peer.id, error: lastError ?? failure }, 'peer dial failed; retrying');
      }
      this.scheduleDial(link);
    });
  }

  private scheduleDial(link: OutboundLink): void {
    const ceiling = Math.min(this.reconnect.maxMs, this.reconnect.initialMs * 2 ** Math.min(link.attempt, 30));
    link.attempt++;
    const delay = Math.random() * ceiling;
    link.reconnectTimer = setTimeout(() => {
      link.reconnectTimer = null;
      this.dial(link);
    }, delay);
  }

  private flush(link: OutboundLink): void {
    const socket = link.socket;
    if (!link.ready || socket === null) return;
    if (link.queue.size === 0) {
      link.overflowing = false;
      return;
    }
    // Corked so a burst leaves in one writev; stops at the socket's high-water mark and resumes on 'drain'.
    socket.cork();
    while (link.queue.size > 0 && !socket.writableNeedDrain) {
      socket.write(link.queue.shift()!);
      link.counters.sentFrames++;
    }
    socket.uncork();
    if (link.queue.size === 0) link.overflowing = false;
  }

  private clearHandshakeTimer(link: OutboundLink): void {
    if (link.handshakeTimer !== null) clearTimeout(link.handshakeTimer);
    link.handshakeTimer = null;
  }

  private shutLink(link: OutboundLink): void {
    if (link.reconnectTimer !== null) clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    this.clearHandshakeTimer(link);
    const socket = link.socket;
    link.socket = null;
    link.ready = false;
    socket?.destroy();
  }

  // ---- inbound ----

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    let pending = 0;
    for (const c of this.inbound) if (c.peer === null) pending++;
    if (pending >= MAX_PENDING_HANDSHAKES) {
      this.log.warn({ remote, reason: 'too many pending handshakes' }, 'inbound peer connection refused');
      socket.destroy();
      return;
    }
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const conn: InboundConn = {
      socket,
      remote,
      reader: new FrameReader(HANDSHAKE_MAX_FRAME_BYTES),
      challenge: newChallenge(this.opts.self.id),
      peer: null,
      timer: null,
      dead: false,
    };
    this.inbound.add(conn);
    conn.timer = setTimeout(() => this.rejectInbound(conn, 'handshake timeout', null), this.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onInboundData(conn, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ remote, peer: conn.peer, error: err.code ?? err.message }, 'inbound peer socket error');
    });
    socket.on('close', () => {
      conn.dead = true;
      if (conn.timer !== null) clearTimeout(conn.timer);
      conn.timer = null;
      this.inbound.delete(conn);
      if (conn.peer !== null && this.activeInbound.get(conn.peer) === conn) this.activeInbound.delete(conn.peer);
    });
    socket.write(encodeFrame(conn.challenge));
  }

  private onInboundData(conn: InboundConn, chunk: Buffer): void {
    if (conn.dead) return;
    conn.reader.push(chunk);
    // Re-checked each round: a rejection, onMessage calling close(), or a config change can end the connection.
    while (!conn.dead && this.closing === null) {
      let frame: { readonly payload: unknown } | null;
      try {
        frame = conn.reader.next();
      } catch (err) {
        if (err instanceof FrameError) return this.rejectInbound(conn, err.reason, conn.peer, err.detail);
        throw err;
      }
      if (frame === null) return;
      if (conn.peer === null) {
        this.authenticate(conn, frame.payload);
        continue;
      }
      const rx = this.received.get(conn.peer);
      if (rx !== undefined) {
        rx.receivedFrames++;
        rx.lastContactMs = Date.now();
      }
      try {
        this.opts.onMessage(conn.peer, frame.payload);
      } catch (err) {
        // The handler's bug is not the peer's fault: keep the connection, report loudly.
        this.log.error({ peer: conn.peer, err: errorMessage(err) }, 'onMessage threw');
      }
    }
  }

  private authenticate(conn: InboundConn, payload: unknown): void {
    const verdict = verifyHello(payload, conn.challenge, this.signers);
    if (!verdict.ok) return this.rejectInbound(conn, verdict.reason, verdict.claimedId);
    if (conn.timer !== null) clearTimeout(conn.timer);
    conn.timer = null;
    conn.peer = verdict.id;
    conn.reader.setMaxFrameBytes(this.maxFrameBytes);
    // The dialer only redials after losing its socket, so an older connection from the same peer is dead or dying.
    const previous = this.activeInbound.get(verdict.id);
    if (previous !== undefined) this.killInbound(previous);
    this.activeInbound.set(verdict.id, conn);
    const rx = this.received.get(verdict.id);
    if (rx !== undefined) rx.lastContactMs = Date.now();
    this.log.info({ peer: verdict.id, remote: conn.remote }, 'inbound peer authenticated');
  }

  private rejectInbound(conn: InboundConn, reason: string, peer: string | null, detail?: string): void {
    if (conn.dead) return;
    this.log.warn({ remote: conn.remote, peer, reason, detail, authenticated: conn.peer !== null }, 'inbound peer connection closed');
    this.killInbound(conn);
  }

  private dropInbound(peer: string, reason: string): void {
    for (const conn of this.inbound) {
      if (conn.peer === peer) {
        this.log.info({ peer, remote: conn.remote, reason }, 'inbound peer connection closed');
        this.killInbound(conn);
      }
    }
  }

  private killInbound(conn: InboundConn): void {
    conn.dead = true;
    if (conn.timer !== null) clearTimeout(conn.timer);
    conn.timer = null;
    conn.socket.destroy();
  }
}
