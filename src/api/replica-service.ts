// What the HTTP API needs from a replica: the single-node runtime and the cluster runtime both provide it.
import type { Registry } from 'prom-client';
import type { Digest } from '../core/digest.ts';
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Outcome } from '../core/reducer.ts';
import type { ReasonCode } from '../core/reason-codes.ts';
import type { StateDocument } from '../core/state.ts';
import type { Logger } from '../node/logger.ts';
import type { DecisionEntryRecord } from '../storage/records.ts';

/** The reducer decided (accepted, quarantined, rejected, or a duplicate), the replica refused, or another replica leads. */
export type Admission =
  | { readonly kind: 'decided'; readonly outcome: Outcome; readonly decision: DecisionRecord | null }
  | { readonly kind: 'refused'; readonly code: ReasonCode; readonly reasons: readonly string[] }
  | { readonly kind: 'not-leader'; readonly leader: { readonly id: string; readonly http: string } | null };

export type Consistency = 'linearizable' | 'stale';

/** A state to serve, and how fresh it is. */
export interface ReadView {
  readonly state: StateDocument;
  readonly index: number;
  readonly hash: Digest;
  readonly hlc: string | null;
  /** For a stale read: what the caller needs to judge how stale it may be. */
  readonly staleness?: { readonly leader_commit_seen: number; readonly last_leader_contact_ms: number | null };
}

export type ReadResult = { readonly ok: true; readonly view: ReadView } | { readonly ok: false; readonly code: ReasonCode; readonly reasons: readonly string[] };

export interface ReplicaService {
  readonly log: Logger;
  readonly metrics: { readonly registry: Registry };
  readonly retentionMs: number;
  submit(raw: unknown): Promise<Admission>;
  read(consistency: Consistency): Promise<ReadResult>;
  health(): Record<string, unknown>;
  decision(hash: string): Promise<DecisionEntryRecord | null>;
  decisions(after: number, limit: number): Promise<DecisionEntryRecord[]>;
}
