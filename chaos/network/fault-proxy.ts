// A fault-injecting TCP proxy on every directed replica link, for the process backend of the chaos harness.
//
// Each replica dials each peer over its own connection that carries frames one way only (src/transport), so
// the proxy for the link a→b sees exactly what a sends to b: a `--dial b=PROXY` override on a routes it here.
// The proxy understands the transport's framing (4-byte big-endian length + body), not its content: it forwards
// the handshake untouched and then drops, duplicates, delays, reorders or throttles whole frames, which is what a
// lossy network looks like to Raft once TCP has given up or reconnected. A cut goes silent (like a partition,
// nothing is refused); healing resumes the open connections. A peer with an `http` URL also gets an HTTP link
// per directed pair (http-link.ts, `--dial-http`): a cut stalls the requests one replica forwards to another.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Prng } from '../../src/core/prng.ts';
import { DEFAULT_MAX_FRAME_BYTES, FrameReader } from '../../src/transport/frame-codec.ts';
import { HttpLink } from './http-link.ts';
import type { LinkFaults, NetworkFaults } from './link-faults.ts';

/** Above this many queued bytes the proxy stops reading from the sender (TCP backpressure, no unbounded memory). */
const HIGH_WATER = 8 * 1024 * 1024;

export interface ProxyPeer {
  readonly id: string;
  readonly raft: { readonly host: string; readonly port: number };
  /** The peer's HTTP URL (as in the membership); when given, forwarded HTTP crosses the proxy too. */
  readonly http?: string;
}

interface LinkCounters {
  connections: number;
  frames: number;
  bytes: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  delayed: number;
}

type Address = { readonly host: string; readonly port: number };

interface Link {
  readonly from: string;
  readonly to: string;
  /** The receiver's Raft address; null until route() (a connection before that is treated as cut). */
  target: Address | null;
  readonly server: Server;
  readonly port: number;
  readonly rng: Prng;
  faults: LinkFaults;
  readonly counters: LinkCounters;
  readonly pipes: Set<Pipe>;
}

/** One proxied connection: the sender's socket, the receiver's socket, and the frames in between. */
class Pipe {
  private readonly frames = new FrameReader(DEFAULT_MAX_FRAME_BYTES);
  private helloSeen = false;
  private readonly queue: { frame: Buffer; at: number }[] = [];
  private queuedBytes = 0;
  private held: Buffer | null = null;
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private lastAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly link: Link,
    private readonly client: Socket,
    private readonly upstream: Socket | null,
  ) {
    link.counters.connections++;
    link.pipes.add(this);
    client.on('data', (chunk: Buffer) => this.fromSender(chunk));
    // The receiver only ever sends the handshake challenge back; a cut link loses it too.
    upstream?.on('data', (chunk: Buffer) => {
      if (this.link.faults.cut !== true) client.write(chunk);
    });
    const close = () => this.close();
    for (const s of [client, upstream]) {
      s?.on('error', close);
      s?.on('close', close);
    }
  }

  private fromSender(chunk: Buffer): void {
    this.frames.push(chunk);
    for (;;) {
      let raw: Uint8Array | null;
      try {
        raw = this.frames.nextRaw();
      } catch {
        // Not the transport's framing (or over its size limit): the receiver would drop it too.
        return this.close();
      }
      if (raw === null) break;
      const frame = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
      const c = this.link.counters;
      const f = this.link.faults;
      if (f.cut === true || this.upstream === null) {
        c.dropped++;
        continue;
      }
      // The first frame is the signed hello: faults apply to what follows, or no connection would ever form.
      if (!this.helloSeen) {
        this.helloSeen = true;
        this.enqueue(frame, 0);
        continue;
      }
      c.frames++;
      c.bytes += frame.length;
      const rng = this.link.rng;
      if (rng.chance(f.drop_permille ?? 0)) {
        c.dropped++;
        continue;
      }
      const copies = rng.chance(f.duplicate_permille ?? 0) ? 2 : 1;
      if (copies === 2) c.duplicated++;
      for (let i = 0; i < copies; i++) {
        if (this.held === null && rng.chance(f.reorder_permille ?? 0)) {
          // Held back and sent right after the next frame.
          this.held = frame;
          c.reordered++;
          // Nothing may follow for a while (an idle link): then it goes alone.
          this.holdTimer = setTimeout(() => this.release(), 50);
          continue;
        }
        this.enqueue(frame, this.delayOf(frame));
        this.release();
      }
    }
    if (this.queuedBytes > HIGH_WATER) this.client.pause();
  }

  private release(): void {
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.held === null) return;
    const frame = this.held;
    this.held = null;
    this.enqueue(frame, 0);
  }

  /** Accepted while the link was cut: no receiver behind it. */
  get silent(): boolean {
    return this.upstream === null;
  }

  private delayOf(frame: Buffer): number {
    const f = this.link.faults;
    let ms = f.delay_ms ?? 0;
    if ((f.jitter_ms ?? 0) > 0) ms += this.link.rng.int(-f.jitter_ms!, f.jitter_ms!);
    if ((f.bytes_per_second ?? 0) > 0) ms += (frame.length * 1000) / f.bytes_per_second!;
    if (ms > 0) this.link.counters.delayed++;
    return Math.max(0, ms);
  }

  /** Frames leave in the order they were queued, each no earlier than its own delay (so jitter never reorders). */
  private enqueue(frame: Buffer, delayMs: number): void {
    const at = Math.max(Date.now() + delayMs, this.lastAt);
    this.lastAt = at;
    this.queue.push({ frame, at });
    this.queuedBytes += frame.length;
    this.pump();
  }

  private pump(): void {
    if (this.timer !== null || this.closed) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { frame } = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      // A link cut while frames were in flight loses them.
      if (this.link.faults.cut === true) this.link.counters.dropped++;
      else this.upstream!.write(frame);
    }
    if (this.queuedBytes <= HIGH_WATER / 2 && this.client.isPaused()) this.client.resume();
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.queue[0]!.at - now);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.link.pipes.delete(this);
    this.client.destroy();
    this.upstream?.destroy();
  }
}

const SUPPORTED: ReadonlySet<keyof LinkFaults> = new Set(['cut', 'delay_ms', 'jitter_ms', 'drop_permille', 'duplicate_permille', 'reorder_permille', 'bytes_per_second']);

export class FaultProxy implements NetworkFaults {
  readonly supports = SUPPORTED;

  private readonly httpLinks = new Map<string, { readonly from: string; readonly to: string; readonly link: HttpLink; readonly route: { target: Address | null } }>();

  private constructor(
    private readonly links: Map<string, Link>,
    private readonly host: string,
  ) {}

  /** Listens for every ordered pair of `peers` on `host` (free ports) and routes them; every link starts healthy. */
  static async start(peers: readonly ProxyPeer[], seed: number, host = '127.0.0.1'): Promise<FaultProxy> {
    const proxy = await FaultProxy.reserve(peers.map((p) => p.id), seed, { http: peers.some((p) => p.http !== undefined), host });
    proxy.route(peers);
    return proxy;
  }

  /**
   * Listens for every ordered pair of `ids` before their addresses are known: a caller that picks the replicas'
   * ports afterwards cannot be handed a port the proxy's listeners take. route() then says where each id is.
   */
  static async reserve(ids: readonly string[], seed: number, o: { readonly http: boolean; readonly host?: string }): Promise<FaultProxy> {
    const host = o.host ?? '127.0.0.1';
    const links = new Map<string, Link>();
    const proxy = new FaultProxy(links, host);
    try {
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue;
          links.set(key(from, to), await FaultProxy.listen(from, to, seed, host));
          if (!o.http) continue;
          // Requests cross from→to, their answers to→from: each direction stalls while its link is cut.
          const isCut = (d: 'request' | 'response') => links.get(d === 'request' ? key(from, to) : key(to, from))?.faults.cut === true;
          const route: { target: Address | null } = { target: null };
          proxy.httpLinks.set(key(from, to), { from, to, link: await HttpLink.listen(host, () => route.target, isCut), route });
        }
      }
    } catch (e) {
      await proxy.close();
      throw e;
    }
    return proxy;
  }

  /** Where each peer listens (its Raft address, and its HTTP URL when forwarding is proxied). */
  route(peers: readonly ProxyPeer[]): void {
    for (const to of peers) {
      for (const l of this.links.values()) if (l.to === to.id) l.target = to.raft;
      if (to.http === undefined) continue;
      const u = new URL(to.http);
      for (const h of this.httpLinks.values()) if (h.to === to.id) h.route.target = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
    }
  }

  private static listen(from: string, to: string, seed: number, host: string): Promise<Link> {
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        const link: Link = {
          from,
          to,
          target: null,
          server,
          port,
          rng: new Prng(linkSeed(seed, from, to)),
          faults: {},
          counters: { connections: 0, frames: 0, bytes: 0, dropped: 0, duplicated: 0, reordered: 0, delayed: 0 },
          pipes: new Set(),
        };
        server.on('connection', (client) => {
          client.setNoDelay(true);
          // A cut link accepts and stays silent: the dialer's handshake times out, as across a partition.
          if (link.faults.cut === true || link.target === null) return void new Pipe(link, client, null);
          const upstream = createConnection({ host: link.target.host, port: link.target.port, noDelay: true });
          new Pipe(link, client, upstream);
        });
        resolve(link);
      });
    });
  }

  /** `--dial` (and `--dial-http`) arguments that send every routed link out of replica `from` through this proxy. */
  dialArgs(from: string): string[] {
    const raft = [...this.links.values()].filter((l) => l.from === from && l.target !== null).flatMap((l) => ['--dial', `${l.to}=${this.host}:${l.port}`]);
    const http = [...this.httpLinks.values()].filter((l) => l.from === from && l.route.target !== null).flatMap((l) => ['--dial-http', `${l.to}=${this.host}:${l.link.port}`]);
    return [...raft, ...http];
  }

  async set(from: string, to: string, faults: LinkFaults): Promise<void> {
    const link = this.links.get(key(from, to));
    if (link === undefined) throw new Error(`no proxied link ${from}→${to}`);
    link.faults = { ...faults };
    // A cut link must also stop half-open handshakes from completing later: drop silent pipes when healed.
    if (faults.cut !== true) for (const p of link.pipes) if (p.silent) p.close();
    // The HTTP links this pair's cut stalls: from→to holds requests, to→from holds the answers to to's requests.
    this.httpLinks.get(key(from, to))?.link.flush();
    this.httpLinks.get(key(to, from))?.link.flush();
  }

  async healAll(): Promise<void> {
    for (const l of this.links.values()) await this.set(l.from, l.to, {});
  }

  stats(): Record<string, Record<string, number>> {
    const raft = [...this.links.entries()].map(([k, l]) => [k, { ...l.counters }] as const);
    const http = [...this.httpLinks.entries()].map(([k, h]) => [`${k} http`, { ...h.link.counters }] as const);
    return Object.fromEntries([...raft, ...http]);
  }

  async close(): Promise<void> {
    for (const h of this.httpLinks.values()) await h.link.close();
    for (const l of this.links.values()) {
      for (const p of l.pipes) p.close();
      await new Promise<void>((r) => l.server.close(() => r()));
    }
  }
}

const key = (from: string, to: string) => `${from}->${to}`;

function linkSeed(seed: number, from: string, to: string): number {
  let h = seed >>> 0;
  for (const ch of `${from}->${to}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}
