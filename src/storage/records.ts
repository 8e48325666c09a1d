// What the store holds: log entries (replicated), decision records (apply results) and snapshots.
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Digest } from '../core/digest.ts';

/** A log entry as stored: the proposal plus the admitting node's stamp, at an index (and a Raft term). */
export interface LogEntryRecord {
  readonly index: number;
  readonly term: number;
  readonly stamp: string;
  readonly proposal: unknown;
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
}
