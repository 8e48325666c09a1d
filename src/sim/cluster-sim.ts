// The deterministic cluster simulator: one seed draws the cluster, the faults, the workload and every timing.
import { digestJson } from '../core/digest.ts';
import { formatHlc } from '../core/hlc.ts';
import { Prng } from '../core/prng.ts';
import type { Proposal } from '../core/proposal.ts';
import { stateHash } from '../core/state-hash.ts';
import type { NodeId } from '../raft/types.ts';
import { makeCast, workloadGenesis } from '../workload/cast.ts';
import { SimNetwork } from './sim-network.ts';
import { SimReplica, type ApplyEvent } from './sim-replica.ts';

/** What one seed draws (swarm testing: calm and hostile runs both come up). */
export interface SwarmParams {
  readonly size: 3 | 5;
  readonly dropPermille: number;
  readonly duplicatePermille: number;
  readonly maxDelay: number;
  readonly syncDelayMax: number;
  readonly crashPermille: number;
  readonly partitionPermille: number;
  readonly proposePermille: number;
  readonly skewMs: number;
  /** Snapshot and compact every N applied entries (0: never), so lagging followers need InstallSnapshot. */
  readonly snapshotEvery: number;
}

export function drawSwarm(rng: Prng): SwarmParams {
  const calm = rng.chance(250);
  return {
    size: rng.chance(500) ? 3 : 5,
    dropPermille: calm ? 0 : rng.int(0, 150),
    duplicatePermille: calm ? 0 : rng.int(0, 80),
    maxDelay: rng.int(1, calm ? 2 : 6),
    syncDelayMax: rng.int(0, 3),
    crashPermille: calm ? 0 : rng.int(0, 12),
    partitionPermille: calm ? 0 : rng.int(0, 15),
    proposePermille: rng.int(150, 700),
    skewMs: rng.int(0, 2000),
    snapshotEvery: rng.chance(500) ? rng.int(10, 60) : 0,
  };
}

interface ClientOp {
  readonly idemKey: string;
  readonly replica: NodeId;
  readonly invoked: number;
  acked: number | null;
  index: number | null;
  status: string | null;
  preHash: string;
}

export interface SimReport {
  readonly seed: number;
  readonly params: SwarmParams;
  readonly rounds: number;
  readonly violations: string[];
  readonly ops: { invoked: number; acked: number; accepted: number };
  readonly leaders: number;
  readonly commitIndex: number;
  readonly converged: boolean;
  readonly snapshotsInstalled: number;
}

const ELECTION_TICK = 10;
const LIVENESS_ROUNDS = 1500;

export function runSimulation(seed: number, steps: number): SimReport {
  const rng = new Prng(seed);
  const params = drawSwarm(rng);
  const ids = Array.from({ length: params.size }, (_, i) => `r${i + 1}`);
  const cast = makeCast(seed);
  const genesis = workloadGenesis(seed, cast);
  const net = new SimNetwork(rng, { dropPermille: params.dropPermille, duplicatePermille: params.duplicatePermille, maxDelay: params.maxDelay });
  const replicas = new Map(ids.map((id) => [id, new SimReplica(id, ids, genesis, rng, rng.int(-params.skewMs, params.skewMs), ELECTION_TICK, params.snapshotEvery)]));
  for (const r of replicas.values()) r.start();

  const violations: string[] = [];
  const leaderOfTerm = new Map<number, NodeId>();
  const committedTerm = new Map<number, number>();
  const appliedHash = new Map<number, string>();
  const ops = new Map<string, ClientOp>();
  const checkedUpTo = new Map<NodeId, number>();
  let opSeq = 0;
  let round = 0;
  let wasLeader = new Set<NodeId>();

  const onApply = (e: ApplyEvent) => {
    const op = ops.get(e.idemKey);
    // A client hears its answer from the replica it asked, once that replica applied the entry.
    if (op !== undefined && op.replica === e.replica && op.acked === null) {
      op.acked = round;
      op.index = e.index;
      op.status = e.outcome.status;
    }
  };

  const checkRound = (): void => {
    const leadersNow = new Set<NodeId>();
    for (const r of replicas.values()) {
      for (const p of r.problems.splice(0)) violations.push(p);
      const raft = r.node?.raft;
      if (raft === undefined) continue;
      if (raft.role === 'leader') {
        leadersNow.add(r.id);
        const prior = leaderOfTerm.get(raft.term);
        if (prior !== undefined && prior !== r.id) violations.push(`election safety: ${prior} and ${r.id} both led term ${raft.term}`);
        leaderOfTerm.set(raft.term, r.id);
        if (!wasLeader.has(r.id)) {
          // Leader completeness: a new leader holds every entry committed so far.
          for (const [index, term] of committedTerm) {
            // Entries compacted into the leader's snapshot are covered by it.
            if (index < raft.log.firstIndex() - 1) continue;
            if (raft.log.term(index) !== term) violations.push(`leader completeness: ${r.id} leads term ${raft.term} without committed entry ${index} (term ${term})`);
          }
        }
      }
      // Only records not yet checked (re-applies after a restart are compared by the replica itself); a replica
      // that installed a snapshot has no records for the indexes the snapshot covers.
      const upTo = raft.log.applied;
      for (let index = (checkedUpTo.get(r.id) ?? 0) + 1; index <= upTo; index++) {
        checkedUpTo.set(r.id, index);
        const rec = r.applied.get(index);
        if (rec === undefined) continue;
        const t = committedTerm.get(index);
        if (t !== undefined && t !== rec.term) violations.push(`state machine safety: index ${index} applied with terms ${t} and ${rec.term}`);
        committedTerm.set(index, rec.term);
        const h = appliedHash.get(index);
        if (h !== undefined && h !== rec.postHash) violations.push(`state machine safety: index ${index} post hash ${h} vs ${rec.postHash} on ${r.id}`);
        appliedHash.set(index, rec.postHash);
      }
    }
    wasLeader = leadersNow;
  };

  const checkLogMatching = (): void => {
    const live = [...replicas.values()].filter((r) => r.node !== null);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const la = live[a]!.node!.raft.log;
        const lb = live[b]!.node!.raft.log;
        const n = Math.min(la.lastIndex(), lb.lastIndex());
        let agree = 0;
        for (let i = n; i >= 1; i--) {
          if (la.term(i) !== null && la.term(i) === lb.term(i)) {
            agree = i;
            break;
          }
        }
        // Below either log's snapshot the entries are compacted away; compare what both still hold.
        for (let i = Math.max(la.firstIndex(), lb.firstIndex()); i <= agree; i++) {
          if (la.term(i) !== lb.term(i)) {
            violations.push(`log matching: ${live[a]!.id} and ${live[b]!.id} agree at ${agree} but differ at ${i}`);
            break;
          }
        }
      }
    }
  };

  const propose = (idemKey = `sim:${seed}:${++opSeq}`): void => {
    const leaders = [...replicas.values()].filter((r) => r.node?.raft.role === 'leader');
    if (leaders.length === 0) return;
    const leader = rng.pick(leaders);
    const inputs = { verdict: 'valid', verdict_hash: digestJson(idemKey), valid_until: formatHlc({ ms: leader.physicalMs(round) + 86_400_000, logical: 0 }), grace_ms: 60_000 };
    // The client read HEAD from the leader's applied state; a concurrent entry makes it stale, which is fine.
    const proposal: Proposal = cast.license.key.signProposal({
      current_state_hash: stateHash(leader.state),
      transition: 'License_RecordVerdict',
      inputs_hash: digestJson(inputs),
      signer: cast.license.key.signer,
      idem_key: idemKey,
      hlc: formatHlc(leader.clock),
      window_id: null,
      evidence: ['ucxl://sim:license_adapter@sim:license/*^/verdict'],
      inputs,
    });
    if (leader.propose(round, proposal)) ops.set(idemKey, { idemKey, replica: leader.id, invoked: round, acked: null, index: null, status: null, preHash: proposal.current_state_hash });
  };

  const faults = (): void => {
    if (rng.chance(params.crashPermille)) {
      const r = rng.pick([...replicas.values()]);
      if (r.alive) {
        r.crash();
        for (const m of net.dropFor(r.id)) if (m.type === 'snap') replicas.get(m.from)?.node?.reportSnapshot(m.to, false);
      } else r.start();
    }
    if (rng.chance(params.partitionPermille)) {
      if (net.partitioned && rng.chance(500)) net.heal();
      else {
        const shuffled = [...ids].sort(() => rng.int(0, 2) - 1);
        const cut = rng.int(1, ids.length - 1);
        if (rng.chance(300)) net.cut(shuffled[0]!, shuffled[1]!); // asymmetric: one direction only
        else net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      }
    }
    // Crashed replicas come back on their own after a while.
    for (const r of replicas.values()) if (!r.alive && rng.chance(20)) r.start();
  };

  const oneRound = (withFaults: boolean): void => {
    round++;
    if (withFaults) faults();
    for (const r of replicas.values()) {
      // Clock skew: replicas tick at slightly different rates.
      if (r.alive && rng.chance(withFaults ? 850 : 1000)) r.node!.tick();
    }
    // Client load runs during the fault phase; the liveness phase only proposes its one final entry.
    if (withFaults && rng.chance(params.proposePermille)) propose();
    const { delivered, lost } = net.due(round);
    for (const m of delivered) {
      replicas.get(m.to)?.node?.step(m);
      // The transport tells the leader whether a snapshot got through (etcd's ReportSnapshot).
      if (m.type === 'snap') replicas.get(m.from)?.node?.reportSnapshot(m.to, replicas.get(m.to)?.alive === true);
    }
    for (const m of lost) if (m.type === 'snap') replicas.get(m.from)?.node?.reportSnapshot(m.to, false);
    for (const r of replicas.values()) r.process(round, net, params.syncDelayMax, onApply);
    checkRound();
    if (round % 25 === 0) checkLogMatching();
  };

  for (let i = 0; i < steps && violations.length === 0; i++) oneRound(true);

  // Liveness: heal everything, restart everyone, then the cluster must converge and commit something new.
  net.heal();
  net.faults = { dropPermille: 0, duplicatePermille: 0, maxDelay: 1 };
  for (const r of replicas.values()) if (!r.alive) r.start();
  // Like a real client, retry the final proposal if the leader that took it lost office before committing it.
  let attempt = 0;
  let finalKey = `sim:${seed}:final:0`;
  let proposedAt = -1;
  let converged = false;
  for (let i = 0; i < LIVENESS_ROUNDS && violations.length === 0; i++) {
    oneRound(false);
    const op = ops.get(finalKey);
    if (op === undefined || (op.acked === null && round - proposedAt > 100)) {
      if (op !== undefined) finalKey = `sim:${seed}:final:${++attempt}`;
      propose(finalKey);
      if (ops.has(finalKey)) proposedAt = round;
    }
    const applied = [...replicas.values()].map((r) => r.node?.raft.log.applied ?? -1);
    if (ops.get(finalKey)?.acked != null && applied.every((a) => a === applied[0])) {
      converged = true;
      break;
    }
  }
  checkLogMatching();
  if (!converged) violations.push(`liveness: after healing, the cluster did not converge and commit a new entry within ${LIVENESS_ROUNDS} rounds`);

  // No acknowledged, accepted proposal is lost, and every replica agrees on where it is.
  const acked = [...ops.values()].filter((o) => o.acked !== null);
  for (const op of acked) {
    for (const r of replicas.values()) {
      // Look in the state itself: a replica that installed a snapshot has no per-index record for older entries.
      const row = op.status === 'rejected' ? null : r.state.dedupe.lookup(op.idemKey, 0, r.state.meta.dedupe_retention_ms);
      const rec = r.applied.get(op.index!);
      const present = op.status === 'rejected' ? rec === undefined || rec.idemKey === op.idemKey : row?.index === op.index;
      if (!present) violations.push(`acknowledged ${op.idemKey} at index ${op.index} is not there on ${r.id}`);
    }
  }
  // Linearizability of the acknowledged history: each accepted op is a CAS on the state hash, in index order,
  // and an op acknowledged before another was invoked precedes it in the log.
  const accepted = acked.filter((o) => o.status === 'accepted').sort((a, b) => a.index! - b.index!);
  for (const op of accepted) {
    const prev = appliedHash.get(op.index! - 1) ?? null;
    if (prev !== null && prev !== op.preHash) violations.push(`linearizability: ${op.idemKey} at ${op.index} was a CAS from ${op.preHash}, but the state before it was ${prev}`);
  }
  const byAck = [...acked].sort((a, b) => a.acked! - b.acked!);
  for (const b of acked) {
    for (const a of byAck) {
      if (a.acked! >= b.invoked) break;
      if (a.index! >= b.index!) violations.push(`linearizability: ${a.idemKey} was acknowledged (round ${a.acked}) before ${b.idemKey} was invoked (round ${b.invoked}) but is ordered after it`);
    }
  }

  return {
    seed,
    params,
    rounds: round,
    violations: [...new Set(violations)].slice(0, 20),
    ops: { invoked: ops.size, acked: acked.length, accepted: accepted.length },
    leaders: leaderOfTerm.size,
    commitIndex: Math.max(0, ...[...replicas.values()].map((r) => r.node?.raft.log.committed ?? 0)),
    converged,
    snapshotsInstalled: [...replicas.values()].reduce((n, r) => n + r.snapshotsInstalled, 0),
  };
}
