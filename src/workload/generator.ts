// The seeded workload: signed proposals that drive full lifecycles, EXECUTION loops, compensations, quarantine,
// governance, and a share of hostile, duplicate and stale proposals (each annotated with the code it must get).
import type { TransitionName } from '../generated/statechart.ts';
import type { Json } from '../core/canonical-json.ts';
import { memberSetHash, voteSigningBytes } from '../core/council-vote.ts';
import { digestJson, type Digest } from '../core/digest.ts';
import { genesisState, type Genesis } from '../core/genesis.ts';
import { eligibleVoters, requiredQuorum } from '../core/guards/quorum-certificate-guard.ts';
import { formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import { Prng } from '../core/prng.ts';
import type { Proposal } from '../core/proposal.ts';
import { reduce, type LogEntry, type ReduceResult } from '../core/reducer.ts';
import type { StateDocument, WindowFact } from '../core/state.ts';
import { stateHash } from '../core/state-hash.ts';
import { makeCast, startMs, workloadGenesis, type Actor, type Cast } from './cast.ts';
import { SigningKey } from './signing-key.ts';

/** One line of a workload file after the header. `expect` says what a hostile entry must get. */
export interface WorkloadEntry extends LogEntry {
  readonly expect?: string;
}

export interface Workload {
  readonly seed: number;
  readonly genesis: Genesis;
  readonly entries: WorkloadEntry[];
}

interface Intent {
  readonly transition: TransitionName | string;
  readonly actor: Actor;
  readonly inputs: Json;
  readonly window_id?: string | null;
}

const PHASE_MS = 20_000;
const CYCLE = ['plan', 'execute', 'review'] as const;

/**
 * The workload's actors and their model of the state (which only ever changes through reduce()). Offline,
 * `step()` stamps entries itself; against a real replica, `next()` gives a proposal, the replica stamps and
 * decides it, and `absorb()` applies the same entry here so the two can be compared step by step.
 */
export class WorkloadModel {
  readonly rng: Prng;
  readonly cast: Cast;
  readonly genesis: Genesis;
  state: StateDocument;
  readonly entries: WorkloadEntry[] = [];
  now: number;
  leader: Hlc;
  client: Hlc;
  private idem = 0;
  election = 0;
  windowSeq = 0;
  policyVersion = 1;
  scheduleVersion = 1;
  private readonly t0: number;
  private readonly accepted: Proposal[] = [];
  private readonly hashes: Digest[] = [];
  private readonly extras: SigningKey[] = [];

  constructor(readonly seed: number) {
    this.rng = new Prng(seed);
    this.cast = makeCast(seed);
    this.genesis = workloadGenesis(seed, this.cast);
    this.state = genesisState(this.genesis);
    this.t0 = startMs(seed);
    this.now = this.t0;
    this.leader = { ms: this.t0, logical: 0 };
    this.client = { ms: this.t0, logical: 0 };
  }

  private nextIdem(op: string): string {
    return `g${this.seed}:${this.entries.length}:${op}:${(this.idem++).toString(36)}`;
  }

  private evidence(actor: Actor, what: string): string[] {
    const links = [`ucxl://${actor.name.replace(/[^A-Za-z0-9_-]/g, '-')}:${actor.roles[0]}@${this.genesis.project}:${what}/*^/evidence`];
    const last = this.entries.length > 0 ? this.state.execution.evidence : [];
    if (this.rng.chance(200) && last.length > 0) links.push(last[last.length - 1]!);
    return links;
  }

  /** Builds and signs a proposal against HEAD; hostile variants tweak it afterwards. */
  build(intent: Intent): Proposal {
    const lag = this.rng.int(0, 40);
    const last = this.state.hlc_last === null ? null : parseHlc(this.state.hlc_last);
    if (last !== null && last.ok) {
      const r = hlcReceive(this.client, last.value, Math.max(this.now - lag, this.t0));
      if (r.ok) this.client = r.value;
    }
    const s = hlcSend(this.client, Math.max(this.now - lag, this.t0));
    if (s.ok) this.client = s.value;
    return intent.actor.key.signProposal({
      current_state_hash: stateHash(this.state),
      transition: intent.transition,
      inputs_hash: digestJson(intent.inputs),
      signer: intent.actor.key.signer,
      idem_key: this.nextIdem(String(intent.transition).split('_')[1] ?? 'op'),
      hlc: formatHlc(this.client),
      window_id: intent.window_id ?? null,
      evidence: this.evidence(intent.actor, String(intent.transition)),
      inputs: intent.inputs,
    });
  }

  /** Appends one entry, stamped by the simulated leader, and applies it to keep HEAD current. */
  submit(proposal: unknown, expect?: string): void {
    const p = proposal as Partial<Proposal> | null;
    const remote = typeof p?.hlc === 'string' ? parseHlc(p.hlc) : null;
    const r = remote !== null && remote.ok ? hlcReceive(this.leader, remote.value, this.now) : hlcSend(this.leader, this.now);
    if (r.ok) this.leader = r.value;
    this.absorb({ index: this.entries.length + 1, stamp: formatHlc(this.leader), proposal, ...(expect !== undefined ? { expect } : {}) });
  }

  /** Applies an entry (stamped here or by a real replica) to the model, keeping HEAD current. */
  absorb(entry: WorkloadEntry): ReduceResult {
    this.entries.push(entry);
    const before = stateHash(this.state);
    const result = reduce(this.state, entry);
    if (result.outcome.status !== 'rejected' && !result.outcome.duplicate) {
      this.accepted.push(entry.proposal as Proposal);
      this.hashes.push(before);
    }
    this.state = result.state;
    return result;
  }

  // ------------------------------------------------------------------ time and windows

  private windowAt(k: number): { id: string; phase: (typeof CYCLE)[number]; opens: number; closes: number } {
    return { id: `backbeat:W-${this.seed}-${k}`, phase: CYCLE[k % 3]!, opens: this.t0 + k * PHASE_MS, closes: this.t0 + (k + 1) * PHASE_MS };
  }

  private windowIndexAt(ms: number): number {
    return Math.floor((ms - this.t0) / PHASE_MS);
  }

  /** The BACKBEAT adapter records windows a little ahead of time; returns an intent if one is due. */
  private windowIntent(): Intent | null {
    const want = this.windowIndexAt(this.now) + 1;
    if (this.windowSeq > want) return null;
    const w = this.windowAt(this.windowSeq++);
    return {
      transition: 'Window_Record',
      actor: this.cast.windows,
      inputs: { window_id: w.id, phase: w.phase, opens_at: formatHlc({ ms: w.opens, logical: 0 }), closes_at: formatHlc({ ms: w.closes, logical: 0 }), beat_index: (w.opens - this.t0) / 500, pressure_permille: this.rng.int(0, 600) },
    };
  }

  /** The recorded window covering now, if its phase is `phase`. */
  private openWindow(phase: WindowFact['phase'], notId?: string | null): WindowFact | null {
    const w = this.state.execution.windows.find((x) => x.opens_at_ms <= this.now && this.now < x.closes_at_ms);
    if (w === undefined || w.phase !== phase || w.window_id === notId) return null;
    return w;
  }

  /** Moves simulated time to the start of the next window of `phase` (windows are recorded as time passes). */
  private waitFor(phase: WindowFact['phase']): void {
    let k = this.windowIndexAt(this.now) + 1;
    while (this.windowAt(k).phase !== phase) k++;
    this.now = this.windowAt(k).opens + this.rng.int(1, 500);
  }

  // ------------------------------------------------------------------ intents per region

  private licenseIntent(verdict: 'valid' | 'invalid' | 'unavailable'): Intent {
    return {
      transition: 'License_RecordVerdict',
      actor: this.cast.license,
      inputs: { verdict, verdict_hash: digestJson({ verdict, at: this.now }), valid_until: formatHlc({ ms: this.now + 6 * 3_600_000, logical: 0 }), grace_ms: 2 * 3_600_000, token: `kaching-token-${this.rng.hex(16)}` },
    };
  }

  private licenseNeedsRenewal(): boolean {
    const l = this.state.boot.license;
    if (l.verdict !== 'valid' || l.valid_until === null) return true;
    const until = parseHlc(l.valid_until);
    return !until.ok || until.value.ms - this.now < 3_600_000;
  }

  private mcpIntent(healthy: boolean): Intent {
    return {
      transition: 'Mcp_RecordHealth',
      actor: this.cast.mcp,
      inputs: {
        registry: 'mcp-registry',
        reachable: healthy || this.rng.chance(500),
        probe_hash: digestJson({ probe: this.now }),
        pins: [
          { tool: 'git', wanted: 'v2', actual: 'v2' },
          { tool: 'search', wanted: 'v5', actual: healthy ? 'v5' : 'v4' },
        ],
      },
    };
  }

  private mcpFresh(): boolean {
    const m = this.state.council.mcp;
    if (m === null || !m.reachable || !m.pins_ok) return false;
    const at = parseHlc(m.recorded_at);
    return at.ok && this.now - at.value.ms < this.state.council.mcp_freshness_ms - 30_000;
  }

  private councilIntent(): Intent | null {
    const c = this.state.council;
    const agent = this.cast.council;
    switch (c.phase) {
      case 'PLAN_ROLES':
        return { transition: 'Council_ProfilesLoaded', actor: agent, inputs: { election_id: `E-${this.seed}-${++this.election}`, roles: [{ role: 'reviewer', seats: 3 }, { role: 'executor', seats: 1 }] } };
      case 'ELECT': {
        const members = [this.cast.executor, ...this.cast.reviewers].map((a) => a.key.signer).filter((m) => !c.ejected.includes(m)).sort();
        const setHash = memberSetHash(members);
        const electionId = c.election_id!;
        const eligible = new Set(eligibleVoters(this.state));
        const voters = this.cast.voters.filter((v) => eligible.has(v.key.signer));
        const recorded = new Set(c.votes.filter((v) => v.member_set_hash === setHash).map((v) => v.voter));
        const vote = (v: Actor) => ({ election_id: electionId, member_set_hash: setHash, voter: v.key.signer, signature: v.key.signBytes(voteSigningBytes(electionId, setHash)) });
        // Sometimes votes arrive one by one as Council_RecordVote, sometimes inline in the certificate.
        const pending = voters.filter((v) => !recorded.has(v.key.signer));
        if (pending.length > 0 && recorded.size < requiredQuorum(this.state) && this.rng.chance(400)) {
          const v = this.rng.pick(pending);
          return { transition: 'Council_RecordVote', actor: v, inputs: { vote: vote(v) } };
        }
        const need = Math.max(0, requiredQuorum(this.state) - recorded.size);
        const inline = pending.slice(0, need + this.rng.int(0, 1)).map(vote);
        return { transition: 'Council_QuorumCert', actor: agent, inputs: { election_id: electionId, members, votes: inline } };
      }
      case 'TOOLING_SYNC':
        if (!this.mcpFresh()) return this.mcpIntent(this.rng.chance(850));
        return { transition: 'Council_ToolingSynced', actor: agent, inputs: { tooling_hash: digestJson({ tooling: this.now }) } };
      default:
        return null;
    }
  }

  private ingestionIntent(): Intent | null {
    const i = this.state.ingestion;
    const w = this.cast.ingestion;
    switch (i.phase) {
      case 'DISCOVER':
        return { transition: 'Ingestion_SourcesResolved', actor: w, inputs: { sources: [`ucxl://slurp:ingestion_worker@${this.genesis.project}:sources/*^/repo`] } };
      case 'FETCH':
        return { transition: 'Ingestion_BytesOk', actor: w, inputs: { content_hash: digestJson({ content: i.version, seed: this.seed }), bytes: this.rng.int(1000, 1_000_000) } };
      case 'VALIDATE':
        if (this.rng.chance(20)) return { transition: 'Ingestion_PolicyViolation', actor: w, inputs: { rule_id: 'pii-detected', rationale: 'validator found personal data in the corpus' } };
        if (i.ready !== null && this.rng.chance(50)) return { transition: 'Ingestion_RollbackIndex', actor: w, inputs: { reason: 'validation found a regression; keep the previous index' } };
        return {
          transition: 'Ingestion_SchemaOk',
          actor: w,
          // A restricted corpus breaches the genesis policy and quarantines the machine.
          inputs: { schema_hash: digestJson({ schema: i.version }), records: this.rng.int(1, 5000), classification: this.rng.chance(60) ? 'restricted' : 'internal' },
        };
      case 'INDEX':
        return { transition: 'Ingestion_CorpusBuilt', actor: w, inputs: { index_hash: digestJson({ index: i.version, seed: this.seed }) } };
      default:
        return null;
    }
  }

  private environmentIntent(): Intent | null {
    const e = this.state.environment;
    const a = this.cast.environment;
    switch (e.phase) {
      case 'ALLOCATE':
        return { transition: 'Environment_CapacityOk', actor: a, inputs: { allocations: [{ resource: 'gpu', units: this.rng.chance(30) ? 200_000 : this.rng.int(1, 64) }, { resource: 'cpu', units: this.rng.int(1, 256) }] } };
      case 'PROVISION':
        if (this.rng.chance(80)) return { transition: 'Environment_Deprovision', actor: a, inputs: { reason: 'provisioning partially failed' } };
        return { transition: 'Environment_Installed', actor: a, inputs: { assets: ['runner-image', 'mcp-tools'] } };
      case 'HEALTHCHECK':
        if (this.rng.chance(150)) return { transition: 'Environment_Amber', actor: a, inputs: { health_hash: digestJson({ amber: this.now }), reason: 'latency above target' } };
        return { transition: 'Environment_Green', actor: a, inputs: { health_hash: digestJson({ green: this.now }) } };
      case 'DEGRADED':
        return { transition: 'Environment_Recheck', actor: a, inputs: { reason: 'capacity restored' } };
      default:
        return null;
    }
  }

  private lifecycleIntent(): Intent {
    const candidates = [this.ingestionIntent(), this.councilIntent(), this.environmentIntent()].filter((x): x is Intent => x !== null);
    if (candidates.length > 0) return this.rng.pick(candidates);
    const s = this.state;
    if (s.ingestion.ready === null || s.council.member_set_hash === null || s.environment.health_hash === null) throw new Error('READY without pins');
    const pins = { ingestion_version: s.ingestion.ready.version, content_hash: s.ingestion.ready.content_hash, council_set_hash: s.council.member_set_hash, environment_hash: s.environment.health_hash };
    const planChange = s.execution.pins !== null && s.execution.pins.ingestion_version !== pins.ingestion_version;
    return { transition: 'Execution_Start', actor: this.cast.executor, inputs: planChange ? { pins, plan_change: `re-plan against ingestion v${pins.ingestion_version}` } : { pins } };
  }

  private executionIntent(): Intent {
    const e = this.state.execution;
    const x = this.cast.executor;
    const roll = this.rng.next() % 1000;
    if (roll < 8) return { transition: 'Control_Pause', actor: this.cast.operator, inputs: { reason: 'operator maintenance' } };
    if (roll < 12) return { transition: 'Control_QuorumLost', actor: this.cast.council, inputs: { reason: 'council members unreachable' } };
    if (roll < 16) return { transition: 'Control_Degrade', actor: this.cast.operator, inputs: { reason: 'license server throttling' } };
    if (roll < 19) return { transition: 'Council_Eject', actor: this.cast.council, inputs: { member: this.rng.pick(this.state.council.members.length > 0 ? this.state.council.members : [x.key.signer]), reason: 'missed reviews', election_id: `E-${this.seed}-${++this.election}` } };
    if (roll < 22) return { transition: 'Environment_Deprovision', actor: this.cast.environment, inputs: { reason: 'capacity churn' } };
    if (roll < 26 && e.phase === 'PLAN') return { transition: 'Ingestion_NewVersion', actor: this.cast.ingestion, inputs: { reason: 'new corpus version published' } };
    switch (e.phase) {
      case 'PLAN': {
        const w = this.openWindow('plan');
        if (w === null) return this.waitThen('plan');
        return { transition: 'Execution_LockPlan', actor: x, inputs: { plan_hash: digestJson({ plan: e.loop, seed: this.seed }), work_item: `task-${e.loop}` }, window_id: w.window_id };
      }
      case 'WORK': {
        const w = this.openWindow('review');
        if (w === null) return this.waitThen('review');
        return { transition: 'Execution_ReviewGate', actor: x, inputs: { result_hash: digestJson({ result: e.loop, seed: this.seed }) }, window_id: w.window_id };
      }
      case 'REVIEW': {
        const w = this.openWindow('review');
        if (w === null) return this.waitThen('review');
        const reviewed = new Set([...e.approvals, ...e.rejections]);
        const fresh = this.cast.reviewers.filter((r) => !reviewed.has(r.key.signer));
        if (e.approvals.length < this.state.council.approvals_threshold && fresh.length > 0) {
          const verdict = this.rng.chance(100) ? 'reject' : 'approve';
          return { transition: 'Execution_Approve', actor: this.rng.pick(fresh), inputs: { result_hash: e.result_hash!, verdict, comment: 'reviewed; api_key=sk-not-a-real-key' }, window_id: w.window_id };
        }
        if (e.approvals.length < this.state.council.approvals_threshold) {
          // Not enough approvals and nobody left to review: ask for a new result.
          return { transition: 'Council_ReElect', actor: this.cast.council, inputs: { reason: 'review deadlock', election_id: `E-${this.seed}-${++this.election}` } };
        }
        return { transition: 'Execution_Reverb', actor: this.rng.pick(this.cast.reviewers), inputs: { result_hash: e.result_hash!, submission_hash: digestJson({ submit: e.loop }) }, window_id: w.window_id };
      }
      case 'REVERB': {
        const w = this.openWindow('plan', e.loop_window_id);
        if (w === null) return this.waitThen('plan');
        return { transition: 'Execution_NextWindow', actor: x, inputs: { summary_hash: digestJson({ summary: e.loop }) }, window_id: w.window_id };
      }
    }
  }

  /** Time passes until the wanted phase; meanwhile the license adapter renews (a harmless fact). */
  private waitThen(phase: WindowFact['phase']): Intent {
    this.waitFor(phase);
    return this.licenseIntent('valid');
  }

  private controlIntent(): Intent {
    const op = this.cast.operator;
    switch (this.state.control.phase) {
      case 'PAUSED':
        return { transition: 'Control_Resume', actor: op, inputs: { reason: 'maintenance done' } };
      case 'RECOVERY':
        return { transition: 'Control_Recovered', actor: op, inputs: { reason: 'quorum restored' } };
      default:
        if (this.state.boot.license.verdict !== 'valid') return this.licenseIntent('valid');
        return { transition: 'Control_Restore', actor: this.cast.license, inputs: { reason: 'license server healthy again' } };
    }
  }

  private quarantineIntent(): Intent {
    if (this.rng.chance(700)) return { transition: 'Policy_HumanRelease', actor: this.cast.human, inputs: { justification: 'reviewed the breach; safe to continue' } };
    return { transition: 'Policy_UpdateRelease', actor: this.cast.policy, inputs: { version: ++this.policyVersion, rules: this.state.policy.rules as unknown as Json, redact_fields: ['comment'] } };
  }

  private governanceIntent(): Intent {
    const admin = this.cast.admin;
    const roll = this.rng.next() % 100;
    if (roll < 25) return this.licenseIntent(this.rng.chance(150) ? 'unavailable' : 'valid');
    if (roll < 40) return this.mcpIntent(this.rng.chance(800));
    if (roll < 55 || this.extras.length === 0) {
      const k = SigningKey.derive(`workload|${this.seed}|extra|${this.entries.length}`);
      this.extras.push(k);
      return { transition: 'Governance_AddSigner', actor: admin, inputs: { signer: k.signer, roles: [this.rng.pick(['reviewer', 'ingestion_worker', 'council_agent'] as const)], label: 'contractor' } };
    }
    if (roll < 65) {
      const k = this.extras.shift()!;
      return { transition: 'Governance_RemoveSigner', actor: admin, inputs: { signer: k.signer } };
    }
    if (roll < 75) {
      const old = this.extras.shift()!;
      const next = SigningKey.derive(`workload|${this.seed}|rotated|${this.entries.length}`);
      this.extras.push(next);
      // Rotation signed by the old key itself (the `$subject` role).
      return { transition: 'Governance_RotateSigner', actor: { name: 'contractor', key: old, roles: ['reviewer'] }, inputs: { old_signer: old.signer, new_signer: next.signer } };
    }
    if (roll < 82) return { transition: 'Governance_UpdateQuorum', actor: admin, inputs: { min_votes: this.rng.int(2, 3), approvals_threshold: 2 } };
    if (roll < 88) {
      return { transition: 'Governance_UpdateSchedule', actor: admin, inputs: { schedule: { version: ++this.scheduleVersion, phases: { plan: ['plan'], execute: ['work'], review: ['review', 'reverb'] }, tidal: { amplitude_permille: this.rng.int(0, 1000), period_beats: 240, phase_offset_beats: this.rng.int(0, 239) } } } };
    }
    if (roll < 92) return { transition: 'Policy_Update', actor: this.cast.policy, inputs: { version: ++this.policyVersion, rules: this.state.policy.rules as unknown as Json, redact_fields: ['comment'] } };
    return { transition: 'Policy_Quarantine', actor: this.cast.policy, inputs: { rule_id: 'manual-review', rationale: 'SHHH flagged a suspicious proposal pattern' } };
  }

  /** What an honest actor would propose next in this state. */
  intent(): Intent {
    const w = this.windowIntent();
    if (w !== null) return w;
    const s = this.state;
    if (this.licenseNeedsRenewal() && s.configuration.top !== 'BOOT' && this.rng.chance(300)) return this.licenseIntent('valid');
    if (s.configuration.top !== 'BOOT' && s.configuration.top !== 'TERMINATED' && this.rng.chance(40)) return this.governanceIntent();
    switch (s.configuration.top) {
      case 'BOOT':
        if (s.boot.phase === 'UNINITIALIZED') return { transition: 'Boot_ConfigOk', actor: this.cast.operator, inputs: { config_hash: digestJson(this.genesis as unknown as Json) } };
        if (this.licenseNeedsRenewal()) {
          if (s.boot.phase === 'LICENSE_CHECK.VERIFYING' && s.boot.license.valid_until !== null && this.rng.chance(300)) {
            return { transition: 'Boot_LicenseGrace', actor: this.cast.license, inputs: { reason: 'KACHING unreachable; using the cached verdict' } };
          }
          return this.licenseIntent('valid');
        }
        return { transition: 'Boot_Licensed', actor: this.cast.license, inputs: { verdict_hash: s.boot.license.verdict_hash! } };
      case 'PROJECT_LIFECYCLE':
        return this.lifecycleIntent();
      case 'EXECUTION':
        return this.executionIntent();
      case 'CONTROL':
        return this.controlIntent();
      case 'QUARANTINED':
        return this.quarantineIntent();
      case 'TERMINATED':
        return this.licenseIntent('valid');
    }
  }

  // ------------------------------------------------------------------ hostile clients

  /** A proposal that must be refused with a specific code, or a duplicate; null if this class does not apply now. */
  hostile(): { proposal: unknown; expect: string } | null {
    // The honest intent is only a template here: undo the bookkeeping it did, since it is not submitted.
    const saved = { windowSeq: this.windowSeq, election: this.election, policyVersion: this.policyVersion, scheduleVersion: this.scheduleVersion, now: this.now, extras: [...this.extras] };
    const honest = this.intent();
    Object.assign(this, { windowSeq: saved.windowSeq, election: saved.election, policyVersion: saved.policyVersion, scheduleVersion: saved.scheduleVersion, now: saved.now });
    this.extras.splice(0, this.extras.length, ...saved.extras);
    const good = this.build(honest);
    const stranger = SigningKey.derive(`workload|${this.seed}|stranger`);
    const resign = (p: Omit<Proposal, 'signature'>, key = this.cast.operator.key) => key.signProposal(p);
    switch (this.rng.next() % 14) {
      case 0:
        return this.accepted.length > 0 ? { proposal: this.rng.pick(this.accepted), expect: 'duplicate' } : null;
      case 1: {
        if (this.hashes.length < 2) return null;
        const old = this.hashes[this.rng.int(0, this.hashes.length - 2)]!;
        if (old === good.current_state_hash) return null;
        return { proposal: honest.actor.key.signProposal({ ...good, current_state_hash: old }), expect: 'stale_state_hash' };
      }
      case 2: {
        const c = good.signature[5] === 'A' ? 'B' : 'A';
        return { proposal: { ...good, signature: good.signature.slice(0, 5) + c + good.signature.slice(6) }, expect: 'bad_signature' };
      }
      case 3:
        return { proposal: this.rng.pick<unknown>([42, 'hello', [good], null, { ...good, extra: 1 }, { ...good, inputs_hash: 7 }, { ...good, evidence: 'x' }]), expect: 'malformed_proposal' };
      case 4:
        return { proposal: { ...good, idem_key: 'k'.repeat(300) }, expect: 'oversized_field' };
      case 5:
        return { proposal: resign({ ...good, transition: 'Boot_Explode', signer: this.cast.operator.key.signer }), expect: 'unknown_transition' };
      case 6: {
        const last = this.state.hlc_last === null ? null : parseHlc(this.state.hlc_last);
        if (last === null || !last.ok || last.value.ms < this.t0 + 10) return null;
        const old = formatHlc({ ms: last.value.ms - this.rng.int(1, 5000), logical: 0 });
        return { proposal: honest.actor.key.signProposal({ ...good, hlc: old }), expect: 'hlc_time_travel' };
      }
      case 7:
        return { proposal: stranger.signProposal({ ...good, signer: stranger.signer }), expect: 'unknown_signer' };
      case 8: {
        const wrong = honest.actor === this.cast.human ? this.cast.operator : this.cast.human;
        if (honest.transition === 'Governance_RotateSigner') return null;
        return { proposal: wrong.key.signProposal({ ...good, signer: wrong.key.signer }), expect: 'signer_not_authorized' };
      }
      case 9:
        return { proposal: honest.actor.key.signProposal({ ...good, inputs_hash: digestJson({ other: true }) }), expect: 'inputs_hash_mismatch' };
      case 10: {
        const inputs = { ...(honest.inputs as Record<string, Json>), unexpected_field: true };
        return { proposal: honest.actor.key.signProposal({ ...good, inputs, inputs_hash: digestJson(inputs) }), expect: 'inputs_schema_invalid' };
      }
      case 11: {
        if (this.accepted.length === 0) return null;
        const prior = this.rng.pick(this.accepted);
        return { proposal: honest.actor.key.signProposal({ ...good, idem_key: prior.idem_key }), expect: 'idem_key_conflict' };
      }
      case 12:
        return { proposal: honest.actor.key.signProposal({ ...good, evidence: ['https://example.invalid/not-ucxl'] }), expect: 'evidence_invalid' };
      default: {
        // A time-gated transition naming a window of the wrong phase of the beat.
        if (!String(honest.transition).startsWith('Execution_') || honest.window_id == null) return null;
        const current = this.state.execution.windows.find((w) => w.window_id === honest.window_id);
        const wrong = this.state.execution.windows.find((w) => w.phase !== current?.phase);
        if (wrong === undefined) return null;
        return { proposal: honest.actor.key.signProposal({ ...good, window_id: wrong.window_id }), expect: 'window_closed' };
      }
    }
  }

  /** The next proposal an honest actor or a hostile client sends, after simulated time moves on. */
  next(hostilePermille: number): { proposal: unknown; expect?: string } {
    this.now += this.rng.int(20, 1500);
    if (this.rng.chance(hostilePermille)) {
      const h = this.hostile();
      if (h !== null) return h;
    }
    return { proposal: this.build(this.intent()) };
  }

  step(hostilePermille: number): void {
    const n = this.next(hostilePermille);
    this.submit(n.proposal, n.expect);
  }
}


export interface WorkloadOptions {
  readonly seed: number;
  readonly count: number;
  /** Share of hostile/duplicate/stale entries, permille. Default 150. */
  readonly hostilePermille?: number;
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const g = new WorkloadModel(options.seed);
  while (g.entries.length < options.count) g.step(options.hostilePermille ?? 150);
  return { seed: options.seed, genesis: g.genesis, entries: g.entries };
}
