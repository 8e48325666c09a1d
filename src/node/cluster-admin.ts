// Operator actions on a cluster replica (docs/admin.md): membership changes one server at a time, and
// leadership transfer. Each runs on the leader; the request was verified (admin signature) by the route.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdminRequest } from '../api/admin-request.ts';
import type { AdminResult } from '../api/replica-service.ts';
import { parseMember } from './cluster-config.ts';
import type { RaftReplica } from './raft-replica.ts';

const refused = (reason: string): AdminResult => ({ kind: 'refused', code: 'membership_change_refused', reasons: [reason] });

export async function executeAdmin(replica: RaftReplica, request: AdminRequest): Promise<AdminResult> {
  const raft = replica.node.raft;
  if (raft.role !== 'leader') return { kind: 'not-leader', leader: replica.leaderAddress() };
  const p = request.params;
  const members = replica.memberList();
  const find = (id: unknown) => members.find((m) => m.id === id);
  switch (request.action) {
    case 'member-add': {
      let member;
      try {
        member = parseMember(p['member'], 'params.member');
      } catch (e) {
        return { kind: 'refused', code: 'malformed_admin_request', reasons: [(e as Error).message] };
      }
      if (find(member.id) !== undefined) return refused(`${member.id} is already a member`);
      return change(replica, { type: p['learner'] === true ? 'add-learner' : 'add-voter', node: member.id, context: member });
    }
    case 'member-promote': {
      const m = find(p['id']);
      if (m === undefined) return refused(`${String(p['id'])} is not a member`);
      if (!m.learner) return refused(`${m.id} is already a voter`);
      return change(replica, { type: 'add-voter', node: m.id });
    }
    case 'member-remove': {
      const m = find(p['id']);
      if (m === undefined) return refused(`${String(p['id'])} is not a member`);
      if (m.voter && raft.voters().length === 1) return refused(`${m.id} is the last voter`);
      return change(replica, { type: 'remove', node: m.id });
    }
    case 'leader-transfer': {
      const m = find(p['to']);
      if (m === undefined || !m.voter) return refused(`${String(p['to'])} is not a voter`);
      if (m.id === replica.nodeId) return { kind: 'done', body: { leader_id: m.id, transferred: false, detail: 'already the leader' } };
      if (!replica.transferLeadership(m.id)) return refused(`Raft refused the transfer to ${m.id} (a transfer may already be running)`);
      // A transfer completes within an election timeout or is abandoned by Raft.
      for (let i = 0; i < 60; i++) {
        await sleep(50);
        if (raft.lead === m.id) return { kind: 'done', body: { leader_id: m.id, transferred: true } };
      }
      return { kind: 'refused', code: 'unavailable', reasons: [`leadership did not move to ${m.id} within 3 s; it may still be catching up`] };
    }
  }
}

async function change(replica: RaftReplica, cc: Parameters<RaftReplica['changeMembership']>[0]): Promise<AdminResult> {
  const r = await replica.changeMembership(cc);
  if (!r.ok) return refused(r.reason);
  return { kind: 'done', body: { index: r.index, change: { type: cc.type, node: cc.node }, members: replica.memberList() } };
}
