// Runs the adapters next to the leader: ticks only while this replica leads, never on the apply path.
import type { ReplicaService } from '../api/replica-service.ts';
import type { StateDocument } from '../core/state.ts';
import type { Logger } from '../node/logger.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { createAdapterMetrics, type AdapterMetrics } from './adapter-metrics.ts';
import { FactProposer, type AdapterIdentity } from './fact-proposer.ts';
import { requestJson } from './http-json.ts';
import { OutboundGate } from './outbound-gate.ts';

export interface HostedAdapter {
  readonly adapter: Adapter;
  readonly identity: AdapterIdentity;
  /** Base URL of the external system. */
  readonly url: string;
  readonly timeoutMs?: number;
}

export interface AdapterHostOptions {
  readonly service: ReplicaService;
  /** A single-node replica always leads; a cluster replica only while Raft says so. */
  readonly isLeader: () => boolean;
  readonly adapters: readonly HostedAdapter[];
  readonly log: Logger;
  readonly now?: () => number;
}

export class AdapterHost {
  readonly metrics: AdapterMetrics;
  readonly gate: OutboundGate;
  private readonly proposer: FactProposer;
  private readonly now: () => number;
  private latest: StateDocument | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly busy = new Set<Adapter>();
  private stopped = false;

  constructor(private readonly options: AdapterHostOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = createAdapterMetrics(options.service.metrics.registry);
    this.gate = new OutboundGate(() => this.latest, this.now, (system, code) => this.metrics.refused.inc({ system, code }));
    this.proposer = new FactProposer(options.service, options.service.genesis.project, this.now);
  }

  start(): void {
    for (const h of this.options.adapters) {
      const timer = setInterval(() => this.fire(h), h.adapter.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
    this.options.log.info({ event: 'adapters_started', adapters: this.options.adapters.map((h) => h.adapter.system) }, 'adapter host started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }

  /** One tick of one adapter now (tests drive the host with this instead of timers). */
  async tickOnce(h: HostedAdapter): Promise<void> {
    if (this.stopped || this.busy.has(h.adapter)) return;
    const leading = this.options.isLeader();
    this.metrics.active.set(leading ? 1 : 0);
    if (!leading) return;
    this.busy.add(h.adapter);
    try {
      const read = await this.options.service.read('stale');
      if (!read.ok) return;
      this.latest = read.view.state;
      await h.adapter.tick(this.context(h, read.view.state));
    } catch (e) {
      this.options.log.warn({ event: 'adapter_tick_failed', system: h.adapter.system, err: (e as Error).message }, 'adapter tick failed');
    } finally {
      this.busy.delete(h.adapter);
    }
  }

  private fire(h: HostedAdapter): void {
    const p = this.tickOnce(h);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private context(h: HostedAdapter, state: StateDocument): AdapterContext {
    const system = h.adapter.system;
    const log = this.options.log.child({ adapter: system });
    const base = h.url.replace(/\/+$/, '');
    return {
      state,
      now: this.now(),
      log,
      metrics: this.metrics,
      request: async (path, options) => {
        const r = await requestJson(this.gate, system, `${base}${path}`, { timeoutMs: h.timeoutMs, ...options });
        this.metrics.requests.inc({ system, result: r.ok ? 'ok' : r.kind });
        if (!r.ok && r.kind !== 'refused') log.debug({ event: 'adapter_request_failed', kind: r.kind, status: r.status, msg: r.message }, 'external request failed');
        return r;
      },
      propose: async (req) => {
        const r = await this.proposer.propose(h.identity, req);
        this.metrics.facts.inc({ system, transition: req.transition, outcome: r.kind });
        if (r.kind !== 'suppressed') {
          const level = r.kind === 'accepted' || r.kind === 'duplicate' ? 'info' : 'warn';
          log[level]({ event: 'adapter_fact', transition: req.transition, outcome: r.kind, code: r.code, reasons: r.reasons }, `${system} proposed ${req.transition}: ${r.kind}`);
        }
        return r;
      },
      invalid: (what, reasons) => {
        this.metrics.invalid.inc({ system });
        log.warn({ event: 'adapter_invalid_message', what, reasons }, `${system}: ${what} failed its contract`);
      },
    };
  }
}
