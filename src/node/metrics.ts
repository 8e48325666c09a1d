// Prometheus metrics of one replica (brief §10 plus WAL fsync and batch size), on a registry of its own.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRIC_LABEL_VALUES } from '../generated/metric-labels.ts';

export interface ReplicaMetrics {
  readonly registry: Registry;
  readonly transitions: Counter<'transition'>;
  readonly guardFailures: Counter<'guard'>;
  readonly stateAdvanceLatency: Histogram<'region'>;
  readonly retries: Counter<'transition'>;
  readonly quarantines: Counter;
  readonly recoveryTime: Gauge;
  readonly walLag: Gauge;
  readonly fsyncDuration: Histogram;
  readonly batchSize: Histogram;
  readonly rejections: Counter<'reason'>;
}

export function createMetrics(): ReplicaMetrics {
  const registry = new Registry();
  const m: ReplicaMetrics = {
    registry,
    transitions: new Counter({ name: 'swoosh_transition_total', help: 'Accepted transitions, by transition.', labelNames: ['transition'], registers: [registry] }),
    guardFailures: new Counter({ name: 'swoosh_guard_fail_total', help: 'Proposals refused by a guard, by the failing guard.', labelNames: ['guard'], registers: [registry] }),
    stateAdvanceLatency: new Histogram({
      name: 'swoosh_state_advance_latency_seconds',
      help: 'Time from admission to a durable state advance, by region whose epoch advanced.',
      labelNames: ['region'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    retries: new Counter({ name: 'swoosh_retry_total', help: 'Repeated idem_keys answered with the original outcome, by transition (the brief\'s swoosh_retry_count).', labelNames: ['transition'], registers: [registry] }),
    quarantines: new Counter({ name: 'swoosh_quarantine_total', help: 'Entries that moved the machine to QUARANTINED.', registers: [registry] }),
    recoveryTime: new Gauge({ name: 'swoosh_recovery_time_seconds', help: 'Duration of the last startup recovery (snapshot load and WAL replay).', registers: [registry] }),
    walLag: new Gauge({ name: 'swoosh_wal_lag_records', help: 'Log entries admitted but not yet durable (single node), or in the log but not yet applied (cluster).', registers: [registry] }),
    fsyncDuration: new Histogram({
      name: 'swoosh_disk_wal_fsync_duration_seconds',
      help: 'Latency of synced WAL batch writes.',
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1],
      registers: [registry],
    }),
    batchSize: new Histogram({ name: 'swoosh_wal_batch_size', help: 'Entries per synced WAL batch (group commit).', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [registry] }),
    rejections: new Counter({ name: 'swoosh_rejection_total', help: 'Refused proposals, by reason code.', labelNames: ['reason'], registers: [registry] }),
  };
  // Pre-create the bounded label sets so dashboards see zeros rather than gaps.
  for (const t of METRIC_LABEL_VALUES.transition) m.transitions.inc({ transition: t }, 0);
  for (const g of METRIC_LABEL_VALUES.guard) m.guardFailures.inc({ guard: g }, 0);
  return m;
}
