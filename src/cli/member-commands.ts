// `swoosh member list|add|promote|remove` and `swoosh leader transfer`: etcdctl-shaped, over signed /admin requests.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { signAdminRequest, type AdminAction } from '../api/admin-request.ts';
import { parseGenesis } from '../core/genesis.ts';
import { parseClusterConfig, parseMember, type ClusterMember } from '../node/cluster-config.ts';
import { generateKeyFile, parseKeyFile } from '../sdk/proposal-signer.ts';
import { genesisFile, storeDir } from '../storage/data-dir.ts';
import { ReplicaStore } from '../storage/replica-store.ts';
import { KEYS } from '../storage/storage-keys.ts';
import { SigningKey } from '../workload/signing-key.ts';
import { printJson, readJsonFile, UsageError } from './cli-io.ts';
import { isEmptyOrMissing } from './replica-commands.ts';
import { nodeIdFile, nodeKeyFile } from './cluster-commands.ts';
import { endpointsOf, firstAnswer } from './endpoints.ts';
import { table } from './table.ts';

const COMMON = {
  endpoints: { type: 'string' },
  key: { type: 'string' },
  'write-out': { type: 'string', short: 'w' },
} as const;

interface MembersView {
  readonly cluster_id: string;
  readonly leader_id: string | null;
  readonly members: readonly { id: string; http: string; raft: string; voter: boolean; learner: boolean; leader: boolean }[];
  readonly bootstrap: readonly ClusterMember[];
}

async function adminKey(path: string | undefined): Promise<SigningKey> {
  if (path === undefined) throw new UsageError('--key FILE (an identity with the admin role, e.g. keys/operator.key) is required');
  const k = parseKeyFile(await readJsonFile(path, 'key file'));
  if (!k.ok) throw new UsageError(`${path}: ${k.reason}`);
  return new SigningKey(k.secret);
}

/** Sends a signed admin request to any replica (followers forward it to the leader); exits non-zero on refusal. */
async function sendAdmin(endpoints: readonly string[], keyPath: string | undefined, action: AdminAction, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const key = await adminKey(keyPath);
  const { endpoint, body: view } = await firstAnswer<MembersView>(endpoints, '/members');
  const request = signAdminRequest(key, view.cluster_id, action, params, Date.now());
  const res = await fetch(`${endpoint}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), signal: AbortSignal.timeout(20_000) });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new AdminRefused(`${action} refused (HTTP ${res.status} ${String(body['reason'])}): ${((body['reasons'] as string[]) ?? []).join('; ')}`);
  return body;
}

class AdminRefused extends Error {}

async function run(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof AdminRefused) {
      process.stderr.write(`swoosh: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

export async function memberCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...COMMON, learner: { type: 'boolean' }, data: { type: 'string' }, raft: { type: 'string' }, http: { type: 'string' } },
  });
  const endpoints = endpointsOf(values.endpoints);
  const format = values['write-out'] ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('-w takes table or json');
  return run(async () => {
    switch (sub) {
      case 'list': {
        const { body } = await firstAnswer<MembersView>(endpoints, '/members');
        if (format === 'json') printJson(body);
        else process.stdout.write(table(['ID', 'STATUS', 'HTTP', 'RAFT', 'LEADER'], body.members.map((m) => [m.id, m.learner ? 'learner' : m.voter ? 'voter' : 'joining', m.http, m.raft, String(m.leader)])));
        return 0;
      }
      case 'add':
        return memberAdd(endpoints, positionals[0], values, format);
      case 'promote':
      case 'remove': {
        const id = positionals[0];
        if (id === undefined) throw new UsageError(`usage: swoosh member ${sub} ID --key ADMIN.key [--endpoints U,U]`);
        const body = await sendAdmin(endpoints, values.key, sub === 'promote' ? 'member-promote' : 'member-remove', { id });
        if (format === 'json') printJson(body);
        else process.stdout.write(`member ${id} ${sub === 'promote' ? 'promoted to voter' : 'removed'} at index ${String(body['index'])}\n`);
        return 0;
      }
      default:
        throw new UsageError('usage: swoosh member list|add|promote|remove [--endpoints U,U] [-w table|json]');
    }
  });
}

/**
 * Prepares the new replica's data directory (genesis, bootstrap membership, a new node key), then asks the
 * cluster to add it. The new replica starts with an empty log and learns everything from the leader.
 */
async function memberAdd(endpoints: readonly string[], id: string | undefined, values: { key?: string; learner?: boolean; data?: string; raft?: string; http?: string }, format: string): Promise<number> {
  if (id === undefined || values.data === undefined || values.raft === undefined || values.http === undefined) {
    throw new UsageError('usage: swoosh member add ID --data NEWDIR --raft HOST:PORT --http http://HOST:PORT --key ADMIN.key [--learner] [--endpoints U,U]');
  }
  const [host, port] = values.raft.split(':');
  const nodeKey = generateKeyFile();
  let member: ClusterMember;
  try {
    member = parseMember({ id, signer: nodeKey.signer, raft: { host, port: Number(port) }, http: values.http.replace(/\/+$/, '') }, 'new member');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!(await isEmptyOrMissing(values.data))) throw new UsageError(`${values.data} is not empty; a new member needs a new directory`);
  const { body: view } = await firstAnswer<MembersView>(endpoints, '/members');
  if (view.members.some((m) => m.id === id)) throw new AdminRefused(`${id} is already a member`);
  const genesis = parseGenesis((await firstAnswer<unknown>(endpoints, '/genesis')).body);
  if (!genesis.ok) throw new Error(`the cluster's genesis does not parse: ${genesis.reasons.join('; ')}`);
  const bootstrap = parseClusterConfig({ cluster_id: view.cluster_id, members: view.bootstrap });
  await mkdir(values.data, { recursive: true, mode: 0o700 });
  await writeFile(nodeKeyFile(values.data), JSON.stringify(nodeKey, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await writeFile(nodeIdFile(values.data), JSON.stringify({ node_id: id, cluster_id: view.cluster_id, member }, null, 2) + '\n');
  await writeFile(genesisFile(values.data), JSON.stringify(genesis.genesis, null, 2) + '\n');
  const store = await ReplicaStore.open(storeDir(values.data));
  await store.writeGenesis(genesis.genesis);
  await store.writeMeta(KEYS.cluster, bootstrap);
  await store.close();
  const body = await sendAdmin(endpoints, values.key, 'member-add', { member, learner: values.learner === true });
  if (format === 'json') printJson({ ...body, data: values.data });
  else process.stdout.write(`member ${id} added as ${values.learner === true ? 'learner' : 'voter'} at index ${String(body['index'])}\nStart it with: swoosh serve --data ${values.data}\n`);
  return 0;
}

export async function leaderCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: COMMON });
  if (sub !== 'transfer' || positionals[0] === undefined) throw new UsageError('usage: swoosh leader transfer ID --key ADMIN.key [--endpoints U,U]');
  const to = positionals[0];
  return run(async () => {
    const body = await sendAdmin(endpointsOf(values.endpoints), values.key, 'leader-transfer', { to });
    if ((values['write-out'] ?? 'table') === 'json') printJson(body);
    else process.stdout.write(`leader is now ${String(body['leader_id'])}\n`);
    return 0;
  });
}
