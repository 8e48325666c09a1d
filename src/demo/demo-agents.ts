// The demo's callers: honest agents for every non-adapter role (operator, ingestion worker, council agent and
// voters, environment agent, executor, reviewers). They read the state, do the next step of each region, and
// talk to HMMM and the environment provisioner the way real agents would. Adapters supply every fact.
import type { Json } from '../core/canonical-json.ts';
import { memberSetHash, voteSigningBytes } from '../core/council-vote.ts';
import { digestJson } from '../core/digest.ts';
import type { StateDocument, WindowFact } from '../core/state.ts';
import { ClientClock, propose, type ProposeRequest, type ProposeResult } from '../sdk/client.ts';
import type { SigningKey } from '../workload/signing-key.ts';

export interface DemoKeys {
  readonly operator: SigningKey;
  readonly ingestion: SigningKey;
  readonly council: SigningKey;
  readonly voters: readonly SigningKey[];
  readonly environment: SigningKey;
  readonly executor: SigningKey;
  readonly reviewers: readonly SigningKey[];
}

export interface DemoAgentsOptions {
  readonly endpoints: readonly string[];
  readonly keys: DemoKeys;
  readonly hmmmUrl: string;
  readonly environmentUrl: string;
  readonly project: string;
  readonly configHash: string;
  /** One line per step taken (the human-readable feed). */
  readonly say: (line: string) => void;
  readonly intervalMs?: number;
  /** How proposals are sent; default the SDK's propose(). The chaos harness records and perturbs them. */
  readonly propose?: (req: ProposeRequest) => Promise<ProposeResult>;
}

interface Step {
  readonly who: string;
  readonly key: SigningKey;
  readonly transition: string;
  readonly inputs: Json;
  readonly windowId?: string;
}

export class DemoAgents {
  private readonly clock = new ClientClock();
  private endpoint = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private seq = 0;
  private readonly ballots = new Set<string>();
  private readonly voted = new Set<string>();
  /** The capacity this agent holds: reused until CapacityOk is recorded, so a lost answer does not leak it. */
  private allocation: { id: string; epoch: number } | null = null;
  private waitingSaid = '';

  constructor(private readonly o: DemoAgentsOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.round().catch(() => {}).finally(() => (this.running = null));
    }, this.o.intervalMs ?? 500);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.running;
  }

  private url(): string {
    return this.o.endpoints[this.endpoint % this.o.endpoints.length]!;
  }

  private async readState(): Promise<StateDocument | null> {
    for (let i = 0; i < this.o.endpoints.length; i++) {
      try {
        const res = await fetch(`${this.url()}/state`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return ((await res.json()) as { projection: StateDocument }).projection;
      } catch {
        // try the next replica
      }
      this.endpoint++;
    }
    return null;
  }

  /** One round: every region that can move takes one step. */
  async round(): Promise<void> {
    const s = await this.readState();
    if (s === null) return;
    for (const step of await this.steps(s)) {
      const req: ProposeRequest = { url: this.url(), secretKey: step.key.seed, transition: step.transition, inputs: step.inputs, windowId: step.windowId ?? null, evidence: [this.evidence(step)], idemKey: `demo:${step.transition}:${++this.seq}:${Date.now().toString(36)}` };
      const send = this.o.propose ?? ((x: ProposeRequest) => propose(x, this.clock));
      const r = await send(req).catch((e: Error) => ({ status: 0, body: { reason: 'network', reasons: [e.message] } }));
      const b = r.body as { outcome?: string; reason?: string; reasons?: string[] };
      this.o.say(`${step.who.padEnd(12)} ${step.transition.padEnd(26)} ${r.status} ${b.outcome ?? b.reason ?? ''}${r.status === 202 ? '' : ` ${(b.reasons ?? []).join('; ')}`}`);
      if (r.status !== 202) return; // the state changed under us; look again next round
    }
  }

  private evidence(step: Step): string {
    const role = step.who.replace(/[^A-Za-z0-9_-]/g, '-');
    return `ucxl://${role}:demo@${this.o.project.replace(/[^A-Za-z0-9_-]/g, '-')}:${step.transition}/*^/demo`;
  }

  private waiting(what: string): void {
    if (this.waitingSaid !== what) this.o.say(`(waiting: ${what})`);
    this.waitingSaid = what;
  }

  private openWindow(s: StateDocument, phase: WindowFact['phase'], not: string | null = null): WindowFact | null {
    const now = Date.now();
    return s.execution.windows.find((w) => w.phase === phase && w.window_id !== not && w.opens_at_ms <= now && now < w.closes_at_ms - 500) ?? null;
  }

  private members(): string[] {
    return [this.o.keys.executor, ...this.o.keys.reviewers].map((k) => k.signer).sort();
  }

  async steps(s: StateDocument): Promise<Step[]> {
    const k = this.o.keys;
    switch (s.configuration.top) {
      case 'BOOT':
        if (s.boot.phase === 'UNINITIALIZED') return [{ who: 'operator', key: k.operator, transition: 'Boot_ConfigOk', inputs: { config_hash: this.o.configHash } }];
        this.waiting('the KACHING adapter to record a license verdict and pass LICENSE_CHECK');
        return [];
      case 'PROJECT_LIFECYCLE':
        return this.lifecycle(s);
      case 'EXECUTION':
        return this.execution(s);
      case 'CONTROL':
        if (s.control.phase === 'PAUSED') return [{ who: 'operator', key: k.operator, transition: 'Control_Resume', inputs: { reason: 'demo resumes' } }];
        if (s.control.phase === 'RECOVERY') return [{ who: 'operator', key: k.operator, transition: 'Control_Recovered', inputs: { reason: 'demo recovered' } }];
        this.waiting(`CONTROL.DEGRADED (${s.control.reason ?? ''}): the license adapter restores after a valid verdict`);
        return [];
      case 'QUARANTINED':
        this.waiting(`QUARANTINED by ${s.policy.rule_id ?? 'policy'}: a human releases it (Policy_HumanRelease) or SHHH publishes a new policy`);
        return [];
      default:
        return [];
    }
  }

  private async lifecycle(s: StateDocument): Promise<Step[]> {
    const k = this.o.keys;
    const out: Step[] = [];
    const i = s.ingestion;
    const ingest = (transition: string, inputs: Json) => out.push({ who: 'ingestion', key: k.ingestion, transition, inputs });
    if (i.phase === 'DISCOVER') ingest('Ingestion_SourcesResolved', { sources: [`ucxl://slurp:ingestion_worker@${this.o.project}:sources/*^/repo`] });
    else if (i.phase === 'FETCH') ingest('Ingestion_BytesOk', { content_hash: digestJson({ content: i.version }), bytes: 123_456 });
    else if (i.phase === 'VALIDATE') ingest('Ingestion_SchemaOk', { schema_hash: digestJson({ schema: i.version }), records: 420, classification: 'internal' });
    else if (i.phase === 'INDEX') ingest('Ingestion_CorpusBuilt', { index_hash: digestJson({ index: i.version }) });

    const c = s.council;
    if (c.phase === 'PLAN_ROLES') {
      out.push({ who: 'council', key: k.council, transition: 'Council_ProfilesLoaded', inputs: { election_id: `E-${Date.now().toString(36)}`, roles: [{ role: 'reviewer', seats: k.reviewers.length }, { role: 'executor', seats: 1 }] } });
    } else if (c.phase === 'ELECT' && c.election_id !== null) {
      await this.campaign(c.election_id);
    } else if (c.phase === 'TOOLING_SYNC') {
      if (c.mcp !== null && c.mcp.reachable && c.mcp.pins_ok) out.push({ who: 'council', key: k.council, transition: 'Council_ToolingSynced', inputs: { tooling_hash: c.mcp.probe_hash } });
      else this.waiting('the MCP adapter to record a healthy registry');
    }

    const e = s.environment;
    const env = (transition: string, inputs: Json) => out.push({ who: 'environment', key: k.environment, transition, inputs });
    if (e.phase === 'ALLOCATE') {
      const allocations = await this.allocate(s.epoch.environment);
      if (allocations !== null) env('Environment_CapacityOk', { allocations });
    } else if (e.phase === 'PROVISION') env('Environment_Installed', { assets: ['runner-image', 'mcp-tools'] });
    else if (e.phase === 'HEALTHCHECK') env('Environment_Green', { health_hash: digestJson({ green: s.epoch.environment }) });
    else if (e.phase === 'DEGRADED') env('Environment_Recheck', { reason: 'capacity restored' });

    if (out.length === 0 && i.phase === 'READY' && c.phase === 'READY' && (e.phase === 'READY') && i.ready !== null && c.member_set_hash !== null && e.health_hash !== null) {
      const pins = { ingestion_version: i.ready.version, content_hash: i.ready.content_hash, council_set_hash: c.member_set_hash, environment_hash: e.health_hash };
      const planChange = s.execution.pins !== null && s.execution.pins.ingestion_version !== pins.ingestion_version;
      out.push({ who: 'executor', key: k.executor, transition: 'Execution_Start', inputs: planChange ? { pins, plan_change: `re-plan against ingestion v${pins.ingestion_version}` } : { pins } });
    }
    return out;
  }

  /** The council agent posts the ballot to HMMM and the voters vote; the HMMM adapter makes the certificate. */
  private async campaign(electionId: string): Promise<void> {
    const members = this.members();
    const base = `${this.o.hmmmUrl.replace(/\/+$/, '')}/v1/elections/${encodeURIComponent(electionId)}`;
    const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(2000) });
    try {
      if (!this.ballots.has(electionId)) {
        const r = await post('/ballots', { type: 'hmmm.ballot.v1', election_id: electionId, members });
        if (r.ok) {
          this.ballots.add(electionId);
          this.o.say(`${'council'.padEnd(12)} HMMM ballot ${electionId} for ${members.length} members`);
        }
      }
      const setHash = memberSetHash(members);
      for (const [n, v] of this.o.keys.voters.entries()) {
        const id = `${electionId}|${v.signer}`;
        if (this.voted.has(id)) continue;
        const vote = { type: 'hmmm.vote.v1', election_id: electionId, member_set_hash: setHash, voter: v.signer, signature: v.signBytes(voteSigningBytes(electionId, setHash)) };
        const r = await post('/votes', vote);
        if (r.ok) {
          this.voted.add(id);
          this.o.say(`${`voter-${n + 1}`.padEnd(12)} HMMM vote for ${setHash.slice(0, 19)}…`);
        }
      }
    } catch {
      this.waiting('HMMM to answer');
    }
    this.waiting('the HMMM adapter to propose the quorum certificate');
  }

  /**
   * Asks the provisioner for capacity; null (and a wait) when it has too little. An allocation made for this
   * environment epoch is reused (its CapacityOk may have been lost); one from an earlier epoch is released first.
   */
  private async allocate(epoch: number): Promise<{ resource: string; units: number }[] | null> {
    const want = { gpu: 4, cpu: 16 };
    const base = `${this.o.environmentUrl.replace(/\/+$/, '')}/v1/allocations`;
    const asked = Object.entries(want).map(([resource, units]) => ({ resource, units }));
    if (this.allocation?.epoch === epoch) return asked;
    try {
      if (this.allocation !== null) {
        await fetch(`${base}/${encodeURIComponent(this.allocation.id)}`, { method: 'DELETE', signal: AbortSignal.timeout(2000) });
        this.allocation = null;
      }
      const r = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'environment.allocate.v1', resources: want }), signal: AbortSignal.timeout(2000) });
      if (r.status === 201) {
        const body = (await r.json()) as { allocation_id: string };
        this.allocation = { id: body.allocation_id, epoch };
        return asked;
      }
      this.waiting(`environment capacity (provisioner answered ${r.status})`);
    } catch {
      this.waiting('the environment provisioner to answer');
    }
    return null;
  }

  private execution(s: StateDocument): Step[] {
    const k = this.o.keys;
    const e = s.execution;
    const x = (transition: string, inputs: Json, w: WindowFact) => [{ who: 'executor', key: k.executor, transition, inputs, windowId: w.window_id }];
    switch (e.phase) {
      case 'PLAN': {
        const w = this.openWindow(s, 'plan');
        if (w === null) return this.waited('a BACKBEAT plan window');
        return x('Execution_LockPlan', { plan_hash: digestJson({ plan: e.loop }), work_item: `task-${e.loop}` }, w);
      }
      case 'WORK': {
        const w = this.openWindow(s, 'review');
        if (w === null) return this.waited('a BACKBEAT review window (work happens meanwhile)');
        return x('Execution_ReviewGate', { result_hash: digestJson({ result: e.loop }) }, w);
      }
      case 'REVIEW': {
        const w = this.openWindow(s, 'review');
        if (w === null) return this.waited('a BACKBEAT review window');
        const done = new Set([...e.approvals, ...e.rejections]);
        const next = k.reviewers.findIndex((r) => !done.has(r.signer));
        if (e.approvals.length < s.council.approvals_threshold && next >= 0) {
          return [{ who: `reviewer-${next + 1}`, key: k.reviewers[next]!, transition: 'Execution_Approve', inputs: { result_hash: e.result_hash!, verdict: 'approve', comment: 'looks good' }, windowId: w.window_id }];
        }
        return [{ who: 'reviewer-1', key: k.reviewers[0]!, transition: 'Execution_Reverb', inputs: { result_hash: e.result_hash!, submission_hash: digestJson({ submit: e.loop }) }, windowId: w.window_id }];
      }
      case 'REVERB': {
        const w = this.openWindow(s, 'plan', e.loop_window_id);
        if (w === null) return this.waited('the next BACKBEAT plan window');
        return x('Execution_NextWindow', { summary_hash: digestJson({ summary: e.loop }) }, w);
      }
    }
  }

  private waited(what: string): Step[] {
    this.waiting(what);
    return [];
  }
}
