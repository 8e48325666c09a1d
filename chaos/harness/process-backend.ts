// The default backend: replicas are local processes on 127.0.0.1, every directed link through the fault proxy.
import { memberId } from '../../src/cli/cluster-commands.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { FaultProxy } from '../network/fault-proxy.ts';
import type { BackendOptions, ChaosBackend } from './backend.ts';

export async function createProcessBackend(o: BackendOptions): Promise<ChaosBackend> {
  // The proxy listens first, so the free ports the cluster picks next cannot collide with its listeners.
  const network = await FaultProxy.reserve(Array.from({ length: o.replicas }, (_, i) => memberId(i + 1)), o.seed, { http: true });
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.prepare(o.dir, { replicas: o.replicas, serveArgs: o.serveArgs, fakePortBase: o.fakePortBase, argsFor: (id) => network.dialArgs(id) });
    network.route(cluster.config.members);
    await o.beforeStart?.(o.dir);
    await cluster.startAll();
  } catch (e) {
    await network.close();
    throw e;
  }
  return {
    name: 'process',
    replicas: cluster,
    network,
    fakeHost: '127.0.0.1',
    async close() {
      await cluster.stop();
      await network.close();
    },
  };
}
