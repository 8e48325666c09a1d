// Consensus metrics, named the way etcd operators read them (docs/raft.md), on the replica's registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RaftMetrics {
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly leaderChanges: Counter;
  readonly committed: Counter;
  readonly applied: Counter;
  readonly failed: Counter;
  readonly pending: Gauge;
  readonly term: Gauge;
  readonly peerRtt: Histogram<'peer'>;
  readonly peerSendFailures: Counter<'peer'>;
  readonly snapshotsSent: Counter;
  readonly snapshotsInstalled: Counter;
  readonly diverged: Gauge;
}

export function createRaftMetrics(registry: Registry, version: string): RaftMetrics {
  const r = [registry];
  const build = new Gauge({ name: 'swoosh_build_info', help: 'Always 1; the labels say which build runs.', labelNames: ['version', 'node_version'], registers: r });
  build.set({ version, node_version: process.version }, 1);
  return {
    hasLeader: new Gauge({ name: 'swoosh_server_has_leader', help: '1 if this replica knows a leader, else 0.', registers: r }),
    isLeader: new Gauge({ name: 'swoosh_server_is_leader', help: '1 if this replica is the leader, else 0.', registers: r }),
    leaderChanges: new Counter({ name: 'swoosh_server_leader_changes_seen_total', help: 'Leader changes this replica has seen.', registers: r }),
    committed: new Counter({ name: 'swoosh_server_proposals_committed_total', help: 'Log entries this replica learned are committed.', registers: r }),
    applied: new Counter({ name: 'swoosh_server_proposals_applied_total', help: 'Committed log entries applied to the state machine.', registers: r }),
    failed: new Counter({ name: 'swoosh_server_proposals_failed_total', help: 'Proposals admitted by this leader that did not commit in their term (lost leadership, overwritten, timed out).', registers: r }),
    pending: new Gauge({ name: 'swoosh_server_proposals_pending', help: 'Proposals admitted by this leader and not yet applied.', registers: r }),
    term: new Gauge({ name: 'swoosh_raft_term', help: "This replica's current Raft term.", registers: r }),
    peerRtt: new Histogram({
      name: 'swoosh_network_peer_round_trip_time_seconds',
      help: 'Heartbeat round trip from the leader to each peer.',
      labelNames: ['peer'],
      buckets: [0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048, 0.4096, 0.8192],
      registers: r,
    }),
    peerSendFailures: new Counter({ name: 'swoosh_network_peer_sent_failures_total', help: 'Frames to a peer that could not be sent (dial, handshake or link failures).', labelNames: ['peer'], registers: r }),
    snapshotsSent: new Counter({ name: 'swoosh_snapshot_sent_total', help: 'Snapshots this leader sent to lagging followers.', registers: r }),
    snapshotsInstalled: new Counter({ name: 'swoosh_snapshot_installed_total', help: "Leader snapshots this replica verified and installed.", registers: r }),
    diverged: new Gauge({ name: 'swoosh_divergence_detected', help: "1 once a peer reported a different state hash at an index this replica applied (writes stop).", registers: r }),
  };
}
