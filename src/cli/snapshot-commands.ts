// `swoosh snapshot save|inspect|restore` (etcdctl-shaped): save a replica's applied state to a file, check a
// file, and create a new cluster that starts from one.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readSnapshotFile } from '../node/snapshot-file.ts';
import { printJson, UsageError } from './cli-io.ts';
import { initCluster, LAYOUT_OPTIONS, layoutOf } from './cluster-commands.ts';
import { isEmptyOrMissing } from './replica-commands.ts';
import { endpointsOf } from './endpoints.ts';
import { table } from './table.ts';

async function readChecked(path: string) {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = readSnapshotFile(bytes);
  return { r, size: bytes.length };
}

export async function snapshotCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { endpoints: { type: 'string' }, 'write-out': { type: 'string', short: 'w' }, ...LAYOUT_OPTIONS } });
  const file = positionals[0];
  if (file === undefined || !['save', 'inspect', 'restore'].includes(sub ?? '')) {
    throw new UsageError('usage: swoosh snapshot save FILE [--endpoints U] | inspect FILE [-w table|json] | restore FILE --data NEWDIR [--replicas 3]');
  }
  if (sub === 'save') {
    const endpoint = endpointsOf(values.endpoints)[0]!;
    const res = await fetch(`${endpoint}/snapshot`, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new UsageError(`GET ${endpoint}/snapshot: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const r = readSnapshotFile(bytes);
    if (!r.ok) {
      process.stderr.write(`swoosh snapshot save: the snapshot from ${endpoint} does not verify: ${r.reason}; not written\n`);
      return 1;
    }
    await writeFile(file, bytes, { flag: 'wx' });
    printJson({ file, from: endpoint, index: r.check.index, state_hash: r.check.hash, hlc: r.check.hlc, bytes: bytes.length });
    return 0;
  }
  const { r, size } = await readChecked(file);
  if (!r.ok) {
    process.stderr.write(`swoosh snapshot ${sub}: ${file}: ${r.reason}\n`);
    return 1;
  }
  if (sub === 'inspect') {
    const info = { file, verified: true, index: r.check.index, hlc: r.check.hlc, state_hash: r.check.hash, top: r.check.state.configuration.top, cluster_id: r.file.cluster_id, project: r.file.genesis.project, bytes: size };
    if ((values['write-out'] ?? 'table') === 'json') printJson(info);
    else process.stdout.write(table(['INDEX', 'HLC', 'STATE HASH', 'TOP', 'BYTES'], [[String(info.index), String(info.hlc), info.state_hash, info.top, String(size)]]));
    return 0;
  }
  // restore: a new cluster (new id, new node keys) whose replicas all begin at the snapshot.
  if (values.data === undefined) throw new UsageError('usage: swoosh snapshot restore FILE --data NEWDIR [--replicas 3] [--http-port-base 7071]');
  if (!(await isEmptyOrMissing(values.data))) throw new UsageError(`${values.data} is not empty; restore writes a new cluster directory`);
  const cluster = await initCluster(values.data, layoutOf(values), r.file.genesis, r.file.snapshot);
  printJson({
    data: values.data,
    cluster_id: cluster.cluster_id,
    restored_index: r.check.index,
    state_hash: r.check.hash,
    members: cluster.members,
    note: `the identities are the snapshot's: sign with the original cluster's keys (they are not copied). Start it with: swoosh cluster up --data ${values.data}`,
  });
  return 0;
}
