// The rules of the Raft paper, §5 (https://raft.github.io/raft.pdf), one test each, in init / step / check style
// (after etcd's raft_paper_test.go). Paper configuration: no pre-vote, no check-quorum, electionTick 10.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../src/core/prng.ts';
import type { Raft } from '../../src/raft/raft.ts';
import type { Entry, Message, NodeId, Role } from '../../src/raft/types.ts';
import { dec, enc, ents, ids, logTerms, Network, networkOf, newRaft, seedNote, SEED, type PeerSpec } from './network.ts';

const ET = 10;
const V3 = ['1', '2', '3'];

const prop = (id: NodeId, data = 'some data'): Message => ({ type: 'prop', from: id, to: id, term: 0, entries: [{ term: 0, index: 0, type: 'normal', data: enc(data) }] });
const hup = (id: NodeId): Message => ({ type: 'hup', from: id, to: id, term: 0 });

function becomeLeader(r: Raft): void {
  r.becomeCandidate();
  r.becomeLeader();
  r.readMessages();
}

/** Every follower acknowledges the leader's log (its empty entry), which commits; the commit is then applied. */
function commitNoop(r: Raft): void {
  assert.equal(r.role, 'leader');
  for (const id of r.voters()) {
    if (id === r.id) continue;
    r.step({ type: 'app-resp', from: id, to: r.id, term: r.term, index: r.log.lastIndex() });
  }
  r.readMessages();
  r.log.appliedTo(r.log.committed);
}

/** The answer of a follower that accepts append `m` in full. */
function acceptAndReply(m: Message): Message {
  assert.equal(m.type, 'app');
  return { type: 'app-resp', from: m.to, to: m.from, term: m.term, index: (m.index ?? 0) + (m.entries?.length ?? 0) };
}

/** Accepts every append the leader sends (and whatever it sends in answer), until it sends none. */
function acceptAllAppends(r: Raft, acceptors: ReadonlySet<NodeId> | null = null): void {
  for (let round = 0; round < 100; round++) {
    const apps = r.readMessages().filter((m) => m.type === 'app' && (acceptors === null || acceptors.has(m.to)) && (m.entries?.length ?? 0) > 0);
    if (apps.length === 0) return;
    for (const m of apps) r.step(acceptAndReply(m));
  }
  assert.fail(`leader kept sending appends ${seedNote()}`);
}

const byTo = (a: Message, b: Message): number => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0);
const entryView = (e: Entry): { term: number; index: number; type: string; data: string } => ({ term: e.term, index: e.index, type: e.type, data: dec(e.data) });
const termsOf = (es: readonly Entry[]): Array<[number, number]> => es.map((e) => [e.index, e.term]);

describe('§5.1 terms', () => {
  const updatingMessages: ReadonlyArray<{ type: Message['type']; lead: NodeId | null }> = [
    { type: 'app', lead: '2' },
    { type: 'heartbeat', lead: '2' },
    { type: 'vote', lead: null },
    { type: 'app-resp', lead: null },
    { type: 'vote-resp', lead: null },
    { type: 'heartbeat-resp', lead: null },
  ];
  for (const start of ['follower', 'candidate', 'leader'] as const) {
    for (const { type, lead } of updatingMessages) {
      test(`§5.1 "if one server's current term is smaller than the other's, then it updates its current term to the larger value; if a candidate or leader discovers that its term is out of date, it immediately reverts to follower state" (${start} gets '${type}')`, () => {
        const r = newRaft('1', V3);
        if (start === 'follower') r.becomeFollower(1, '2');
        else if (start === 'candidate') r.becomeCandidate();
        else becomeLeader(r);
        assert.equal(r.term, 1);

        r.step({ type, from: '2', to: '1', term: 2, index: 0, logTerm: 0, entries: [], commit: 0 });

        assert.equal(r.term, 2, `term after a term-2 '${type}'`);
        assert.equal(r.role, 'follower');
        assert.equal(r.lead, lead, `lead after a term-2 '${type}'`);
      });
    }
  }

  test('§5.1 "if a server receives a request with a stale term number, it rejects the request" (it is ignored: no state change, no answer)', () => {
    const r = newRaft('1', V3, { hardState: { term: 2, vote: null, commit: 0 } });
    r.becomeFollower(2, '3');

    r.step({ type: 'app', from: '2', to: '1', term: 1, index: 0, logTerm: 0, entries: ents(1, 1), commit: 1 });
    r.step({ type: 'heartbeat', from: '2', to: '1', term: 1, commit: 1 });
    r.step({ type: 'vote', from: '2', to: '1', term: 1, index: 5, logTerm: 1 });

    assert.equal(r.term, 2);
    assert.equal(r.lead, '3', 'a stale leader is not adopted');
    assert.equal(r.vote, null, 'no vote for a stale candidate');
    assert.equal(r.log.lastIndex(), 0, 'stale entries are not appended');
    assert.equal(r.log.committed, 0);
    assert.deepEqual(r.readMessages(), [], 'with pre-vote and check-quorum off, stale messages get no answer');
  });

  test('§5.1 a leader ignores a stale-term append and stays leader', () => {
    const r = newRaft('1', V3, { hardState: { term: 1, vote: null, commit: 0 } });
    becomeLeader(r);
    assert.equal(r.term, 2);
    r.step({ type: 'app', from: '2', to: '1', term: 1, index: 0, logTerm: 0, entries: ents(1, 1), commit: 1 });
    assert.equal(r.role, 'leader');
    assert.equal(r.term, 2);
  });
});

describe('§5.2 leader election', () => {
  test('§5.2 "when servers start up, they begin as followers"', () => {
    const r = newRaft('1', V3);
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 0);
    assert.equal(r.vote, null);
    assert.equal(r.lead, null);
  });

  test('§5.2 "leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers"', () => {
    const r = newRaft('1', V3, {}, { heartbeatTick: 3 });
    becomeLeader(r);
    commitNoop(r);
    r.tick();
    r.tick();
    assert.deepEqual(r.readMessages(), [], 'no heartbeat before heartbeatTick ticks');
    r.tick();
    const msgs = r.readMessages().sort(byTo);
    assert.deepEqual(
      msgs.map((m) => ({ type: m.type, from: m.from, to: m.to, term: m.term, entries: m.entries?.length ?? 0 })),
      [
        { type: 'heartbeat', from: '1', to: '2', term: 1, entries: 0 },
        { type: 'heartbeat', from: '1', to: '3', term: 1, entries: 0 },
      ],
    );
  });

  for (const start of ['follower', 'candidate'] as const) {
    test(`§5.2 "if a follower receives no communication over a period of time called the election timeout, it begins an election: it increments its current term, transitions to candidate, votes for itself and issues RequestVote RPCs in parallel to each of the other servers" (${start})`, () => {
      const r = newRaft('1', V3);
      if (start === 'follower') r.becomeFollower(1, '2');
      else r.becomeCandidate();
      r.readMessages();

      for (let i = 1; i < 2 * ET; i++) r.tick();

      assert.equal(r.term, 2);
      assert.equal(r.role, 'candidate');
      assert.equal(r.vote, '1', 'votes for itself');
      const msgs = r.readMessages().sort(byTo);
      assert.deepEqual(
        msgs.map((m) => ({ type: m.type, from: m.from, to: m.to, term: m.term, index: m.index, logTerm: m.logTerm })),
        [
          { type: 'vote', from: '1', to: '2', term: 2, index: 0, logTerm: 0 },
          { type: 'vote', from: '1', to: '3', term: 2, index: 0, logTerm: 0 },
        ],
      );
    });
  }

  const oneRound: ReadonlyArray<{ size: number; votes: ReadonlyArray<[NodeId, boolean]>; role: Role }> = [
    // wins with votes from a majority
    { size: 1, votes: [], role: 'leader' },
    { size: 3, votes: [['2', true], ['3', true]], role: 'leader' },
    { size: 3, votes: [['2', true]], role: 'leader' },
    { size: 5, votes: [['2', true], ['3', true], ['4', true], ['5', true]], role: 'leader' },
    { size: 5, votes: [['2', true], ['3', true], ['4', true]], role: 'leader' },
    { size: 5, votes: [['2', true], ['3', true]], role: 'leader' },
    // a majority of denials: back to follower
    { size: 3, votes: [['2', false], ['3', false]], role: 'follower' },
    { size: 5, votes: [['2', false], ['3', false], ['4', false], ['5', false]], role: 'follower' },
    { size: 5, votes: [['2', true], ['3', false], ['4', false], ['5', false]], role: 'follower' },
    // undecided: stays candidate
    { size: 3, votes: [], role: 'candidate' },
    { size: 5, votes: [['2', true]], role: 'candidate' },
    { size: 5, votes: [['2', false], ['3', false]], role: 'candidate' },
    { size: 5, votes: [], role: 'candidate' },
  ];
  for (const tt of oneRound) {
    test(`§5.2 "a candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term" (size ${tt.size}, votes ${JSON.stringify(tt.votes)} -> ${tt.role})`, () => {
      const r = newRaft('1', ids(tt.size));
      r.step(hup('1'));
      for (const [from, granted] of tt.votes) r.step({ type: 'vote-resp', from, to: '1', term: r.term, reject: !granted });
      assert.equal(r.role, tt.role);
      assert.equal(r.term, 1);
    });
  }

  const voteCases: ReadonlyArray<{ vote: NodeId | null; candidate: NodeId; reject: boolean }> = [
    { vote: null, candidate: '2', reject: false },
    { vote: null, candidate: '3', reject: false },
    { vote: '2', candidate: '2', reject: false },
    { vote: '3', candidate: '3', reject: false },
    { vote: '2', candidate: '3', reject: true },
    { vote: '3', candidate: '2', reject: true },
  ];
  for (const tt of voteCases) {
    test(`§5.2 "each server will vote for at most one candidate in a given term, on a first-come-first-served basis" (voted ${tt.vote}, asked by ${tt.candidate})`, () => {
      const r = newRaft('1', V3, { hardState: { term: 1, vote: tt.vote, commit: 0 } });
      r.step({ type: 'vote', from: tt.candidate, to: '1', term: 1, index: 0, logTerm: 0 });
      const msgs = r.readMessages();
      assert.deepEqual(
        msgs.map((m) => ({ type: m.type, from: m.from, to: m.to, term: m.term, reject: m.reject === true })),
        [{ type: 'vote-resp', from: '1', to: tt.candidate, term: 1, reject: tt.reject }],
      );
    });
  }

  test('§5.2 first come, first served: the first candidate of a term gets the vote, the second is refused, the vote is recorded', () => {
    const r = newRaft('1', V3);
    r.step({ type: 'vote', from: '2', to: '1', term: 1, index: 0, logTerm: 0 });
    r.step({ type: 'vote', from: '3', to: '1', term: 1, index: 0, logTerm: 0 });
    const msgs = r.readMessages();
    assert.deepEqual(
      msgs.map((m) => [m.type, m.to, m.reject === true]),
      [
        ['vote-resp', '2', false],
        ['vote-resp', '3', true],
      ],
    );
    assert.equal(r.vote, '2');
  });

  for (const term of [1, 2]) {
    test(`§5.2 "while waiting for votes, if a candidate receives an AppendEntries RPC from another server claiming to be leader whose term is at least as large as the candidate's current term, it returns to follower state" (term ${term})`, () => {
      const r = newRaft('1', V3);
      r.step(hup('1'));
      assert.equal(r.role, 'candidate');
      r.step({ type: 'app', from: '2', to: '1', term, index: 0, logTerm: 0, entries: [], commit: 0 });
      assert.equal(r.role, 'follower');
      assert.equal(r.term, term);
      assert.equal(r.lead, '2');
    });
  }

  for (const start of ['follower', 'candidate'] as const) {
    test(`§5.2 "Raft uses randomized election timeouts" chosen from [electionTick, 2*electionTick) (${start})`, () => {
      const r = newRaft('1', V3);
      const seen = new Set<number>();
      for (let round = 0; round < 50 * ET; round++) {
        if (start === 'follower') r.becomeFollower(r.term + 1, '2');
        else r.becomeCandidate();
        r.readMessages();
        let time = 0;
        while (r.readMessages().length === 0) {
          r.tick();
          time++;
          assert.ok(time < 2 * ET, `no election within ${time} ticks ${seedNote()}`);
        }
        seen.add(time);
      }
      for (let d = ET; d < 2 * ET; d++) assert.ok(seen.has(d), `a timeout of ${d} ticks should occur ${seedNote()}`);
      for (const d of seen) assert.ok(d >= ET && d < 2 * ET, `timeout ${d} outside [${ET}, ${2 * ET}) ${seedNote()}`);
    });

    test(`§5.2 randomized timeouts "ensure that in most cases only a single server will time out" (${start}s)`, () => {
      const rs = ids(5).map((id) => newRaft(id, ids(5)));
      let conflicts = 0;
      const rounds = 1000;
      for (let round = 0; round < rounds; round++) {
        for (const r of rs) {
          if (start === 'follower') r.becomeFollower(r.term + 1, null);
          else r.becomeCandidate();
          r.readMessages();
        }
        let timedOut = 0;
        while (timedOut === 0) {
          for (const r of rs) {
            r.tick();
            if (r.readMessages().length > 0) timedOut++;
          }
        }
        if (timedOut > 1) conflicts++;
      }
      assert.ok(conflicts / rounds <= 0.3, `${conflicts}/${rounds} rounds had several servers time out together ${seedNote()}`);
    });
  }

  test('§5.2 "if many followers become candidates at the same time, votes could be split so that no candidate obtains a majority; each candidate will time out and start a new election"', () => {
    const net = Network.ofRafts(ids(4));
    net.raft('1').step(hup('1'));
    net.raft('2').step(hup('2'));
    const m1 = net.collect('1');
    const m2 = net.collect('2');
    const pick = (ms: Message[], to: NodeId): Message => {
      const m = ms.find((x) => x.to === to && x.type === 'vote');
      assert.ok(m !== undefined, `no vote to ${to}`);
      return m;
    };
    // 3 hears from 1 first, 4 from 2 first: two votes each, a majority of four needs three.
    net.send(pick(m1, '3'), pick(m2, '4'), pick(m1, '2'), pick(m1, '4'), pick(m2, '1'), pick(m2, '3'));
    assert.equal(net.leader(), null, 'a split vote elects nobody');
    assert.equal(net.raft('1').term, 1);
    assert.equal(net.raft('2').term, 1);

    let rounds = 0;
    while (net.leader() === null) {
      net.tickAll();
      rounds++;
      assert.ok(rounds < 10 * ET, `no leader after ${rounds} ticks ${seedNote()}`);
    }
    const lead = net.leader()!;
    assert.ok(net.raft(lead).term >= 2, 'the new election is in a new term');
    assert.ok(rounds >= ET, `the new election waits for an election timeout (took ${rounds} ticks)`);
  });
});

describe('§5.3 log replication', () => {
  test('§5.3 "the leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers" with the index and term of the entry that precedes the new ones', () => {
    const r = newRaft('1', V3);
    becomeLeader(r);
    commitNoop(r);
    const li = r.log.lastIndex();

    r.step(prop('1'));

    assert.equal(r.log.lastIndex(), li + 1);
    assert.equal(r.log.committed, li, 'not committed before a majority has it');
    const want = [{ term: 1, index: li + 1, type: 'normal', data: 'some data' }];
    const msgs = r.readMessages().sort(byTo);
    assert.deepEqual(
      msgs.map((m) => ({ type: m.type, from: m.from, to: m.to, term: m.term, index: m.index, logTerm: m.logTerm, commit: m.commit, entries: (m.entries ?? []).map(entryView) })),
      ['2', '3'].map((to) => ({ type: 'app', from: '1', to, term: 1, index: li, logTerm: 1, commit: li, entries: want })),
    );
    assert.deepEqual(r.log.unstableEntries.slice(-1).map(entryView), want, 'the new entry awaits stable storage');
  });

  test('§5.3 "when the entry has been safely replicated, the leader applies the entry" and "includes the highest index it knows to be committed in future AppendEntries RPCs"', () => {
    const r = newRaft('1', V3);
    becomeLeader(r);
    commitNoop(r);
    const li = r.log.lastIndex();
    r.step(prop('1'));

    for (const m of r.readMessages()) r.step(acceptAndReply(m));

    assert.equal(r.log.committed, li + 1);
    assert.deepEqual(r.log.nextCommitted().map(entryView), [{ term: 1, index: li + 1, type: 'normal', data: 'some data' }]);
    const told = new Set(r.readMessages().filter((m) => m.type === 'app' && m.commit === li + 1).map((m) => m.to));
    assert.deepEqual([...told].sort(), ['2', '3'], 'every follower is told the new commit index');
  });

  const ackCases: ReadonlyArray<{ size: number; acceptors: NodeId[]; committed: boolean }> = [
    { size: 1, acceptors: [], committed: true },
    { size: 3, acceptors: [], committed: false },
    { size: 3, acceptors: ['2'], committed: true },
    { size: 3, acceptors: ['2', '3'], committed: true },
    { size: 5, acceptors: [], committed: false },
    { size: 5, acceptors: ['2'], committed: false },
    { size: 5, acceptors: ['2', '3'], committed: true },
    { size: 5, acceptors: ['2', '3', '4'], committed: true },
    { size: 5, acceptors: ['2', '3', '4', '5'], committed: true },
  ];
  for (const tt of ackCases) {
    test(`§5.3 "a log entry is committed once the leader that created the entry has replicated it on a majority of the servers" (size ${tt.size}, acks from ${JSON.stringify(tt.acceptors)})`, () => {
      const r = newRaft('1', ids(tt.size));
      becomeLeader(r);
      commitNoop(r);
      const li = r.log.lastIndex();
      r.step(prop('1'));
      for (const m of r.readMessages()) if (m.type === 'app' && tt.acceptors.includes(m.to)) r.step(acceptAndReply(m));
      assert.equal(r.log.committed > li, tt.committed);
    });
  }

  const preceding: ReadonlyArray<Entry[]> = [[], ents(1, 2), ents(1, 1, 2), ents(1, 1)];
  for (const tt of preceding) {
    test(`§5.3 "this also commits all preceding entries in the leader's log, including entries created by previous leaders" (log terms ${JSON.stringify(tt.map((e) => e.term))})`, () => {
      const r = newRaft('1', V3, { entries: tt, hardState: { term: 2, vote: null, commit: 0 } });
      becomeLeader(r);
      r.step(prop('1'));
      acceptAllAppends(r);
      const li = tt.length;
      assert.deepEqual(
        r.log.nextCommitted().map((e) => [e.index, e.term, dec(e.data)]),
        [...tt.map((e) => [e.index, e.term, '']), [li + 1, 3, ''], [li + 2, 3, 'some data']],
      );
    });
  }

  const followerCommits: ReadonlyArray<{ entries: Entry[]; commit: number }> = [
    { entries: [{ term: 1, index: 1, type: 'normal', data: enc('some data') }], commit: 1 },
    { entries: [{ term: 1, index: 1, type: 'normal', data: enc('some data') }, { term: 1, index: 2, type: 'normal', data: enc('some data2') }], commit: 2 },
    { entries: [{ term: 1, index: 1, type: 'normal', data: enc('some data2') }, { term: 1, index: 2, type: 'normal', data: enc('some data') }], commit: 2 },
    { entries: [{ term: 1, index: 1, type: 'normal', data: enc('some data') }, { term: 1, index: 2, type: 'normal', data: enc('some data2') }], commit: 1 },
  ];
  for (const tt of followerCommits) {
    test(`§5.3 "once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order)" (${tt.entries.length} entries, commit ${tt.commit})`, () => {
      const r = newRaft('1', V3);
      r.becomeFollower(1, '2');
      r.step({ type: 'app', from: '2', to: '1', term: 1, index: 0, logTerm: 0, entries: tt.entries, commit: tt.commit });
      assert.equal(r.log.committed, tt.commit);
      assert.deepEqual(r.log.nextCommitted().map(entryView), tt.entries.slice(0, tt.commit).map(entryView));
    });
  }

  test('§5.3 a follower commits no further than the last entry the leader sent it (min(leaderCommit, index of last new entry))', () => {
    const r = newRaft('1', V3);
    r.becomeFollower(1, '2');
    r.step({ type: 'app', from: '2', to: '1', term: 1, index: 0, logTerm: 0, entries: ents(1, 1, 1), commit: 5 });
    assert.equal(r.log.committed, 2);
  });

  const checks: ReadonlyArray<{ logTerm: number; index: number; want: { index: number; reject: boolean; rejectHint?: number; logTermHint?: number } }> = [
    // matches a committed entry: the answer is at least the commit index
    { logTerm: 1, index: 1, want: { index: 1, reject: false } },
    { logTerm: 0, index: 0, want: { index: 1, reject: false } },
    // matches an uncommitted entry
    { logTerm: 2, index: 2, want: { index: 2, reject: false } },
    // entry 2 exists with a different term
    { logTerm: 1, index: 2, want: { index: 2, reject: true, rejectHint: 1, logTermHint: 1 } },
    // entry 3 does not exist
    { logTerm: 3, index: 3, want: { index: 3, reject: true, rejectHint: 2, logTermHint: 2 } },
  ];
  for (const tt of checks) {
    test(`§5.3 "if the follower does not find an entry in its log with the same index and term, then it refuses the new entries" (index ${tt.index}, logTerm ${tt.logTerm})`, () => {
      const r = newRaft('1', V3, { entries: ents(1, 1, 2), hardState: { term: 2, vote: null, commit: 1 } });
      r.becomeFollower(2, '2');
      r.step({ type: 'app', from: '2', to: '1', term: 2, index: tt.index, logTerm: tt.logTerm, entries: [], commit: 0 });
      const msgs = r.readMessages();
      assert.equal(msgs.length, 1);
      const m = msgs[0]!;
      assert.deepEqual(
        { type: m.type, from: m.from, to: m.to, term: m.term, index: m.index, reject: m.reject === true, ...(tt.want.reject ? { rejectHint: m.rejectHint, logTermHint: m.logTermHint } : {}) },
        { type: 'app-resp', from: '1', to: '2', term: 2, ...tt.want },
      );
    });
  }

  const appends: ReadonlyArray<{ index: number; logTerm: number; entries: Entry[]; want: number[]; unstable: Array<[number, number]> }> = [
    { index: 2, logTerm: 2, entries: ents(3, 3), want: [1, 2, 3], unstable: [[3, 3]] },
    { index: 1, logTerm: 1, entries: ents(2, 3, 4), want: [1, 3, 4], unstable: [[2, 3], [3, 4]] },
    { index: 0, logTerm: 0, entries: ents(1, 1), want: [1, 2], unstable: [] },
    { index: 0, logTerm: 0, entries: ents(1, 3), want: [3], unstable: [[1, 3]] },
  ];
  for (const tt of appends) {
    test(`§5.3 "if an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it; append any new entries not already in the log" (after ${tt.index}/${tt.logTerm}: ${JSON.stringify(tt.entries.map((e) => e.term))})`, () => {
      const r = newRaft('1', V3, { entries: ents(1, 1, 2) });
      r.becomeFollower(2, '2');
      r.step({ type: 'app', from: '2', to: '1', term: 2, index: tt.index, logTerm: tt.logTerm, entries: tt.entries, commit: 0 });
      assert.deepEqual(logTerms(r), tt.want);
      assert.deepEqual(termsOf(r.log.unstableEntries), tt.unstable, 'only new entries await stable storage');
    });
  }

  test('§5.3 "when a leader first comes to power, it initializes all nextIndex values to the index just after the last one in its log"', () => {
    const r = newRaft('1', V3, { entries: ents(1, 1, 1, 1, 1), hardState: { term: 1, vote: null, commit: 4 } });
    r.step(hup('1'));
    r.readMessages();
    r.step({ type: 'vote-resp', from: '2', to: '1', term: 2 });
    assert.equal(r.role, 'leader');
    const apps = r.readMessages().filter((m) => m.type === 'app').sort(byTo);
    assert.deepEqual(
      apps.map((m) => ({ to: m.to, index: m.index, logTerm: m.logTerm, entries: termsOf(m.entries ?? []) })),
      ['2', '3'].map((to) => ({ to, index: 4, logTerm: 1, entries: [[5, 2]] })),
      'the first append to each follower probes just after the leader\'s old last entry, not from the start of the log',
    );
    for (const to of ['2', '3']) assert.ok(r.progress.get(to)!.next >= 5, `next for ${to} is ${r.progress.get(to)!.next}`);
  });

  test('§5.3 "after a rejection, the leader decrements nextIndex and retries the AppendEntries RPC"', () => {
    // Leader of term 8 in Figure 7; follower (b) has only 1 1 1 4.
    const r = newRaft('1', V3, { entries: ents(1, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6), hardState: { term: 7, vote: null, commit: 0 } });
    becomeLeader(r);
    // §5.3: nextIndex starts just after the leader's old last entry (set here so this test measures only backing up).
    const pr = r.progress.get('2')!;
    pr.next = 11;
    pr.probeSent = false;
    r.step(prop('1'));
    const first = r.readMessages().find((m) => m.type === 'app' && m.to === '2');
    assert.ok(first !== undefined, 'an append to 2');
    const rejected = first.index ?? 0;
    assert.equal(rejected, 10, 'the probe starts at nextIndex - 1');
    // Follower (b) rejects: it has nothing at `rejected`; its last entry is 4 (term 4).
    r.step({ type: 'app-resp', from: '2', to: '1', term: r.term, index: rejected, reject: true, rejectHint: 4, logTermHint: 4 });
    const retry = r.readMessages().find((m) => m.type === 'app' && m.to === '2');
    assert.ok(retry !== undefined, 'the leader retries at once');
    assert.ok((retry.index ?? 0) < rejected, `the retry starts earlier than ${rejected} (at ${retry.index})`);
    assert.ok((retry.index ?? 0) <= 4, `the hint lets the retry start at or before 4 (at ${retry.index})`);
    assert.equal(retry.logTerm, r.log.term(retry.index ?? 0));
  });

  const figure7: ReadonlyArray<[string, number[]]> = [
    ['a', [1, 1, 1, 4, 4, 5, 5, 6, 6]],
    ['b', [1, 1, 1, 4]],
    ['c', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
    ['d', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
    ['e', [1, 1, 1, 4, 4, 4, 4]],
    ['f', [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
  ];
  for (const [name, followerTerms] of figure7) {
    test(`§5.3 Figure 7: "the leader must find the latest log entry where the two logs agree, delete any entries in the follower's log after that point, and send the follower all of the leader's entries after that point" (follower ${name})`, () => {
      const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
      const lead = newRaft('1', V3, { entries: ents(1, ...leaderTerms), hardState: { term: 8, vote: null, commit: leaderTerms.length } });
      const follower = newRaft('2', V3, { entries: ents(1, ...followerTerms), hardState: { term: 7, vote: null, commit: 0 } });
      // Three voters: the follower may have a more up-to-date log, so the leader needs the third (silent) vote.
      const net = networkOf([['1', lead], ['2', follower], ['3', null]] satisfies ReadonlyArray<readonly [NodeId, PeerSpec]>);
      net.send(hup('1'));
      net.send({ type: 'vote-resp', from: '3', to: '1', term: 9 });
      assert.equal(lead.role, 'leader');
      net.send(prop('1', ''));

      assert.deepEqual(logTerms(follower), logTerms(lead), `follower ${name} ends with the leader's log`);
      assert.deepEqual(logTerms(lead), [...leaderTerms, 9, 9]);
      assert.equal(follower.log.committed, lead.log.committed, 'and learns the commit index');
    });
  }
});

describe('§5.4 safety', () => {
  const requests: ReadonlyArray<{ entries: Entry[]; term: number }> = [
    { entries: ents(1, 1), term: 2 },
    { entries: ents(1, 1, 2), term: 3 },
  ];
  for (const tt of requests) {
    test(`§5.4.1 "the RequestVote RPC includes information about the candidate's log" (last index and term), sent to all other servers (log ${JSON.stringify(tt.entries.map((e) => e.term))})`, () => {
      const r = newRaft('1', V3);
      r.step({ type: 'app', from: '2', to: '1', term: tt.term - 1, index: 0, logTerm: 0, entries: tt.entries, commit: 0 });
      r.readMessages();
      for (let i = 1; i < 2 * ET; i++) r.tick();
      const msgs = r.readMessages().sort(byTo);
      const last = tt.entries[tt.entries.length - 1]!;
      assert.deepEqual(
        msgs.map((m) => ({ type: m.type, to: m.to, term: m.term, index: m.index, logTerm: m.logTerm })),
        ['2', '3'].map((to) => ({ type: 'vote', to, term: tt.term, index: last.index, logTerm: last.term })),
      );
    });
  }

  const voters: ReadonlyArray<{ log: number[]; logTerm: number; index: number; reject: boolean }> = [
    // same last term: the longer log wins
    { log: [1], logTerm: 1, index: 1, reject: false },
    { log: [1], logTerm: 1, index: 2, reject: false },
    { log: [1, 1], logTerm: 1, index: 1, reject: true },
    // the candidate's last term is higher
    { log: [1], logTerm: 2, index: 1, reject: false },
    { log: [1], logTerm: 2, index: 2, reject: false },
    { log: [1, 1], logTerm: 2, index: 1, reject: false },
    // the voter's last term is higher
    { log: [2], logTerm: 1, index: 1, reject: true },
    { log: [2], logTerm: 1, index: 2, reject: true },
    { log: [2, 2], logTerm: 1, index: 1, reject: true },
    { log: [1, 1], logTerm: 1, index: 1, reject: true },
  ];
  for (const tt of voters) {
    test(`§5.4.1 "the voter denies its vote if its own log is more up-to-date than that of the candidate" (voter ${JSON.stringify(tt.log)}, candidate last ${tt.index}/${tt.logTerm})`, () => {
      const r = newRaft('1', ['1', '2'], { entries: ents(1, ...tt.log) });
      r.step({ type: 'vote', from: '2', to: '1', term: 3, index: tt.index, logTerm: tt.logTerm });
      const msgs = r.readMessages();
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.type, 'vote-resp');
      assert.equal(msgs[0]!.reject === true, tt.reject);
      assert.equal(r.vote, tt.reject ? null : '2');
    });
  }

  const onlyCurrent: ReadonlyArray<{ size: number; acks: number; commit: number }> = [
    { size: 2, acks: 1, commit: 0 },
    { size: 2, acks: 2, commit: 0 },
    { size: 2, acks: 3, commit: 3 },
    { size: 5, acks: 1, commit: 0 },
    { size: 5, acks: 2, commit: 0 },
    { size: 5, acks: 3, commit: 3 },
  ];
  for (const tt of onlyCurrent) {
    test(`§5.4.2 Figure 8: "only log entries from the leader's current term are committed by counting replicas" (${tt.size} servers, a majority has matched ${tt.acks})`, () => {
      const r = newRaft('1', ids(tt.size), { entries: ents(1, 1, 2), hardState: { term: 2, vote: null, commit: 0 } });
      becomeLeader(r); // term 3, empty entry at 3
      r.step(prop('1'));
      r.readMessages();
      const majority = Math.floor(tt.size / 2) + 1;
      for (const from of ids(tt.size).slice(1, majority)) r.step({ type: 'app-resp', from, to: '1', term: r.term, index: tt.acks });
      assert.equal(r.log.committed, tt.commit);
    });
  }

  test('§5.4.2 Figure 8: an entry of an earlier term stored on a majority is not committed, and a later leader may overwrite it', () => {
    // (c) of Figure 8 with five servers: S1 leads term 4 and has pushed the term-2 entry at index 2 to S2 and S3;
    // S5 (log 1 3) can still win with votes from S2, S3, S4, so index 2 must not count as committed yet.
    const V5 = ids(5);
    const s1 = newRaft('1', V5, { entries: ents(1, 1, 2), hardState: { term: 3, vote: null, commit: 1 } });
    becomeLeader(s1); // term 4, empty entry at index 3
    s1.step({ type: 'app-resp', from: '2', to: '1', term: 4, index: 2 });
    s1.step({ type: 'app-resp', from: '3', to: '1', term: 4, index: 2 });
    assert.equal(s1.log.committed, 1, 'index 2 (term 2) is on S1, S2, S3 but not committed by counting');

    const s2 = newRaft('2', V5, { entries: ents(1, 1, 2), hardState: { term: 4, vote: null, commit: 1 } });
    const s5 = newRaft('5', V5, { entries: ents(1, 1, 3), hardState: { term: 4, vote: null, commit: 1 } });
    s2.step({ type: 'vote', from: '5', to: '2', term: 5, index: 2, logTerm: 3 });
    assert.deepEqual(s2.readMessages().map((m) => [m.type, m.reject === true]), [['vote-resp', false]], "S5's log is more up to date than S2's");
    s5.becomeCandidate();
    s5.becomeLeader();
    s5.readMessages();
    s2.step({ type: 'app', from: '5', to: '2', term: 5, index: 1, logTerm: 1, entries: s5.log.slice(2, s5.log.lastIndex() + 1), commit: 1 });
    assert.deepEqual(logTerms(s2), [1, 3, 5], 'the uncommitted term-2 entry was overwritten');

    // Once S1's own term-4 entry reaches the majority, everything before it commits.
    s1.step({ type: 'app-resp', from: '2', to: '1', term: 4, index: 3 });
    s1.step({ type: 'app-resp', from: '3', to: '1', term: 4, index: 3 });
    assert.equal(s1.log.committed, 3);
  });

  test('§5.4.3 Leader Completeness: "if a log entry is committed in a given term, that entry will be present in the logs of the leaders for all higher-numbered terms"', () => {
    const net = Network.ofRafts(ids(5));
    net.campaign('1');
    assert.equal(net.leader(), '1');
    net.cut('1', '4');
    net.cut('1', '5');
    net.propose('1', enc('x'));
    const x = net.raft('1').log.lastIndex();
    assert.equal(net.raft('1').log.committed, x, 'x is committed on 1, 2, 3');
    assert.equal(net.raft('4').log.lastIndex() < x, true);

    net.recover();
    net.isolate('1');
    net.campaign('4'); // 4 lacks x: 2 and 3 refuse; 5 alone is not enough
    assert.notEqual(net.raft('4').role, 'leader', 'a server without a committed entry cannot be elected');
    net.campaign('5');
    assert.notEqual(net.raft('5').role, 'leader');
    net.campaign('2');
    assert.equal(net.raft('2').role, 'leader');
    assert.equal(net.raft('2').log.term(x), net.raft('1').log.term(x), 'the new leader has x');
    net.propose('2', enc('y'));
    for (const id of ['2', '3', '4', '5']) assert.equal(dec(net.raft(id).log.slice(x, x + 1)[0]!.data), 'x', `x survives on ${id}`);
  });

  for (const mode of [
    { name: 'paper (no pre-vote, no check-quorum)', preVote: false, checkQuorum: false },
    { name: 'pre-vote and check-quorum', preVote: true, checkQuorum: true },
  ]) {
    test(`§5.4 Election Safety, Log Matching of committed entries, Leader Completeness under random partitions and message loss — ${mode.name}`, () => {
      const V5 = ids(5);
      const net = Network.ofRafts(V5, { preVote: mode.preVote, checkQuorum: mode.checkQuorum });
      const prng = new Prng(SEED ^ (mode.preVote ? 0x1234 : 0x4321));
      const committed = new Map<number, number>(); // index -> term, the first time any server commits it
      const leaders = new Map<number, NodeId>(); // term -> leader
      let proposals = 0;
      const check = (round: number): void => {
        const where = `round ${round} ${seedNote()}`;
        for (const id of V5) {
          const r = net.raft(id);
          if (r.role === 'leader') {
            const prev = leaders.get(r.term);
            assert.ok(prev === undefined || prev === id, `two leaders in term ${r.term}: ${prev} and ${id}, ${where}`);
            leaders.set(r.term, id);
          }
          for (let i = 1; i <= r.log.committed; i++) {
            const t = r.log.term(i);
            assert.ok(t !== null, `committed entry ${i} of ${id} missing, ${where}`);
            const seen = committed.get(i);
            if (seen === undefined) committed.set(i, t);
            else assert.equal(t, seen, `server ${id} committed term ${t} at ${i}, another committed term ${seen}, ${where}`);
          }
        }
        const lead = net.leader();
        if (lead !== null) {
          const r = net.raft(lead);
          for (const [i, t] of committed) assert.equal(r.log.term(i), t, `leader ${lead} (term ${r.term}) lacks committed entry ${i}/${t}, ${where}`);
        }
      };
      for (let round = 0; round < 400; round++) {
        if (prng.chance(60)) {
          net.recover();
          const kind = prng.int(0, 3);
          if (kind === 1) net.isolate(prng.pick(V5));
          else if (kind === 2) {
            const a = prng.pick(V5);
            const b = prng.pick(V5.filter((x) => x !== a));
            net.cut(a, b);
            net.cut(a, prng.pick(V5.filter((x) => x !== a && x !== b)));
          } else if (kind === 3) for (const a of V5) for (const b of V5) if (a !== b) net.drop(a, b, 0.2);
        }
        if (prng.chance(300)) {
          const at = prng.pick(V5);
          net.propose(at, enc(`p${proposals++}`));
        }
        net.tickAll();
        check(round);
      }
      // Heal and make progress: everyone converges on one committed log.
      net.recover();
      let finalIndex = 0;
      let converged = false;
      const describeAll = (): string => V5.map((id) => { const r = net.raft(id); return `${id}:${r.role}/t${r.term}/c${r.log.committed}/l${r.log.lastIndex()}`; }).join(' ');
      for (let i = 0; i < 50 * ET && !converged; i++) {
        net.tickAll();
        const lead = net.leader();
        if (lead === null) continue;
        const r = net.raft(lead);
        if (finalIndex === 0 || r.log.term(finalIndex) === null) {
          net.propose(lead, enc('final'));
          finalIndex = r.log.lastIndex();
        }
        converged = r.log.committed >= finalIndex && V5.every((id) => net.raft(id).log.committed === r.log.committed);
      }
      check(400);
      assert.ok(converged, `after healing, every server commits the same final entry: ${describeAll()} ${seedNote()}`);
      assert.ok(committed.size > 5, `some entries were committed (${committed.size}) ${seedNote()}`);
    });
  }
});
