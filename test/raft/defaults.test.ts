// Safe defaults, each asserted with a config that sets nothing: pre-vote, check-quorum, ReadIndex, sync before sending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Raft } from '../../src/raft/raft.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import { MemoryStorage } from '../../src/raft/storage.ts';
import type { RaftConfig } from '../../src/raft/types.ts';

const bare = (id: string): RaftConfig => ({ id, electionTick: 10, heartbeatTick: 1, random: () => 0 });

function leaderOfThree(): Raft {
  const r = new Raft(bare('1'), MemoryStorage.withVoters(['1', '2', '3']));
  r.becomeCandidate();
  r.becomeLeader();
  r.readMessages();
  return r;
}

test('pre-vote is on by default: a campaign starts with pre-vote requests and keeps the term', () => {
  const r = new Raft(bare('1'), MemoryStorage.withVoters(['1', '2', '3']));
  r.step({ type: 'hup', from: '1', to: '1', term: 0 });
  const msgs = r.readMessages();
  assert.ok(msgs.length > 0 && msgs.every((m) => m.type === 'pre-vote'), 'msgs.length > 0 && msgs.every((m) => m.type === \'pre-vote\')');
  assert.equal(r.term, 0);
});

test('check-quorum is on by default: a leader that hears from nobody steps down after an election timeout', () => {
  const r = leaderOfThree();
  for (let i = 0; i < 10; i++) r.tick();
  assert.equal(r.role, 'follower');
});

test('reads are ReadIndex by default: no read state until a quorum acknowledges the heartbeat', () => {
  const r = leaderOfThree();
  // Commit the leader's own entry first (two acks make a majority of three with itself).
  r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: r.log.lastIndex() });
  r.readMessages();
  r.step({ type: 'read-index', from: '1', to: '1', term: 0, context: 'q' });
  assert.equal(r.readStates.length, 0);
  const hb = r.readMessages().filter((m) => m.type === 'heartbeat' && m.context === 'q');
  assert.equal(hb.length, 2);
  r.step({ type: 'heartbeat-resp', from: '2', to: '1', term: r.term, context: 'q' });
  assert.deepEqual(r.readStates, [{ index: r.log.committed, requestCtx: 'q' }]);
});

test('lease reads are opt-in only, and refused without check-quorum', () => {
  assert.throws(() => new Raft({ ...bare('1'), readOnly: 'lease', checkQuorum: false }, MemoryStorage.withVoters(['1'])), /lease-based reads need checkQuorum/);
  assert.doesNotThrow(() => new Raft({ ...bare('1'), readOnly: 'lease' }, MemoryStorage.withVoters(['1'])));
});

test('a Ready that carries new entries or a new term/vote must be synced before its messages are sent', () => {
  const n = new RawNode(bare('1'), MemoryStorage.withVoters(['1', '2', '3']));
  n.campaign();
  const rd = n.ready();
  assert.ok(rd.messages.length > 0, 'rd.messages.length > 0');
  assert.equal(rd.mustSync, false, 'a pre-vote changes neither term nor vote');
  n.advance();
  n.step({ type: 'pre-vote-resp', from: '2', to: '1', term: 1 });
  const vote = n.ready();
  assert.equal(vote.hardState?.term, 1);
  assert.equal(vote.mustSync, true, 'a vote for itself in a new term must be durable before vote requests leave');
});
