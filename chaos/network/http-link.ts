// The HTTP one replica sends another (a follower forwarding a proposal or an admin request to the leader),
// routed through the chaos proxy with `serve --dial-http`, so a partition cuts it as it cuts Raft traffic.
//
// The bytes pass unchanged. A cut stalls a direction instead of losing bytes: across a real partition TCP
// retransmits until the path heals (or the request times out), it never loses the middle of a stream. A cut of
// from→to holds the requests, a cut of to→from holds the answers, so asymmetric partitions act one way only.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type HttpDirection = 'request' | 'response';

export interface HttpLinkCounters {
  connections: number;
  bytes: number;
  /** Chunks that had to wait for a cut to heal. */
  stalled: number;
}

/** One proxied connection; each direction writes through, or holds its chunks while that direction is cut. */
class StallPipe {
  private readonly held: Record<HttpDirection, Buffer[]> = { request: [], response: [] };
  private closed = false;

  constructor(
    private readonly link: HttpLink,
    private readonly client: Socket,
    private readonly upstream: Socket,
  ) {
    client.on('data', (c: Buffer) => this.carry('request', c));
    upstream.on('data', (c: Buffer) => this.carry('response', c));
    const close = () => this.close();
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  }

  private source(d: HttpDirection): Socket {
    return d === 'request' ? this.client : this.upstream;
  }

  private sink(d: HttpDirection): Socket {
    return d === 'request' ? this.upstream : this.client;
  }

  private carry(d: HttpDirection, chunk: Buffer): void {
    this.link.counters.bytes += chunk.length;
    if (this.link.isCut(d) || this.held[d].length > 0) {
      this.link.counters.stalled++;
      this.held[d].push(chunk);
      // Stop reading: what waits is bounded by one read, and the sender sees backpressure, as across a partition.
      this.source(d).pause();
      return;
    }
    this.sink(d).write(chunk);
  }

  /** Lets through what a healed direction was holding. */
  flush(): void {
    if (this.closed) return;
    for (const d of ['request', 'response'] as const) {
      if (this.link.isCut(d) || this.held[d].length === 0) continue;
      for (const chunk of this.held[d].splice(0)) this.sink(d).write(chunk);
      this.source(d).resume();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.pipes.delete(this);
    this.client.destroy();
    this.upstream.destroy();
  }
}

/** A listener for one directed pair: connections to it are carried to `target` (the peer's HTTP port). */
export class HttpLink {
  readonly counters: HttpLinkCounters = { connections: 0, bytes: 0, stalled: 0 };
  readonly pipes = new Set<StallPipe>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Whether a direction of this pair is cut now (read at every chunk, so a change applies at once). */
    readonly isCut: (d: HttpDirection) => boolean,
  ) {}

  /** `target()` is read per connection (null: not routed yet, the connection is closed). */
  static listen(host: string, target: () => { readonly host: string; readonly port: number } | null, isCut: (d: HttpDirection) => boolean): Promise<HttpLink> {
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const addr = server.address();
        const link = new HttpLink(server, typeof addr === 'object' && addr !== null ? addr.port : 0, isCut);
        server.on('connection', (client) => {
          link.counters.connections++;
          const to = target();
          if (to === null) return void client.destroy();
          const pipe = new StallPipe(link, client, createConnection({ host: to.host, port: to.port, noDelay: true }));
          link.pipes.add(pipe);
        });
        resolve(link);
      });
    });
  }

  /** Call after the link's faults changed: held bytes of a healed direction go out. */
  flush(): void {
    for (const p of this.pipes) p.flush();
  }

  async close(): Promise<void> {
    for (const p of this.pipes) p.close();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
