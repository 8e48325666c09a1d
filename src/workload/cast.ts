// The workload's cast: deterministic identities for every role, and the genesis that registers them.
import type { RoleName } from '../generated/statechart.ts';
import type { Genesis } from '../core/genesis.ts';
import { DAY_MS } from '../core/genesis.ts';
import { formatHlc } from '../core/hlc.ts';
import { SigningKey } from './signing-key.ts';

export interface Actor {
  readonly name: string;
  readonly key: SigningKey;
  readonly roles: readonly RoleName[];
}

export interface Cast {
  readonly operator: Actor;
  readonly admin: Actor;
  readonly license: Actor;
  readonly ingestion: Actor;
  readonly council: Actor;
  readonly voters: readonly Actor[];
  readonly environment: Actor;
  readonly executor: Actor;
  readonly reviewers: readonly Actor[];
  readonly windows: Actor;
  readonly mcp: Actor;
  readonly policy: Actor;
  readonly human: Actor;
  readonly all: readonly Actor[];
}

function actor(seed: number, name: string, roles: RoleName[]): Actor {
  return { name, key: SigningKey.derive(`workload|${seed}|${name}`), roles };
}

export function makeCast(seed: number): Cast {
  const voters = [1, 2, 3, 4, 5].map((n) => actor(seed, `voter-${n}`, ['council_voter']));
  const reviewers = [1, 2, 3].map((n) => actor(seed, `reviewer-${n}`, ['reviewer']));
  const c = {
    operator: actor(seed, 'operator', ['operator']),
    admin: actor(seed, 'admin', ['admin']),
    license: actor(seed, 'kaching', ['license_adapter']),
    ingestion: actor(seed, 'slurp', ['ingestion_worker']),
    council: actor(seed, 'council', ['council_agent']),
    voters,
    environment: actor(seed, 'env', ['environment_agent']),
    executor: actor(seed, 'executor', ['executor']),
    reviewers,
    windows: actor(seed, 'backbeat', ['window_adapter']),
    mcp: actor(seed, 'mcp', ['mcp_adapter']),
    policy: actor(seed, 'shhh', ['policy_engine']),
    human: actor(seed, 'human', ['human_operator']),
  };
  const all = [c.operator, c.admin, c.license, c.ingestion, c.council, ...voters, c.environment, c.executor, ...reviewers, c.windows, c.mcp, c.policy, c.human];
  return { ...c, all };
}

/** The epoch the workload's simulated time starts from: 2026-01-01 plus a seed-dependent number of days. */
export function startMs(seed: number): number {
  return 1_767_225_600_000 + (seed % 365) * DAY_MS;
}

export function workloadGenesis(seed: number, cast: Cast): Genesis {
  return {
    genesis_version: 1,
    project: `workload-${seed}`,
    created_at: formatHlc({ ms: startMs(seed), logical: 0 }),
    identities: cast.all.map((a) => ({ signer: a.key.signer, roles: a.roles, label: a.name })),
    schedule: {
      version: 1,
      phases: { plan: ['plan'], execute: ['work'], review: ['review', 'reverb'] },
      tidal: { amplitude_permille: 600, period_beats: 240, phase_offset_beats: 0 },
    },
    policy: {
      version: 1,
      rules: [
        { id: 'restricted-corpus', when: { transition: 'Ingestion_SchemaOk', input: 'classification', equals: 'restricted' }, rationale: 'restricted corpora need a human review before indexing' },
        { id: 'oversized-allocation', when: { transition: 'Environment_CapacityOk', input: 'allocations.0.units', at_least: 100000 }, rationale: 'allocations of 100k units or more exceed the project budget' },
      ],
      redact_fields: ['comment'],
    },
    license: { grace_ms: 2 * 3_600_000 },
    quorum: { min_votes: 2, approvals_threshold: 2 },
    mcp: { freshness_ms: 300_000 },
    dedupe: { retention_ms: 365 * DAY_MS },
  };
}
