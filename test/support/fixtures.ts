// Test fixtures: a small genesis with derived keys, and a driver that signs, stamps and reduces proposals.
import type { Json } from '../../src/core/canonical-json.ts';
import { digestJson, type Digest } from '../../src/core/digest.ts';
import { genesisState, parseGenesis, type Genesis } from '../../src/core/genesis.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { checkInvariants } from '../../src/core/invariants.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import { reduce, type ReduceResult } from '../../src/core/reducer.ts';
import type { StateDocument } from '../../src/core/state.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import type { RoleName } from '../../src/generated/statechart.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export const keys = {
  op: SigningKey.derive('test|operator'),
  admin: SigningKey.derive('test|admin'),
  lic: SigningKey.derive('test|license'),
  ing: SigningKey.derive('test|ingestion'),
  council: SigningKey.derive('test|council'),
  v1: SigningKey.derive('test|voter1'),
  v2: SigningKey.derive('test|voter2'),
  v3: SigningKey.derive('test|voter3'),
  env: SigningKey.derive('test|environment'),
  exec: SigningKey.derive('test|executor'),
  r1: SigningKey.derive('test|reviewer1'),
  r2: SigningKey.derive('test|reviewer2'),
  win: SigningKey.derive('test|backbeat'),
  mcp: SigningKey.derive('test|mcp'),
  shhh: SigningKey.derive('test|shhh'),
  human: SigningKey.derive('test|human'),
  stranger: SigningKey.derive('test|stranger'),
};

const ROLES: Record<string, RoleName[]> = {
  op: ['operator'], admin: ['admin'], lic: ['license_adapter'], ing: ['ingestion_worker'], council: ['council_agent'],
  v1: ['council_voter'], v2: ['council_voter'], v3: ['council_voter'], env: ['environment_agent'], exec: ['executor'],
  r1: ['reviewer'], r2: ['reviewer'], win: ['window_adapter'], mcp: ['mcp_adapter'], shhh: ['policy_engine'], human: ['human_operator'],
};

export function testGenesis(overrides: Partial<Genesis> = {}): Genesis {
  const g = parseGenesis({
    genesis_version: 1,
    project: 'test',
    created_at: formatHlc({ ms: T0, logical: 0 }),
    identities: Object.entries(ROLES).map(([name, roles]) => ({ signer: keys[name as keyof typeof keys].signer, roles, label: name })),
    schedule: { version: 1, phases: { plan: ['plan'], execute: ['work'], review: ['review', 'reverb'] } },
    policy: { version: 1, rules: [{ id: 'no-restricted', when: { transition: 'Ingestion_SchemaOk', input: 'classification', equals: 'restricted' }, rationale: 'restricted data' }], redact_fields: ['comment'] },
    license: { grace_ms: 3_600_000 },
    quorum: { min_votes: 2, approvals_threshold: 2 },
    mcp: { freshness_ms: 300_000 },
    dedupe: { retention_ms: 86_400_000 },
    ...overrides,
  });
  if (!g.ok) throw new Error(`test genesis invalid: ${g.reasons.join('; ')}`);
  return g.genesis;
}

export interface ProposeOptions {
  readonly window_id?: string | null;
  readonly idem_key?: string;
  readonly evidence?: string[];
  readonly hlc?: string;
  readonly current_state_hash?: string;
}

/** Drives the reducer like a leader would: monotonically increasing stamps, invariants checked on every step. */
export class Driver {
  state: StateDocument;
  now = T0;
  index = 0;
  last: ReduceResult | null = null;
  private seq = 0;

  constructor(genesis: Genesis = testGenesis()) {
    this.state = genesisState(genesis);
  }

  proposal(key: SigningKey, transition: string, inputs: Json, o: ProposeOptions = {}): Proposal {
    return key.signProposal({
      current_state_hash: (o.current_state_hash ?? stateHash(this.state)) as Proposal['current_state_hash'],
      transition,
      inputs_hash: digestJson(inputs),
      signer: key.signer,
      idem_key: o.idem_key ?? `test:${++this.seq}`,
      hlc: o.hlc ?? formatHlc({ ms: this.now, logical: 2 }), // after the last stamp (logical 1), before the next
      window_id: o.window_id ?? null,
      evidence: o.evidence ?? ['ucxl://tester:qa@test:case/*^/evidence'],
      inputs,
    });
  }

  /** Applies a raw proposal value at the next index with a fresh stamp. */
  submit(proposal: unknown): ReduceResult {
    this.now += 1000;
    this.index += 1;
    const entry = { index: this.index, stamp: formatHlc({ ms: this.now, logical: 1 }), proposal };
    const pre = this.state;
    const r = reduce(pre, entry);
    const w = (proposal as { window_id?: unknown } | null)?.window_id;
    const problems = checkInvariants(pre, r, typeof w === 'string' ? w : null);
    if (problems.length > 0) throw new Error(`invariants broken at ${this.index}: ${problems.join('; ')}`);
    this.state = r.state;
    this.last = r;
    return r;
  }

  do(key: SigningKey, transition: string, inputs: Json, o: ProposeOptions = {}): ReduceResult {
    return this.submit(this.proposal(key, transition, inputs, o));
  }

  /** Like do(), but fails the test unless the proposal is accepted. */
  ok(key: SigningKey, transition: string, inputs: Json, o: ProposeOptions = {}): ReduceResult {
    const r = this.do(key, transition, inputs, o);
    if (r.outcome.status !== 'accepted') throw new Error(`${transition} was ${r.outcome.status}: ${r.outcome.code} ${r.outcome.reasons.join('; ')}`);
    return r;
  }

  hlcAt(deltaMs: number): string {
    return formatHlc({ ms: this.now + deltaMs, logical: 0 });
  }

  /** Records a window of `phase` open from now for `lengthMs`, returning its id. */
  window(phase: 'plan' | 'execute' | 'review', id: string, lengthMs = 60_000): string {
    this.ok(keys.win, 'Window_Record', { window_id: id, phase, opens_at: this.hlcAt(0), closes_at: this.hlcAt(lengthMs) });
    return id;
  }

  license(verdict: 'valid' | 'invalid' | 'unavailable', validForMs = 6 * 3_600_000): ReduceResult {
    return this.ok(keys.lic, 'License_RecordVerdict', { verdict, verdict_hash: digestJson({ verdict, at: this.now }), valid_until: this.hlcAt(validForMs), grace_ms: 3_600_000 });
  }
}

export const h = (label: string): Digest => digestJson({ label });

/** Votes of the given voters for (electionId, members). */
export function votesFor(electionId: string, members: string[], voters: SigningKey[]): Json[] {
  // Imported lazily to keep the fixture's import list about the driver.
  return voters.map((v) => ({ election_id: electionId, member_set_hash: memberSetHashOf(members), voter: v.signer, signature: v.signBytes(voteBytes(electionId, memberSetHashOf(members))) }));
}

import { memberSetHash as memberSetHashOf, voteSigningBytes as voteBytes } from '../../src/core/council-vote.ts';

/** Boots, licenses and drives all three regions to READY, then into EXECUTION.PLAN. */
export function driveToExecution(d: Driver): void {
  d.ok(keys.op, 'Boot_ConfigOk', { config_hash: h('config') });
  const lic = d.license('valid');
  d.ok(keys.lic, 'Boot_Licensed', { verdict_hash: (lic.state.boot.license.verdict_hash)! });
  d.ok(keys.ing, 'Ingestion_SourcesResolved', { sources: ['ucxl://slurp:ingestion_worker@test:sources/*^/repo'] });
  d.ok(keys.ing, 'Ingestion_BytesOk', { content_hash: h('content'), bytes: 10 });
  d.ok(keys.ing, 'Ingestion_SchemaOk', { schema_hash: h('schema'), records: 3, classification: 'internal' });
  d.ok(keys.ing, 'Ingestion_CorpusBuilt', { index_hash: h('index') });
  d.ok(keys.council, 'Council_ProfilesLoaded', { election_id: 'E-1', roles: [{ role: 'reviewer', seats: 2 }] });
  const members = [keys.r1.signer, keys.r2.signer];
  d.ok(keys.council, 'Council_QuorumCert', { election_id: 'E-1', members, votes: votesFor('E-1', members, [keys.v1, keys.v2]) });
  d.ok(keys.mcp, 'Mcp_RecordHealth', { registry: 'reg', reachable: true, probe_hash: h('probe'), pins: [{ tool: 'git', wanted: 'v2', actual: 'v2' }] });
  d.ok(keys.council, 'Council_ToolingSynced', { tooling_hash: h('tooling') });
  d.ok(keys.env, 'Environment_CapacityOk', { allocations: [{ resource: 'cpu', units: 4 }] });
  d.ok(keys.env, 'Environment_Installed', { assets: ['image'] });
  d.ok(keys.env, 'Environment_Green', { health_hash: h('green') });
  const s = d.state;
  d.ok(keys.exec, 'Execution_Start', {
    pins: { ingestion_version: s.ingestion.ready!.version, content_hash: s.ingestion.ready!.content_hash, council_set_hash: s.council.member_set_hash!, environment_hash: s.environment.health_hash! },
  });
}
