// The state document (brief §7): every section SWOOSH replicates and hashes.
import type { DedupeTable } from './dedupe-table.ts';
import type { Digest } from './digest.ts';
import type {
  BootPhase,
  ControlPhase,
  CouncilPhase,
  EnvironmentPhase,
  ExecutionPhase,
  IngestionPhase,
  InputsByTransition,
  RegionName,
  RoleName,
  TopState,
} from '../generated/statechart.ts';

export interface MetaSection {
  readonly machine: 'swoosh';
  readonly machine_version: number;
  readonly statechart_hash: Digest;
  readonly genesis_hash: Digest;
  /** Dedupe rows live this long after first_seen (HLC ms). Default 365 days. */
  readonly dedupe_retention_ms: number;
}

/** A saved configuration, restored by a `$history` target. */
export interface SavedConfiguration {
  readonly top: TopState;
  readonly control_phase: ControlPhase | null;
}

export interface ConfigurationSection {
  readonly top: TopState;
  /** Stack of configurations saved on entry to CONTROL or QUARANTINED (depth <= 2). */
  readonly history: readonly SavedConfiguration[];
}

export interface Identity {
  readonly roles: readonly RoleName[];
  readonly label: string | null;
  readonly since: string;
}

export interface LicenseFact {
  readonly verdict: 'none' | 'valid' | 'invalid' | 'unavailable';
  readonly verdict_hash: Digest | null;
  readonly recorded_at: string | null;
  /** valid_until of the latest `valid` verdict; grace runs from here. */
  readonly valid_until: string | null;
  readonly grace_ms: number;
}

export interface BootSection {
  readonly phase: BootPhase;
  readonly config_hash: Digest | null;
  readonly license: LicenseFact;
  /** signer id -> identity. */
  readonly identities: Readonly<Record<string, Identity>>;
}

export interface IngestionPins {
  readonly version: number;
  readonly content_hash: Digest;
  readonly index_hash: Digest;
}

export interface IngestionSection {
  readonly phase: IngestionPhase;
  /** The version being built; a new index version increments it. */
  readonly version: number;
  readonly sources: readonly string[];
  readonly content_hash: Digest | null;
  readonly bytes: number;
  readonly schema_hash: Digest | null;
  readonly records: number;
  readonly index_hash: Digest | null;
  /** The last version that reached READY: what EXECUTION pins. */
  readonly ready: IngestionPins | null;
}

export interface CouncilVote {
  readonly election_id: string;
  readonly member_set_hash: Digest;
  readonly voter: string;
  readonly signature: string;
}

export interface QuorumCertificate {
  readonly election_id: string;
  readonly member_set_hash: Digest;
  readonly voters: readonly string[];
  readonly quorum: number;
}

export interface McpFact {
  readonly registry: string;
  readonly reachable: boolean;
  readonly pins_ok: boolean;
  readonly mismatched: readonly string[];
  readonly probe_hash: Digest;
  readonly recorded_at: string;
}

export interface CouncilSection {
  readonly phase: CouncilPhase;
  readonly election_id: string | null;
  readonly planned_roles: readonly { readonly role: string; readonly seats: number }[];
  readonly members: readonly string[];
  readonly member_set_hash: Digest | null;
  readonly quorum_cert: QuorumCertificate | null;
  /** Votes recorded for the current election (bounded by the electorate). */
  readonly votes: readonly CouncilVote[];
  readonly ejected: readonly string[];
  readonly tooling_hash: Digest | null;
  readonly mcp: McpFact | null;
  readonly mcp_freshness_ms: number;
  readonly min_votes: number;
  readonly approvals_threshold: number;
}

export interface EnvironmentSection {
  readonly phase: EnvironmentPhase;
  readonly allocations: readonly { readonly resource: string; readonly units: number }[];
  readonly assets: readonly string[];
  readonly health_hash: Digest | null;
  readonly reason: string | null;
}

export interface WindowFact {
  readonly window_id: string;
  readonly phase: 'plan' | 'execute' | 'review';
  readonly opens_at: string;
  readonly closes_at: string;
  readonly opens_at_ms: number;
  readonly closes_at_ms: number;
  readonly beat_index: number | null;
  readonly pressure_permille: number;
}

/** The window schedule (docs/windows.md): the statechart's `schedule` schema, tidal made explicit. */
export type WindowSchedule = Omit<InputsByTransition['Governance_UpdateSchedule']['schedule'], 'tidal'> & {
  readonly tidal: NonNullable<InputsByTransition['Governance_UpdateSchedule']['schedule']['tidal']> | null;
};

export interface ExecutionPinsState {
  readonly ingestion_version: number;
  readonly content_hash: Digest;
  readonly council_set_hash: Digest;
  readonly environment_hash: Digest;
}

export interface ExecutionSection {
  readonly phase: ExecutionPhase;
  readonly pins: ExecutionPinsState | null;
  readonly loop: number;
  readonly plan_hash: Digest | null;
  readonly work_item: string | null;
  /** The window in which the current loop's plan was locked; the next loop needs a different one. */
  readonly loop_window_id: string | null;
  readonly result_hash: Digest | null;
  /** Distinct reviewers who approved result_hash. */
  readonly approvals: readonly string[];
  readonly rejections: readonly string[];
  readonly submission_hash: Digest | null;
  readonly schedule: WindowSchedule;
  /** The most recent window facts (bounded, newest last). */
  readonly windows: readonly WindowFact[];
  /** The most recent evidence links of accepted transitions (bounded, newest last). */
  readonly evidence: readonly string[];
}

export interface ControlSection {
  readonly phase: ControlPhase | null;
  readonly reason: string | null;
}

/** An SHHH rule (docs/policy.md); its shape is the statechart's `policy_rule` schema. */
export type PolicyRule = InputsByTransition['Policy_Update']['rules'][number];

/** An SHHH secret detector (docs/policy.md); its shape is the statechart's `redaction_rule` schema. */
export type RedactionRule = NonNullable<InputsByTransition['Policy_Update']['redaction_rules']>[number];

export interface PolicySection {
  readonly version: number;
  readonly rules: readonly PolicyRule[];
  /** Input field paths replaced by [REDACTED] in decision records. */
  readonly redact_fields: readonly string[];
  /** Secret detectors: every match in a decision record's free text is replaced by [REDACTED]. */
  readonly redaction_rules: readonly RedactionRule[];
  /** Why the machine is (or last was) QUARANTINED. */
  readonly rule_id: string | null;
  readonly rationale: string | null;
  readonly quarantines: number;
}

export type EpochSection = Readonly<Record<RegionName, number>>;

export interface StateDocument {
  readonly meta: MetaSection;
  readonly configuration: ConfigurationSection;
  readonly boot: BootSection;
  readonly ingestion: IngestionSection;
  readonly council: CouncilSection;
  readonly environment: EnvironmentSection;
  readonly execution: ExecutionSection;
  readonly control: ControlSection;
  readonly policy: PolicySection;
  readonly epoch: EpochSection;
  /** Stamp of the last accepted entry, or null before the first. */
  readonly hlc_last: string | null;
  readonly dedupe: DedupeTable;
}

/** The JSON sections, in hashing order (dedupe is hashed separately). */
export const JSON_SECTIONS = [
  'meta',
  'configuration',
  'boot',
  'ingestion',
  'council',
  'environment',
  'execution',
  'control',
  'policy',
  'epoch',
  'hlc_last',
] as const;
export type JsonSectionName = (typeof JSON_SECTIONS)[number];

/** Evidence and window lists are bounded so per-transition cost does not grow with history. */
export const MAX_RECENT_EVIDENCE = 32;
export const MAX_RECENT_WINDOWS = 16;
