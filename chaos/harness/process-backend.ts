// The default backend: replicas are local processes on 127.0.0.1, every directed link through the fault proxy.
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { FaultProxy } from '../network/fault-proxy.ts';
import type { BackendOptions, ChaosBackend } from './backend.ts';

export async function createProcessBackend(o: BackendOptions): Promise<ChaosBackend> {
  let proxy: FaultProxy | null = null;
  const cluster = await LocalCluster.prepare(o.dir, { replicas: o.replicas, serveArgs: o.serveArgs, fakePortBase: o.fakePortBase, argsFor: (id) => proxy?.dialArgs(id) ?? [] });
  await o.beforeStart?.(o.dir);
  proxy = await FaultProxy.start(cluster.config.members, o.seed);
  const network = proxy;
  try {
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
