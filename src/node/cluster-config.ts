// A cluster's membership as configured (docs/raft.md): each replica's id, Ed25519 identity and addresses.
import { readFile } from 'node:fs/promises';
import type { PeerIdentity } from '../transport/peer-transport.ts';

/** One replica: `raft` is where peers dial it, `http` where clients reach its API. */
export interface ClusterMember {
  readonly id: string;
  readonly signer: string;
  readonly raft: { readonly host: string; readonly port: number };
  readonly http: string;
}

export interface ClusterConfig {
  readonly cluster_id: string;
  /** The bootstrap voters; later changes go through the log (`swoosh member add|remove`). */
  readonly members: readonly ClusterMember[];
}

const ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function parseMember(value: unknown, where: string): ClusterMember {
  const m = value as Partial<ClusterMember> | null;
  if (m === null || typeof m !== 'object') throw new Error(`${where}: not an object`);
  if (typeof m.id !== 'string' || !ID.test(m.id)) throw new Error(`${where}.id: must match ${ID.source}`);
  if (typeof m.signer !== 'string' || !m.signer.startsWith('hmmm:pubkey:')) throw new Error(`${where}.signer: must be an hmmm:pubkey: identity`);
  const r = m.raft;
  if (r === undefined || typeof r.host !== 'string' || !Number.isInteger(r.port) || r.port <= 0 || r.port > 65535) throw new Error(`${where}.raft: must be {host, port} with a port in 1..65535`);
  if (typeof m.http !== 'string' || !/^https?:\/\/[^/]+$/.test(m.http)) throw new Error(`${where}.http: must be a base URL like http://127.0.0.1:7071`);
  return { id: m.id, signer: m.signer, raft: { host: r.host, port: r.port }, http: m.http };
}

export function parseClusterConfig(value: unknown): ClusterConfig {
  const c = value as Partial<ClusterConfig> | null;
  if (c === null || typeof c !== 'object') throw new Error('cluster config: not an object');
  if (typeof c.cluster_id !== 'string' || c.cluster_id === '') throw new Error('cluster config: cluster_id must be a non-empty string');
  if (!Array.isArray(c.members) || c.members.length === 0) throw new Error('cluster config: members must be a non-empty array');
  const members = c.members.map((m, i) => parseMember(m, `members[${i}]`));
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) throw new Error('cluster config: member ids must be distinct');
  return { cluster_id: c.cluster_id, members };
}

export async function readClusterConfig(path: string): Promise<ClusterConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read cluster config ${path}: ${(e as Error).message}`);
  }
  return parseClusterConfig(JSON.parse(text));
}

export function peerIdentity(m: ClusterMember): PeerIdentity {
  return { id: m.id, signer: m.signer, address: { host: m.raft.host, port: m.raft.port } };
}
