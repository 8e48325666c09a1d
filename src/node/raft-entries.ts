// How Raft entries and snapshots carry SWOOSH data (docs/raft.md): the bytes inside Entry.data and Snapshot.data.
import { Packr } from 'msgpackr';
import { decodeConfChange, encodeConfChange } from '../raft/raw-node.ts';
import type { Entry } from '../raft/types.ts';
import { isControlEntry, type LogRecord, type SnapshotRecord } from '../storage/records.ts';

// The same plain MessagePack as the store: maps as objects, no record extension.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export interface Command {
  readonly stamp: string;
  readonly proposal: unknown;
}

/** A proposal stamped by the leader, as Raft replicates it. An empty entry is a new leader's no-op. */
export function encodeCommand(c: Command): Uint8Array {
  return packr.pack({ stamp: c.stamp, proposal: c.proposal });
}

export function decodeCommand(data: Uint8Array): Command {
  const v = packr.unpack(data) as Partial<Command> | null;
  if (v === null || typeof v !== 'object' || typeof v.stamp !== 'string' || !('proposal' in v)) throw new Error('entry data is not a {stamp, proposal} command');
  return { stamp: v.stamp, proposal: v.proposal };
}

/** The record the store keeps for a Raft entry. */
export function recordOfEntry(e: Entry): LogRecord {
  if (e.type === 'conf-change') return { index: e.index, term: e.term, kind: 'conf', conf: decodeConfChange(e) };
  if (e.data.length === 0) return { index: e.index, term: e.term, kind: 'noop' };
  const c = decodeCommand(e.data);
  return { index: e.index, term: e.term, stamp: c.stamp, proposal: c.proposal };
}

/** The Raft entry a stored record came from (after a restart). */
export function entryOfRecord(r: LogRecord): Entry {
  if (!isControlEntry(r)) return { index: r.index, term: r.term, type: 'normal', data: encodeCommand(r) };
  if (r.kind === 'conf') return { index: r.index, term: r.term, type: 'conf-change', data: encodeConfChange(r.conf!) };
  return { index: r.index, term: r.term, type: 'normal', data: new Uint8Array() };
}

export function encodeSnapshotData(s: SnapshotRecord): Uint8Array {
  return packr.pack(s);
}

export function decodeSnapshotData(data: Uint8Array): unknown {
  return packr.unpack(data);
}
