// Free loopback ports for local clusters (ours and etcd's), which must know every address before starting.
import { createServer, type Server } from 'node:net';

/** Distinct free ports: all are held open together so none is handed out twice, then released for the caller. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((ok, fail) => s.once('error', fail).listen(0, host, () => ok()));
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

async function canBind(port: number, host: string): Promise<Server | null> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(null));
    s.listen(port, host, () => resolve(s));
  });
}

/** `n` consecutive free ports (the fakes listen on base + i); tries a few bases near free ones. */
export async function freePortRange(n: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [base] = await freePorts(1, host);
    if (base === undefined || base + n > 65_535) continue;
    const held: Server[] = [];
    for (let i = 0; i < n; i++) {
      const s = await canBind(base + i, host);
      if (s === null) break;
      held.push(s);
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    if (held.length === n) return base;
  }
  throw new Error(`no ${n} consecutive free ports on ${host}`);
}
