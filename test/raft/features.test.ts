// Raft beyond the paper's §5 core: pre-vote, check-quorum, ReadIndex, leadership transfer, one-server-at-a-time
// membership, snapshots, flow control and fast log backtracking.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../src/core/prng.ts';
import type { Raft } from '../../src/raft/raft.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import type { Message, NodeId, RaftConfig } from '../../src/raft/types.ts';
import { dec, enc, ents, ids, logTerms, Network, networkOf, newRaft, seedNote, SEED, testConfig, type PeerSpec } from './network.ts';

const ET = 10;
const V3 = ['1', '2', '3'];
const ON: Partial<RaftConfig> = { preVote: true, checkQuorum: true };

const prop = (id: NodeId, data = 'x'): Message => ({ type: 'prop', from: id, to: id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data: enc(data) }] });

function becomeLeader(r: Raft): void {
  r.becomeCandidate();
  r.becomeLeader();
  r.readMessages();
}

function commitNoop(r: Raft): void {
  for (const id of r.voters()) if (id !== r.id) r.step({ type: 'app-resp', from: id, to: r.id, term: r.term, index: r.log.lastIndex() });
  r.readMessages();
}

function states(net: Network): string {
  return net
    .live()
    .map((id) => {
      const r = net.raft(id);
      return `${id}:${r.role}/t${r.term}/lead=${r.lead}/c${r.log.committed}/l${r.log.lastIndex()}`;
    })
    .join(' ');
}

/** Ticks everyone until `done` holds; fails after `max` rounds. Returns the rounds taken. */
function tickUntil(net: Network, done: () => boolean, max: number, what: string): number {
  for (let i = 0; i < max; i++) {
    if (done()) return i;
    net.tickAll();
  }
  assert.ok(done(), `${what} within ${max} ticks: ${states(net)} ${seedNote()}`);
  return max;
}

describe('pre-vote', () => {
  test('a partitioned node does not raise its term, and when it rejoins the stable leader keeps its term', () => {
    const net = Network.ofRafts(V3, { preVote: true, checkQuorum: false });
    net.campaign('1');
    assert.equal(net.leader(), '1');
    assert.equal(net.raft('1').term, 1);
    net.isolate('3');
    net.propose('1', enc('x')); // committed by 1 and 2; 3 falls behind
    net.tick('3', 10 * ET);
    assert.equal(net.raft('3').term, 1, `pre-vote keeps the partitioned node at term 1 ${seedNote()}`);
    assert.notEqual(net.raft('3').role, 'leader');

    net.recover();
    net.tickAll(5 * ET);
    assert.equal(net.leader(), '1', `leader unchanged: ${states(net)} ${seedNote()}`);
    for (const id of V3) assert.equal(net.raft(id).term, 1, `term of ${id}: ${states(net)} ${seedNote()}`);
    assert.equal(net.raft('3').log.committed, net.raft('1').log.committed, '3 catches up');
  });

  test('(contrast) without pre-vote the same rejoin forces a new term on the cluster', () => {
    const net = Network.ofRafts(V3, { preVote: false, checkQuorum: false });
    net.campaign('1');
    net.isolate('3');
    net.propose('1', enc('x'));
    net.tick('3', 10 * ET);
    assert.ok(net.raft('3').term > 1, 'without pre-vote an isolated node keeps raising its term');
    net.recover();
    net.tickAll(5 * ET);
    assert.ok(net.raft('1').term > 1 || net.raft('2').term > 1, `the old term was disrupted: ${states(net)}`);
  });

  test('with pre-vote and check-quorum, even a rejoining node with an up-to-date log cannot depose a leader whose followers are in lease', () => {
    const net = Network.ofRafts(V3, ON);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    net.isolate('3');
    net.tick('3', 10 * ET);
    net.recover();
    net.tickAll(5 * ET);
    assert.equal(net.leader(), '1', states(net));
    for (const id of V3) assert.equal(net.raft(id).term, 1, `term of ${id}: ${states(net)} ${seedNote()}`);
  });

  test('a pre-vote request asks for term + 1 and neither the candidate nor the voter changes term or vote', () => {
    const c = newRaft('1', V3, { hardState: { term: 1, vote: null, commit: 0 } }, { preVote: true, checkQuorum: false });
    c.step({ type: 'hup', from: '1', to: '1', term: 0 });
    assert.equal(c.role, 'precandidate');
    assert.equal(c.term, 1, 'pre-candidate keeps its term');
    const asks = c.readMessages();
    assert.deepEqual(asks.map((m) => [m.type, m.to, m.term, m.index, m.logTerm]).sort(), [
      ['pre-vote', '2', 2, 0, 0],
      ['pre-vote', '3', 2, 0, 0],
    ]);

    const v = newRaft('2', V3, { hardState: { term: 1, vote: '3', commit: 0 } }, { preVote: true, checkQuorum: false });
    v.step(asks.find((m) => m.to === '2')!);
    assert.equal(v.term, 1, "a pre-vote never changes the voter's term");
    assert.equal(v.vote, '3', "nor the voter's vote");
    const resp = v.readMessages();
    assert.deepEqual(resp.map((m) => [m.type, m.to, m.reject === true]), [['pre-vote-resp', '1', false]]);
    assert.equal(resp[0]!.term, 2, 'a granted pre-vote answers at the requested term');

    c.step(resp[0]!);
    assert.equal(c.role, 'candidate', 'a majority of pre-votes starts the real election');
    assert.equal(c.term, 2);
    assert.deepEqual(c.readMessages().map((m) => [m.type, m.term]).sort(), [['vote', 2], ['vote', 2]]);
  });

  test('a pre-vote from a lower term is rejected at our term (so the sender learns it is behind)', () => {
    const r = newRaft('1', V3, { hardState: { term: 5, vote: null, commit: 0 } }, { preVote: true, checkQuorum: false });
    r.step({ type: 'pre-vote', from: '2', to: '1', term: 3, index: 10, logTerm: 2 });
    assert.deepEqual(r.readMessages().map((m) => ({ type: m.type, to: m.to, term: m.term, reject: m.reject })), [{ type: 'pre-vote-resp', to: '2', term: 5, reject: true }]);
    assert.equal(r.term, 5);
  });

  test('a pre-vote for a candidate with a stale log is refused', () => {
    const r = newRaft('1', V3, { entries: ents(1, 1, 1), hardState: { term: 1, vote: null, commit: 0 } }, { preVote: true, checkQuorum: false });
    r.step({ type: 'pre-vote', from: '2', to: '1', term: 2, index: 1, logTerm: 1 });
    assert.deepEqual(r.readMessages().map((m) => [m.type, m.reject === true]), [['pre-vote-resp', true]]);
  });
});

describe('check-quorum', () => {
  test('an isolated leader steps down within two election timeouts', () => {
    const net = Network.ofRafts(V3, ON);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    net.tickAll(ET); // heartbeats flow; a quorum is active
    assert.equal(net.raft('1').role, 'leader', 'a leader with an active quorum stays leader');
    net.isolate('1');
    let ticks = 0;
    while (net.raft('1').role === 'leader') {
      net.tick('1');
      ticks++;
      assert.ok(ticks <= 2 * ET, `still leader after ${ticks} ticks without a quorum ${seedNote()}`);
    }
    assert.equal(net.raft('1').role, 'follower');
    assert.equal(net.raft('1').lead, null);
    // The connected majority elects a new leader.
    tickUntil(net, () => net.leader() !== null && net.leader() !== '1', 10 * ET, 'the majority elects a new leader');
  });

  test('a leader that hears from a quorum stays leader indefinitely', () => {
    const net = Network.ofRafts(V3, ON);
    net.campaign('1');
    net.isolate('3');
    net.tickAll(10 * ET);
    assert.equal(net.leader(), '1');
    assert.equal(net.raft('1').term, 1);
  });

  test('a lower-term append is answered at our term, and the stale leader steps down on that answer', () => {
    const f = newRaft('2', V3, { hardState: { term: 2, vote: null, commit: 0 } }, ON);
    f.step({ type: 'app', from: '1', to: '2', term: 1, index: 0, logTerm: 0, entries: [], commit: 0 });
    const out = f.readMessages();
    assert.deepEqual(out.map((m) => ({ type: m.type, to: m.to, term: m.term })), [{ type: 'app-resp', to: '1', term: 2 }]);

    const stale = newRaft('1', V3, {}, ON);
    becomeLeader(stale);
    stale.step(out[0]!);
    assert.equal(stale.role, 'follower');
    assert.equal(stale.term, 2);
  });

  test('a follower that heard from its leader within the election timeout ignores vote requests (leader lease)', () => {
    const r = newRaft('1', V3, { hardState: { term: 1, vote: null, commit: 0 } }, { preVote: false, checkQuorum: true });
    r.step({ type: 'heartbeat', from: '2', to: '1', term: 1, commit: 0 });
    r.readMessages();
    r.step({ type: 'vote', from: '3', to: '1', term: 2, index: 0, logTerm: 0 });
    assert.equal(r.term, 1, 'the vote request did not move the term');
    assert.equal(r.lead, '2');
    assert.equal(r.vote, null);
    assert.deepEqual(r.readMessages().filter((m) => m.type === 'vote-resp' && m.reject !== true), [], 'no vote granted');

    // Once the lease has run out, the request is honoured.
    r.electionElapsed = ET;
    r.step({ type: 'vote', from: '3', to: '1', term: 2, index: 0, logTerm: 0 });
    assert.equal(r.term, 2);
    assert.equal(r.vote, '3');
  });
});

describe('read index', () => {
  function electedRaw(overrides: Partial<RaftConfig> = ON): Network {
    const net = Network.ofRawNodes(V3, overrides);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    const r = net.raft('1');
    assert.equal(r.log.committed, r.log.lastIndex(), 'the leader committed its empty entry');
    return net;
  }

  test('a read is served only once a quorum has acknowledged the heartbeat that carries it', () => {
    const net = electedRaw();
    const commit = net.raft('1').log.committed;
    net.rawNode('1').readIndex('a');
    const out = net.collect('1');
    assert.deepEqual(net.readStates('1'), [], 'not served before any acknowledgement');
    const hbs = out.filter((m) => m.type === 'heartbeat');
    assert.deepEqual(hbs.map((m) => [m.to, m.context]).sort(), [
      ['2', 'a'],
      ['3', 'a'],
    ]);
    // A heartbeat acknowledgement without the read's context does not count.
    net.send({ type: 'heartbeat-resp', from: '2', to: '1', term: net.raft('1').term });
    assert.deepEqual(net.readStates('1'), [], 'an unrelated heartbeat answer does not serve the read');
    net.send(hbs.find((m) => m.to === '2')!);
    assert.deepEqual(net.readStates('1'), [{ index: commit, requestCtx: 'a' }], 'served after self + 2 acknowledged');
  });

  test('a leader that has not yet committed an entry of its term does not serve reads', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.ignore('app');
    net.campaign('1');
    const r = net.raft('1');
    assert.equal(r.role, 'leader');
    const noop = r.log.lastIndex();
    assert.ok(r.log.committed < noop, 'its empty entry is not committed yet');
    net.rawNode('1').readIndex('b');
    net.flush('1');
    net.tickAll(3);
    assert.deepEqual(net.readStates('1'), [], 'no read served before an entry of the term commits');

    net.recover();
    tickUntil(net, () => r.log.committed >= noop, 3 * ET, 'the empty entry commits');
    for (const rs of net.readStates('1')) assert.ok(rs.index >= noop, `a deferred read is served at or after the new term's entry (${rs.index})`);
    net.rawNode('1').readIndex('c');
    net.flush('1');
    assert.deepEqual(net.readStates('1').filter((x) => x.requestCtx === 'c'), [{ index: r.log.committed, requestCtx: 'c' }]);
  });

  test('a read requested on a follower is forwarded to the leader and answered with the leader\'s commit index', () => {
    const net = electedRaw();
    net.propose('1', enc('w'));
    const commit = net.raft('1').log.committed;
    net.rawNode('2').readIndex('f');
    net.flush('2');
    assert.deepEqual(net.readStates('2'), [{ index: commit, requestCtx: 'f' }]);
  });

  test('a single-node leader serves reads at once', () => {
    const net = Network.ofRawNodes(['1'], ON);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    net.rawNode('1').readIndex('s');
    net.flush('1');
    assert.deepEqual(net.readStates('1'), [{ index: net.raft('1').log.committed, requestCtx: 's' }]);
  });
});

describe('leader transfer', () => {
  test('to an up-to-date follower: it campaigns at once, skipping pre-vote, and leads at term + 1', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    net.trace = [];
    net.rawNode('1').transferLeader('2');
    net.flush('1');
    assert.ok(net.trace.some((m) => m.type === 'timeout-now' && m.from === '1' && m.to === '2'), 'leader sent timeout-now');
    assert.ok(!net.trace.some((m) => m.type === 'pre-vote' && m.from === '2'), 'no pre-vote round');
    assert.equal(net.leader(), '2', states(net));
    assert.equal(net.raft('2').term, 2);
    assert.equal(net.raft('1').role, 'follower');
    assert.equal(net.raft('1').lead, '2');
    assert.ok(net.propose('2', enc('after')), 'the new leader takes proposals');
  });

  test('to a lagging follower: the leader first catches it up, drops proposals meanwhile, then hands over', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    net.isolate('3');
    assert.ok(net.propose('1', enc('x')), 'net.propose(\'1\', enc(\'x\'))');
    const x = net.raft('1').log.lastIndex();
    assert.ok(net.raft('3').log.lastIndex() < x, '3 is behind');
    net.rawNode('1').transferLeader('3');
    net.flush('1');
    assert.equal(net.raft('1').leadTransferee, '3');
    assert.equal(net.raft('1').role, 'leader');
    assert.equal(net.rawNode('1').propose(enc('during')), false, 'proposals are dropped while a transfer is pending');

    net.recover();
    tickUntil(net, () => net.leader() === '3', ET - 1, 'the lagging transferee becomes leader');
    assert.equal(net.raft('3').term, 2);
    assert.equal(dec(net.raft('3').log.slice(x, x + 1)[0]!.data), 'x');
  });

  test('a transfer that cannot finish within an election timeout is abandoned and proposals flow again', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    net.isolate('3');
    net.rawNode('1').transferLeader('3');
    net.flush('1');
    assert.equal(net.raft('1').leadTransferee, '3');
    net.tick('1', ET);
    assert.equal(net.raft('1').leadTransferee, null);
    assert.equal(net.raft('1').role, 'leader');
    assert.ok(net.propose('1', enc('y')), 'net.propose(\'1\', enc(\'y\'))');
  });
});

describe('membership, one server at a time', () => {
  test('add a learner, promote it to voter, remove a voter; each step changes who counts toward commit', () => {
    // '4' starts knowing the configuration {1,2,3}, of which it is not a member.
    const net = Network.ofRawNodes(ids(4), ON, V3);
    net.campaign('1');
    assert.equal(net.leader(), '1');
    const lead = net.raft('1');

    // Add 4 as a learner: it receives the whole log.
    assert.ok(net.proposeConfChange('1', { type: 'add-learner', node: '4' }), 'net.proposeConfChange(\'1\', { type: \'add-learner\', node: \'4\' })');
    assert.deepEqual(lead.learners(), ['4']);
    assert.deepEqual([...lead.voters()].sort(), V3);
    assert.equal(net.raft('4').log.lastIndex(), lead.log.lastIndex(), 'the learner has the log');
    assert.equal(net.raft('4').log.committed, lead.log.committed);
    assert.deepEqual(net.raft('4').learners(), ['4'], 'the learner applied its own addition');

    // A learner does not count toward commit.
    const before = lead.log.committed;
    net.isolate('2');
    net.isolate('3');
    assert.ok(net.propose('1', enc('y')), 'net.propose(\'1\', enc(\'y\'))');
    assert.equal(net.raft('4').log.lastIndex(), lead.log.lastIndex(), 'the learner got y');
    assert.equal(lead.log.committed, before, 'leader + learner are not a majority of {1,2,3}');
    net.recover();
    net.tickAll(2);
    assert.equal(lead.log.committed, lead.log.lastIndex(), 'y commits once voters answer');

    // A learner never campaigns, and its vote is not asked for.
    net.trace = [];
    net.rawNode('4').campaign();
    net.flush('4');
    assert.ok(!net.trace.some((m) => m.from === '4' && (m.type === 'vote' || m.type === 'pre-vote')), 'a learner does not campaign');
    assert.notEqual(net.raft('4').role, 'leader');

    // Promote 4: now 3 of 4 are needed.
    assert.ok(net.proposeConfChange('1', { type: 'add-voter', node: '4' }), 'net.proposeConfChange(\'1\', { type: \'add-voter\', node: \'4\' })');
    for (const id of ids(4)) {
      assert.deepEqual([...net.raft(id).voters()].sort(), ids(4), `voters on ${id}`);
      assert.deepEqual(net.raft(id).learners(), [], `learners on ${id}`);
    }
    net.isolate('3');
    net.isolate('4');
    const c2 = lead.log.committed;
    assert.ok(net.propose('1', enc('z')), 'net.propose(\'1\', enc(\'z\'))');
    assert.equal(lead.log.committed, c2, '2 of 4 voters are not a majority');
    net.recover();
    net.tickAll(2);
    assert.equal(lead.log.committed, lead.log.lastIndex(), 'z commits with 3 of 4');

    // Remove 3: the majority of {1,2,4} is two.
    assert.ok(net.proposeConfChange('1', { type: 'remove', node: '3' }), 'net.proposeConfChange(\'1\', { type: \'remove\', node: \'3\' })');
    assert.deepEqual([...lead.voters()].sort(), ['1', '2', '4']);
    assert.ok(!lead.progress.has('3'), 'the leader stops tracking the removed server');
    net.isolate('3');
    net.isolate('4');
    assert.ok(net.propose('1', enc('w')), 'net.propose(\'1\', enc(\'w\'))');
    assert.equal(lead.log.committed, lead.log.lastIndex(), '1 and 2 are a majority of {1,2,4} (they would not be of {1,2,3,4})');
  });

  test('a second conf change is refused while the first is not yet applied', () => {
    const net = Network.ofRawNodes(ids(4), ON, V3);
    net.campaign('1');
    net.isolate('2');
    net.isolate('3');
    assert.ok(net.proposeConfChange('1', { type: 'add-learner', node: '4' }), 'the first is accepted');
    assert.equal(net.proposeConfChange('1', { type: 'add-voter', node: '4' }), false, 'the second is dropped');
    net.recover();
    net.tickAll(2);
    assert.deepEqual(net.raft('1').learners(), ['4']);
    assert.ok(net.proposeConfChange('1', { type: 'add-voter', node: '4' }), 'accepted once the first is applied');
  });
});

describe('snapshots', () => {
  test('a follower behind the leader\'s compacted log receives a snapshot and catches up', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    net.isolate('3');
    for (let i = 0; i < 20; i++) assert.ok(net.propose('1', enc(`e${i}`)), 'net.propose(\'1\', enc(`e${i}`))');
    const rn = net.rawNode('1');
    const applied = rn.status().applied;
    assert.equal(applied, net.raft('1').log.committed);
    const s1 = net.storage('1');
    s1.createSnapshot(applied, { voters: V3, learners: [] }, enc(`state@${applied}`));
    s1.compact(applied);
    assert.equal(s1.firstIndex(), applied + 1);
    assert.ok(net.propose('1', enc('after-compaction')), 'net.propose(\'1\', enc(\'after-compaction\'))');

    net.recover();
    net.trace = [];
    tickUntil(net, () => net.raft('3').log.committed === net.raft('1').log.committed, 5 * ET, '3 catches up');
    const snaps = net.trace.filter((m) => m.type === 'snap');
    assert.equal(snaps.length, 1, 'exactly one snapshot was sent');
    assert.equal(snaps[0]!.to, '3');
    assert.equal(snaps[0]!.snapshot?.meta.index, applied);
    assert.equal(dec(snaps[0]!.snapshot!.data), `state@${applied}`);
    assert.equal(net.storage('3').snapshot().meta.index, applied, '3 installed the snapshot');
    assert.deepEqual(logTerms(net.raft('3')), logTerms(net.raft('1')), 'and has the same log after it');
    assert.equal(dec(net.raft('3').log.slice(net.raft('3').log.lastIndex(), net.raft('3').log.lastIndex() + 1)[0]!.data), 'after-compaction');
    assert.equal(net.raft('1').progress.get('3')!.state, 'replicate', 'the leader replicates to 3 normally again');
    assert.ok(net.applied('3').every((e) => e.index <= 1 || e.index > applied), '3 applies only entries after the snapshot');
  });

  test('after every server compacts, a newly elected leader sends no snapshot to followers that have the log', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    for (let i = 0; i < 10; i++) net.propose('1', enc(`e${i}`));
    net.tickAll(2);
    for (const id of V3) {
      const applied = net.rawNode(id).status().applied;
      net.storage(id).createSnapshot(applied, { voters: V3, learners: [] }, enc(`state@${applied}`));
      net.storage(id).compact(applied);
    }
    net.trace = [];
    net.rawNode('1').transferLeader('2');
    net.flush('1');
    assert.equal(net.leader(), '2');
    net.tickAll(3 * ET);
    assert.ok(net.propose('2', enc('after')), 'net.propose(\'2\', enc(\'after\'))');
    assert.deepEqual(net.trace.filter((m) => m.type === 'snap').map((m) => `${m.from}->${m.to}`), [], 'no snapshots between up-to-date servers');
    for (const id of V3) assert.equal(net.raft(id).log.committed, net.raft('2').log.committed);
  });
});

describe('flow control', () => {
  test('in replicate state, at most maxInflight appends are outstanding; each acknowledgement frees room for more', () => {
    const r = newRaft('1', V3, {}, { maxInflight: 3 });
    becomeLeader(r);
    commitNoop(r);
    const apps: Message[] = [];
    for (let i = 0; i < 10; i++) {
      r.step(prop('1', `d${i}`));
      apps.push(...r.readMessages().filter((m) => m.type === 'app' && m.to === '2' && (m.entries?.length ?? 0) > 0));
    }
    assert.equal(apps.length, 3, 'three appends, then the window is full');
    r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: (apps[0]!.index ?? 0) + apps[0]!.entries!.length });
    const more = r.readMessages().filter((m) => m.type === 'app' && m.to === '2' && (m.entries?.length ?? 0) > 0);
    assert.equal(more.length, 1, 'one acknowledgement frees one slot');
    assert.equal(more[0]!.index, (apps[2]!.index ?? 0) + apps[2]!.entries!.length, 'continuing after the last append in flight');
  });

  test('in probe state, one append at a time until the follower answers', () => {
    const r = newRaft('1', V3, {}, { maxInflight: 3 });
    r.becomeCandidate();
    r.becomeLeader();
    let toTwo = r.readMessages().filter((m) => m.type === 'app' && m.to === '2').length;
    for (let i = 0; i < 5; i++) {
      r.step(prop('1', `d${i}`));
      toTwo += r.readMessages().filter((m) => m.type === 'app' && m.to === '2').length;
    }
    assert.equal(toTwo, 1, 'a single probe while 2 has not answered');
  });

  test(`a slow follower never has more than maxInflight appends outstanding (random acks and proposals) ${seedNote()}`, () => {
    const max = 4;
    const r = newRaft('1', V3, {}, { maxInflight: max });
    becomeLeader(r);
    commitNoop(r);
    const prng = new Prng(SEED ^ 0xf10);
    const outstanding: Message[] = [];
    let peak = 0;
    for (let step = 0; step < 500; step++) {
      if (prng.chance(600)) r.step(prop('1', `p${step}`));
      else if (outstanding.length > 0) {
        const m = outstanding.shift()!;
        r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: (m.index ?? 0) + (m.entries?.length ?? 0) });
      }
      for (const m of r.readMessages()) {
        if (m.type === 'app' && m.to === '2' && (m.entries?.length ?? 0) > 0) outstanding.push(m);
        if (m.type === 'app' && m.to === '3') r.step({ type: 'app-resp', from: '3', to: '1', term: r.term, index: (m.index ?? 0) + (m.entries?.length ?? 0) });
      }
      r.readMessages();
      peak = Math.max(peak, outstanding.length);
      assert.ok(outstanding.length <= max, `${outstanding.length} appends outstanding at step ${step} ${seedNote()}`);
    }
    assert.equal(peak, max, 'the window was actually filled');
  });
});

describe('fast log backtracking', () => {
  const cases: ReadonlyArray<{ name: string; follower: number[] }> = [
    { name: 'same length, every entry after 5 from another term', follower: [...Array<number>(5).fill(1), ...Array<number>(100).fill(2)] },
    { name: 'a much longer divergent log', follower: [...Array<number>(5).fill(1), ...Array<number>(300).fill(2)] },
    { name: 'a much shorter log', follower: Array<number>(5).fill(1) },
    { name: 'several divergent terms', follower: [...Array<number>(5).fill(1), ...Array<number>(40).fill(2), ...Array<number>(40).fill(3), ...Array<number>(40).fill(4)] },
  ];
  for (const tt of cases) {
    test(`a follower with a long conflicting log is repaired in a few round trips, not one per entry (${tt.name})`, () => {
      const leaderTerms = [...Array<number>(5).fill(1), ...Array<number>(100).fill(5)];
      const lead = newRaft('1', V3, { entries: ents(1, ...leaderTerms), hardState: { term: 5, vote: null, commit: 5 } });
      const follower = newRaft('2', V3, { entries: ents(1, ...tt.follower), hardState: { term: 5, vote: null, commit: 5 } });
      const net = networkOf([['1', lead], ['2', follower], ['3', null]] satisfies ReadonlyArray<readonly [NodeId, PeerSpec]>);
      lead.becomeCandidate();
      lead.becomeLeader();
      net.flush('1');
      // §5.3: a new leader's nextIndex for each follower is just after its old last entry (white-box, so this test
      // measures backtracking even if the implementation starts elsewhere).
      const pr = lead.progress.get('2')!;
      pr.next = leaderTerms.length + 1;
      pr.probeSent = false;
      net.send(prop('1', 'new'));
      net.send({ type: 'beat', from: '1', to: '1', term: 0 });
      assert.deepEqual(logTerms(follower), logTerms(lead), 'the follower ends with the leader\'s log');
      const rejections = net.trace.filter((m) => m.type === 'app-resp' && m.from === '2' && m.reject === true).length;
      const appends = net.trace.filter((m) => m.type === 'app' && m.to === '2').length;
      assert.ok(rejections <= 4, `${rejections} rejections to repair ${tt.follower.length} entries`);
      assert.ok(appends <= 12, `${appends} appends to repair ${tt.follower.length} entries`);
      assert.equal(follower.log.committed, lead.log.committed);
    });
  }
});

describe('proposals and heartbeats', () => {
  test('a follower forwards a proposal to its leader; with no leader known the proposal is dropped', () => {
    const net = Network.ofRawNodes(V3, ON);
    assert.equal(net.rawNode('2').propose(enc('nobody')), false, 'no leader yet: dropped');
    net.collect('2');
    net.campaign('1');
    const before = net.raft('1').log.lastIndex();
    assert.ok(net.rawNode('2').propose(enc('via-2')), 'net.rawNode(\'2\').propose(enc(\'via-2\'))');
    net.flush('2');
    const r = net.raft('1');
    assert.equal(r.log.lastIndex(), before + 1);
    const e = r.log.slice(before + 1, before + 2)[0]!;
    assert.deepEqual([e.term, dec(e.data)], [1, 'via-2'], 'the leader stamped its term on the forwarded entry');
    assert.equal(r.log.committed, before + 1);
    assert.ok(net.applied('3').some((x) => dec(x.data) === 'via-2'), 'and it was applied everywhere');
  });

  test('a candidate drops proposals', () => {
    const r = newRaft('1', V3, {}, { preVote: false });
    r.step({ type: 'hup', from: '1', to: '1', term: 0 });
    r.readMessages();
    r.step(prop('1'));
    assert.equal(r.log.lastIndex(), 0);
    assert.deepEqual(r.readMessages(), []);
  });

  test('a heartbeat never tells a follower to commit past what it has matched', () => {
    const r = newRaft('1', V3);
    becomeLeader(r);
    r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: r.log.lastIndex() });
    r.readMessages();
    for (let i = 0; i < 3; i++) r.step(prop('1', `d${i}`));
    for (const m of r.readMessages()) if (m.type === 'app' && m.to === '2') r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: (m.index ?? 0) + (m.entries?.length ?? 0) });
    r.readMessages();
    assert.equal(r.log.committed, 4);
    assert.equal(r.progress.get('3')!.match, 0);
    r.step({ type: 'beat', from: '1', to: '1', term: 0 });
    const hb = new Map(r.readMessages().filter((m) => m.type === 'heartbeat').map((m) => [m.to, m.commit]));
    assert.equal(hb.get('2'), 4);
    assert.equal(hb.get('3'), 0, '3 has matched nothing, so it is told commit 0');
  });

  test('granting a vote records it and restarts the election timer', () => {
    const r = newRaft('1', V3);
    for (let i = 0; i < ET - 1; i++) r.tick();
    assert.equal(r.electionElapsed, ET - 1);
    r.step({ type: 'vote', from: '2', to: '1', term: 1, index: 0, logTerm: 0 });
    assert.equal(r.vote, '2');
    assert.equal(r.electionElapsed, 0);
  });
});

describe('restart', () => {
  test('a node restarted from its storage keeps its term, vote and log, and re-applies only what it had not applied', () => {
    const net = Network.ofRawNodes(V3, ON);
    net.campaign('1');
    for (let i = 0; i < 5; i++) net.propose('1', enc(`e${i}`));
    net.tickAll(2);
    const before = net.raft('2');
    const storage = net.storage('2');
    const applied = 3;
    const again = new Network(new Map<NodeId, PeerSpec>([['2', { node: new RawNode(testConfig('2', { ...ON, applied }), storage), storage }]]));
    const r = again.raft('2');
    assert.equal(r.term, before.term);
    assert.equal(r.vote, before.vote);
    assert.equal(r.log.committed, before.log.committed);
    assert.deepEqual(logTerms(r), logTerms(before));
    again.collect('2');
    assert.deepEqual(
      again.applied('2').map((e) => e.index),
      Array.from({ length: before.log.committed - applied }, (_, i) => applied + 1 + i),
      'committed entries after `applied` are handed out again, and only those',
    );
  });
});
