// Serves a replica's API over HTTP on one address, and closes it cleanly.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ClusterAdmin, ReplicaService } from './replica-service.ts';
import { createApp } from './app.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startHttpServer(replica: ReplicaService, host: string, port: number, admin?: ClusterAdmin): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const app = createApp(replica, admin);
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
