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
