// `swoosh bench --replicas 3|5 [--vs etcd]`: the replica bench's load against a real local cluster's leader,
// and optionally the same load shape against a local etcd cluster, in one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../node/cluster-process.ts';
import { parseKeyFile } from '../sdk/proposal-signer.ts';
import { SigningKey } from '../workload/signing-key.ts';
import { ensureEtcdInstalled, runEtcdLoad, startEtcdCluster, type EtcdLoadResult } from './etcd-peer.ts';
import { runLevel, type LevelResult } from './replica-bench.ts';

export interface ClusterBenchReport {
  readonly machine: string;
  readonly replicas: number;
  readonly swoosh: readonly LevelResult[];
  readonly etcd?: { readonly version: string; readonly levels: readonly EtcdLoadResult[] };
  /** SWOOSH accepted/s divided by etcd puts/s, per concurrency level. */
  readonly ratio?: readonly { readonly concurrency: number; readonly swoosh_over_etcd: number }[];
}

export async function runClusterBench(replicas: number, levels: readonly number[], perLevel: number, vsEtcd: boolean): Promise<ClusterBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-cluster-bench-'));
  try {
    const swoosh: LevelResult[] = [];
    const cluster = await LocalCluster.create(join(dir, 'swoosh'), replicas);
    try {
      const keyFile = parseKeyFile(JSON.parse(readFileSync(join(dir, 'swoosh', 'keys', 'license-adapter.key'), 'utf8')));
      if (!keyFile.ok) throw new Error(keyFile.reason);
      // Writes go to the leader, as a client that follows 421/leader hints would send them.
      const url = cluster.member(await cluster.leader()).http;
      for (const c of levels) swoosh.push(await runLevel(url, new SigningKey(keyFile.secret), c, perLevel));
    } finally {
      await cluster.stop();
    }
    const cpu = cpus();
    const machine = `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, node ${process.version}, clients and all replicas on the same machine, fsync on`;
    if (!vsEtcd) return { machine, replicas, swoosh };
    await ensureEtcdInstalled();
    const etcd = await startEtcdCluster({ members: replicas, dir: join(dir, 'etcd') });
    const etcdLevels: EtcdLoadResult[] = [];
    try {
      for (const c of levels) etcdLevels.push(await runEtcdLoad({ endpoints: etcd.endpoints, concurrency: c, count: perLevel }));
    } finally {
      await etcd.stop();
    }
    const ratio = swoosh.map((s, i) => ({ concurrency: s.concurrency, swoosh_over_etcd: Math.round((s.throughput_per_s / Math.max(1, etcdLevels[i]!.ops_per_s)) * 100) / 100 }));
    return { machine, replicas, swoosh, etcd: { version: etcd.version, levels: etcdLevels }, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
