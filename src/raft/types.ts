// Raft's vocabulary: entries, messages, hard state, snapshots, configuration, and the Ready batch.

/** Replica ids are short strings (e.g. "r1"); etcd uses uint64, strings read better in logs and golden files. */
export type NodeId = string;

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

export type EntryType = 'normal' | 'conf-change';

/** A log entry. `data` is opaque to Raft (SWOOSH puts an encoded {stamp, proposal} there; empty for no-ops). */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** Persisted before any message that depends on it leaves the replica. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** One server at a time (Raft thesis §4.1): add a voter, add a learner, or remove a member. */
export interface ConfChange {
  readonly type: 'add-voter' | 'add-learner' | 'remove';
  readonly node: NodeId;
  /** Opaque to Raft (JSON); SWOOSH puts the new member's identity and addresses here. */
  readonly context?: unknown;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The application state at meta.index, opaque to Raft. */
  readonly data: Uint8Array;
}

export type MessageType =
  // Local messages: never sent over the network.
  | 'hup' // campaign now
  | 'beat' // leader: send heartbeats
  | 'prop' // propose entries (also forwarded follower -> leader)
  | 'check-quorum' // leader: step down if a majority was not heard from
  | 'unreachable' // transport: the peer could not be reached
  | 'snap-status' // transport: a snapshot send finished (reject = failed)
  // Network messages.
  | 'app'
  | 'app-resp'
  | 'vote'
  | 'vote-resp'
  | 'pre-vote'
  | 'pre-vote-resp'
  | 'snap'
  | 'heartbeat'
  | 'heartbeat-resp'
  | 'transfer-leader'
  | 'timeout-now'
  | 'read-index'
  | 'read-index-resp';

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry before `entries`; vote: candidate's last log term. */
  readonly logTerm?: number;
  /** app: index of the entry before `entries`; app-resp: the index matched (or rejected); vote: last log index. */
  readonly index?: number;
  readonly entries?: readonly Entry[];
  readonly commit?: number;
  readonly reject?: boolean;
  /** app-resp rejection: the follower's hint for fast backtracking (its last index at or below `index`). */
  readonly rejectHint?: number;
  /** With rejectHint: the term of the follower's entry at rejectHint (0 if none). */
  readonly logTermHint?: number;
  readonly snapshot?: Snapshot;
  /** read-index / heartbeat: the read request id being confirmed. */
  readonly context?: string;
}

export interface SoftState {
  readonly lead: NodeId | null;
  readonly role: Role;
}

/** A linearizable read: once applied index >= `index`, the read identified by `requestCtx` may be served. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: string;
}

/**
 * Everything the caller must do, in this order: persist `snapshot`, `entries` and `hardState` (synced when
 * `mustSync`), then send `messages`, then apply `committedEntries`, then serve `readStates`; then call advance().
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before campaigning; the actual timeout is randomized in [T, 2T). */
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** Entries already applied (on restart); committed entries after it are handed out again. */
  readonly applied?: number;
  /** Most entries per append message. */
  readonly maxEntriesPerMsg?: number;
  /** Most append messages in flight to one follower (flow control). */
  readonly maxInflight?: number;
  /** Default true: a leader that has not heard from a majority for an election timeout steps down. */
  readonly checkQuorum?: boolean;
  /** Default true: campaign with a pre-vote first, so a partitioned node does not disrupt the cluster. */
  readonly preVote?: boolean;
  /** Default 'safe' (ReadIndex with a heartbeat round); 'lease' only by explicit opt-in (needs check-quorum). */
  readonly readOnly?: 'safe' | 'lease';
  /** Seeded randomness for election timeouts: returns an integer in [0, n). Raft has no other randomness. */
  readonly random: (n: number) => number;
}
