// What the store holds: log entries (replicated), decision records (apply results) and snapshots.
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Digest } from '../core/digest.ts';
import type { ConfChange, ConfState, HardState } from '../raft/types.ts';

/** A log entry as stored: the proposal plus the admitting node's stamp, at an index (and a Raft term). */
export interface LogEntryRecord {
  readonly index: number;
  readonly term: number;
  readonly stamp: string;
  readonly proposal: unknown;
}

/** A Raft entry that carries no proposal: a new leader's empty entry, or a membership change. */
export interface ControlEntryRecord {
  readonly index: number;
  readonly term: number;
  readonly kind: 'noop' | 'conf';
  readonly conf?: ConfChange;
}

/** What `log/` holds in a cluster: proposals, and Raft's own entries between them. */
export type LogRecord = LogEntryRecord | ControlEntryRecord;

export function isControlEntry(r: LogRecord): r is ControlEntryRecord {
  return 'kind' in r;
}

/** Raft's persisted vote and commit (`meta/hardstate`). */
export type HardStateRecord = HardState;

/** Raft's view of a snapshot: the term of its last entry and the membership at that point. */
export interface SnapshotRaftMeta {
  readonly term: number;
  readonly conf: ConfState;
  readonly members: readonly unknown[];
}

/**
 * The apply result for one entry. Together with the entry it carries every brief §7 WAL field:
 * state_pre_hash, transition, inputs_hash, signer, idem_key, hlc, window_id, guard_outcomes, evidence,
 * timestamp (wall-clock write time, informational only) and state_post_hash, all inside `decision`.
 */
export interface DecisionEntryRecord {
  readonly index: number;
  readonly timestamp: number;
  readonly decision: DecisionRecord;
}

export interface SnapshotRecord {
  readonly index: number;
  /** The stamp of the last applied entry (lastAppliedHLC). */
  readonly hlc: string | null;
  readonly state_hash: Digest;
  readonly state: Record<string, unknown>;
  readonly taken_at: number;
  /** Present on a cluster replica's snapshots. */
  readonly raft?: SnapshotRaftMeta;
}
