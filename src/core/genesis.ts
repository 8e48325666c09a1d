// Genesis: the initial facts of a deployment (identities, schedule, policy, license, quorum) and the state they start.
import { MACHINE_VERSION, REGION_NAMES, ROLE_NAMES, STATECHART_HASH, TRANSITIONS } from '../generated/statechart.ts';
import type { RegionName, RoleName } from '../generated/statechart.ts';
import { DedupeTable } from './dedupe-table.ts';
import { digestJson } from './digest.ts';
import { isStrongPublicKey, publicKeyFromSigner } from './ed25519.ts';
import { invalidRulePatterns } from './guards/policy-guard.ts';
import { DEFAULT_REDACTION_RULES, invalidRedactionPatterns } from './redaction.ts';
import { validateAgainst } from './schema-validator.ts';
import type { Identity, PolicyRule, RedactionRule, StateDocument, WindowSchedule } from './state.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_DEDUPE_RETENTION_MS = 365 * DAY_MS;

export interface GenesisIdentity {
  readonly signer: string;
  readonly roles: readonly RoleName[];
  readonly label?: string;
}

/** The genesis document (docs/genesis.md). Its content hash is pinned in meta.genesis_hash. */
export interface Genesis {
  readonly genesis_version: 1;
  readonly project: string;
  readonly created_at: string;
  readonly identities: readonly GenesisIdentity[];
  readonly schedule: WindowSchedule;
  readonly policy: {
    readonly version: number;
    readonly rules: readonly PolicyRule[];
    readonly redact_fields?: readonly string[];
    /** Absent: DEFAULT_REDACTION_RULES. An empty list turns the secret detectors off. */
    readonly redaction_rules?: readonly RedactionRule[];
  };
  readonly license: { readonly grace_ms: number };
  readonly quorum: { readonly min_votes: number; readonly approvals_threshold: number };
  readonly mcp: { readonly freshness_ms: number };
  readonly dedupe: { readonly retention_ms: number };
}

const inputs = (name: keyof typeof TRANSITIONS): Record<string, unknown> =>
  TRANSITIONS[name].inputs_schema['properties'] as Record<string, unknown>;

const GENESIS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['genesis_version', 'project', 'created_at', 'identities', 'schedule', 'policy', 'license', 'quorum', 'mcp', 'dedupe'],
  properties: {
    genesis_version: { const: 1 },
    project: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    created_at: inputs('Window_Record')['opens_at'],
    identities: {
      type: 'array',
      minItems: 1,
      maxItems: 1024,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['signer', 'roles'],
        properties: {
          signer: inputs('Governance_AddSigner')['signer'],
          roles: inputs('Governance_AddSigner')['roles'],
          label: { type: 'string', maxLength: 128 },
        },
      },
    },
    schedule: inputs('Governance_UpdateSchedule')['schedule'],
    policy: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'rules'],
      properties: {
        version: { type: 'integer', minimum: 1 },
        rules: inputs('Policy_Update')['rules'],
        redact_fields: inputs('Policy_Update')['redact_fields'],
        redaction_rules: inputs('Policy_Update')['redaction_rules'],
      },
    },
    license: {
      type: 'object',
      additionalProperties: false,
      required: ['grace_ms'],
      properties: { grace_ms: { type: 'integer', minimum: 0, maximum: 31_622_400_000 } },
    },
    quorum: {
      type: 'object',
      additionalProperties: false,
      required: ['min_votes', 'approvals_threshold'],
      properties: inputs('Governance_UpdateQuorum'),
    },
    mcp: {
      type: 'object',
      additionalProperties: false,
      required: ['freshness_ms'],
      properties: { freshness_ms: { type: 'integer', minimum: 1, maximum: 31_622_400_000 } },
    },
    dedupe: {
      type: 'object',
      additionalProperties: false,
      required: ['retention_ms'],
      properties: { retention_ms: { type: 'integer', minimum: 60_000, maximum: 3_162_240_000_000 } },
    },
  },
} as const;

export type GenesisParse = { ok: true; genesis: Genesis } | { ok: false; reasons: string[] };

/** Validates an untrusted genesis document; at least one admin must exist so governance can never lock itself out. */
export function parseGenesis(value: unknown): GenesisParse {
  const check = validateAgainst('genesis', GENESIS_SCHEMA, value);
  if (!check.ok) return { ok: false, reasons: check.reasons.map((r) => r.replace(/^inputs/, 'genesis')) };
  const g = value as Genesis;
  const seen = new Set<string>();
  for (const id of g.identities) {
    if (seen.has(id.signer)) return { ok: false, reasons: [`genesis.identities: duplicate signer ${id.signer}`] };
    const key = publicKeyFromSigner(id.signer);
    if (key === null || !isStrongPublicKey(key)) return { ok: false, reasons: [`genesis.identities: ${id.signer} is not a canonical prime-order Ed25519 key`] };
    seen.add(id.signer);
  }
  if (!g.identities.some((i) => i.roles.includes('admin'))) {
    return { ok: false, reasons: ['genesis.identities: at least one identity must hold the admin role'] };
  }
  // The same regex checks as Policy_Update: the reducer only ever holds patterns that compile.
  const badPatterns = [...invalidRulePatterns(g.policy.rules), ...invalidRedactionPatterns(g.policy.redaction_rules ?? [])];
  if (badPatterns.length > 0) return { ok: false, reasons: badPatterns.map((r) => `genesis.policy: ${r}`) };
  return { ok: true, genesis: g };
}

function sortedRoles(roles: readonly RoleName[]): RoleName[] {
  return ROLE_NAMES.filter((r) => roles.includes(r));
}

export function genesisState(genesis: Genesis): StateDocument {
  const identities: Record<string, Identity> = {};
  for (const id of [...genesis.identities].sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0))) {
    identities[id.signer] = { roles: sortedRoles(id.roles), label: id.label ?? null, since: genesis.created_at };
  }
  const epoch = Object.fromEntries(REGION_NAMES.map((r) => [r, 0])) as Record<RegionName, number>;
  return {
    meta: {
      machine: 'swoosh',
      machine_version: MACHINE_VERSION,
      statechart_hash: STATECHART_HASH as StateDocument['meta']['statechart_hash'],
      genesis_hash: digestJson(genesis),
      dedupe_retention_ms: genesis.dedupe.retention_ms,
    },
    configuration: { top: 'BOOT', history: [] },
    boot: {
      phase: 'UNINITIALIZED',
      config_hash: null,
      license: { verdict: 'none', verdict_hash: null, recorded_at: null, valid_until: null, grace_ms: genesis.license.grace_ms },
      identities,
    },
    ingestion: {
      phase: 'DISCOVER',
      version: 1,
      sources: [],
      content_hash: null,
      bytes: 0,
      schema_hash: null,
      records: 0,
      index_hash: null,
      ready: null,
    },
    council: {
      phase: 'PLAN_ROLES',
      election_id: null,
      planned_roles: [],
      members: [],
      member_set_hash: null,
      quorum_cert: null,
      votes: [],
      ejected: [],
      tooling_hash: null,
      mcp: null,
      mcp_freshness_ms: genesis.mcp.freshness_ms,
      min_votes: genesis.quorum.min_votes,
      approvals_threshold: genesis.quorum.approvals_threshold,
    },
    environment: { phase: 'ALLOCATE', allocations: [], assets: [], health_hash: null, reason: null },
    execution: {
      phase: 'PLAN',
      pins: null,
      loop: 0,
      plan_hash: null,
      work_item: null,
      loop_window_id: null,
      result_hash: null,
      approvals: [],
      rejections: [],
      submission_hash: null,
      schedule: { version: genesis.schedule.version, phases: genesis.schedule.phases, tidal: genesis.schedule.tidal ?? null },
      windows: [],
      evidence: [],
    },
    control: { phase: null, reason: null },
    policy: {
      version: genesis.policy.version,
      rules: genesis.policy.rules,
      redact_fields: genesis.policy.redact_fields ?? [],
      redaction_rules: genesis.policy.redaction_rules ?? DEFAULT_REDACTION_RULES,
      rule_id: null,
      rationale: null,
      quarantines: 0,
    },
    epoch,
    hlc_last: null,
    dedupe: DedupeTable.empty(),
  };
}
