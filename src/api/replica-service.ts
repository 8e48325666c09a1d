// What the HTTP API needs from a replica: the single-node runtime and the cluster runtime both provide it.
import type { Registry } from 'prom-client';
import type { AdminRequest } from './admin-request.ts';
import type { Digest } from '../core/digest.ts';
import type { Genesis } from '../core/genesis.ts';
import type { DecisionRecord } from '../core/decision-record.ts';
import type { Outcome } from '../core/reducer.ts';
import type { ReasonCode } from '../core/reason-codes.ts';
import type { Identity, StateDocument } from '../core/state.ts';
import type { Logger } from '../node/logger.ts';
import type { DecisionEntryRecord } from '../storage/records.ts';

/** The leader clients are told about (`http`), and where this replica forwards to it (`via`, default `http`). */
export interface LeaderAddress {
  readonly id: string;
  readonly http: string;
  readonly via?: string;
}

/** The reducer decided (accepted, quarantined, rejected, or a duplicate), the replica refused, or another replica leads. */
export type Admission =
  | { readonly kind: 'decided'; readonly outcome: Outcome; readonly decision: DecisionRecord | null }
  | { readonly kind: 'refused'; readonly code: ReasonCode; readonly reasons: readonly string[] }
  | { readonly kind: 'not-leader'; readonly leader: LeaderAddress | null };

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
  readonly genesis: Genesis;
  /** What /capabilities says about consistency (docs/api.md). */
  readonly consistency: Readonly<Record<string, string>>;
  submit(raw: unknown): Promise<Admission>;
  read(consistency: Consistency): Promise<ReadResult>;
  health(): Record<string, unknown>;
  /** The applied state as a snapshot file (docs/admin.md, `swoosh snapshot save`). */
  snapshotFile(): Uint8Array;
  decision(hash: string): Promise<DecisionEntryRecord | null>;
  decisions(after: number, limit: number): Promise<DecisionEntryRecord[]>;
}

/** What a cluster replica offers operators (docs/admin.md). */
export interface ClusterAdmin {
  readonly clusterId: string;
  membersView(): Record<string, unknown>;
  /** The applied state's identities: who may sign admin requests. */
  identities(): Readonly<Record<string, Identity>>;
  execute(request: AdminRequest): Promise<AdminResult>;
}

export type AdminResult =
  | { readonly kind: 'done'; readonly body: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly code: ReasonCode; readonly reasons: readonly string[] }
  | { readonly kind: 'not-leader'; readonly leader: LeaderAddress | null };
