// The Raft state machine (after etcd's raft.go): step, tick and messages out; no I/O, no clock, no randomness of its own.
import { RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import { majorityIndex, voteResult } from './quorum.ts';
import type { Storage } from './storage.ts';
import type { ConfChange, ConfState, Entry, Message, MessageType, NodeId, RaftConfig, ReadState, Role, Snapshot } from './types.ts';

const TRANSFER_CONTEXT = 'campaign-transfer';

interface PendingRead {
  readonly ctx: string;
  readonly index: number;
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

type Settings = Required<Omit<RaftConfig, 'applied'>>;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = 'follower';
  readonly log: RaftLog;
  readonly progress = new Map<NodeId, Progress>();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  readStates: ReadState[] = [];
  leadTransferee: NodeId | null = null;
  /** Index of the newest conf change the leader appended; another waits until it is applied. */
  pendingConfIndex = 0;
  private voterIds: NodeId[] = [];
  private learnerIds: NodeId[] = [];
  private votes = new Map<NodeId, boolean>();
  private msgs: Message[] = [];
  private pendingReads: PendingRead[] = [];
  private readonly cfg: Settings;

  constructor(config: RaftConfig, storage: Storage) {
    this.id = config.id;
    this.cfg = { maxEntriesPerMsg: 64, maxInflight: 256, checkQuorum: true, preVote: true, readOnly: 'safe', ...stripUndefined(config) } as Settings;
    if (this.cfg.readOnly === 'lease' && !this.cfg.checkQuorum) throw new Error('raft: lease-based reads need checkQuorum');
    if (this.cfg.heartbeatTick <= 0 || this.cfg.electionTick <= this.cfg.heartbeatTick) throw new Error('raft: need 0 < heartbeatTick < electionTick');
    this.log = new RaftLog(storage, config.applied ?? 0);
    const { hardState, conf } = storage.initialState();
    this.setConf(conf);
    if (hardState.commit > 0 || hardState.term > 0) {
      this.log.commitTo(Math.min(hardState.commit, this.log.lastIndex()));
    }
    this.becomeFollower(hardState.term, null);
    this.vote = hardState.vote;
  }

  voters(): NodeId[] {
    return [...this.voterIds];
  }

  learners(): NodeId[] {
    return [...this.learnerIds];
  }

  confState(): ConfState {
    return { voters: this.voters(), learners: this.learners() };
  }

  hasPendingMessages(): boolean {
    return this.msgs.length > 0;
  }

  /** Drains the messages produced so far. */
  readMessages(): Message[] {
    const out = this.msgs;
    this.msgs = [];
    return out;
  }

  private promotable(): boolean {
    return this.voterIds.includes(this.id);
  }

  private send(m: Omit<Message, 'from' | 'term'> & { term?: number }): void {
    const local = m.type === 'prop' || m.type === 'read-index' || m.type === 'transfer-leader';
    // Votes carry their own term (a pre-vote asks for term + 1); forwarded local messages keep term 0.
    this.msgs.push({ ...m, from: this.id, term: m.term ?? (local ? 0 : this.term) });
  }

  // ------------------------------------------------------------------ role changes

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.random(this.cfg.electionTick);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = null;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.progress) {
      const fresh = new Progress(id, last + 1, pr.isLearner, this.cfg.maxInflight);
      if (id === this.id) fresh.match = last;
      this.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.pendingReads = [];
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: a leader cannot become pre-candidate');
    // Term and vote stay: a pre-vote only asks whether an election could be won.
    this.votes.clear();
    this.lead = null;
    this.role = 'precandidate';
  }

  becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('raft: a leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    if (this.role === 'follower') throw new Error('raft: a follower cannot become leader directly');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    // reset() left every follower in probe state with next = lastIndex + 1 (§5.3: "initializes all nextIndex
    // values to the index just after the last one in its log").
    // Conservatively treat any unapplied entry as a possible conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of the new term lets earlier-term entries commit (§5.4.2) and read-index start.
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: new Uint8Array() }]);
  }

  private campaign(kind: 'pre' | 'election' | 'transfer'): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    let type: MessageType;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
      type = 'pre-vote';
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      type = 'vote';
    }
    this.votes.set(this.id, true);
    if (voteResult(this.voterIds, this.votes) === 'won') {
      if (kind === 'pre') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.voterIds) {
      if (id === this.id) continue;
      this.send({ type, to: id, term: voteTerm, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), ...(kind === 'transfer' ? { context: TRANSFER_CONTEXT } : {}) });
    }
  }

  // ------------------------------------------------------------------ ticks

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step({ type: 'check-quorum', from: this.id, to: this.id, term: 0 });
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader') this.leadTransferee = null;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step({ type: 'beat', from: this.id, to: this.id, term: 0 });
    }
  }

  // ------------------------------------------------------------------ step

  /** Steps one message. Returns false only for a proposal (or local request) that was dropped. */
  step(m: Message): boolean {
    if (m.term > this.term && m.term !== 0) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        const force = m.context === TRANSFER_CONTEXT;
        const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsed < this.cfg.electionTick;
        // A replica that recently heard from a leader ignores votes: one partitioned node cannot depose it.
        if (!force && inLease) return true;
      }
      if (m.type === 'pre-vote' || (m.type === 'pre-vote-resp' && m.reject !== true)) {
        // Pre-votes never change our term; a granted pre-vote response carries the future term.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // Tell a stale leader our term so it steps down (it might otherwise never hear a higher term).
        this.send({ type: 'app-resp', to: m.from });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-resp', to: m.from, reject: true });
      }
      return true;
    }

    switch (m.type) {
      case 'hup':
        if (this.role !== 'leader') this.campaign(this.cfg.preVote ? 'pre' : 'election');
        return true;
      case 'vote':
      case 'pre-vote': {
        const canVote = this.vote === m.from || (this.vote === null && this.lead === null) || (m.type === 'pre-vote' && m.term > this.term);
        const respType = m.type === 'vote' ? 'vote-resp' : 'pre-vote-resp';
        if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
          this.send({ type: respType, to: m.from, term: m.term });
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send({ type: respType, to: m.from, reject: true });
        }
        return true;
      }
      default:
        if (this.role === 'leader') return this.stepLeader(m);
        if (this.role === 'follower') return this.stepFollower(m);
        return this.stepCandidate(m);
    }
  }

  private stepLeader(m: Message): boolean {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat();
        return true;
      case 'check-quorum': {
        const active = this.voterIds.filter((id) => id === this.id || this.progress.get(id)?.recentActive === true).length;
        if (active < Math.floor(this.voterIds.length / 2) + 1) this.becomeFollower(this.term, null);
        for (const pr of this.progress.values()) if (pr.id !== this.id) pr.recentActive = false;
        return true;
      }
      case 'prop': {
        const entries = m.entries ?? [];
        if (entries.length === 0 || !this.progress.has(this.id) || this.leadTransferee !== null) return false;
        for (let i = 0; i < entries.length; i++) {
          if (entries[i]!.type !== 'conf-change') continue;
          if (this.pendingConfIndex > this.log.applied) return false;
          this.pendingConfIndex = this.log.lastIndex() + i + 1;
        }
        this.appendEntries(entries);
        this.bcastAppend();
        return true;
      }
      case 'read-index':
        return this.leaderReadIndex(m);
      case 'transfer-leader': {
        const to = m.from;
        const pr = this.progress.get(to);
        if (pr === undefined || pr.isLearner || to === this.id || this.leadTransferee === to) return false;
        this.leadTransferee = to;
        this.electionElapsed = 0;
        if (pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', to });
        else this.sendAppend(to);
        return true;
      }
      default:
        break;
    }
    const pr = this.progress.get(m.from);
    if (pr === undefined) return true;
    switch (m.type) {
      case 'app-resp': {
        pr.recentActive = true;
        if (m.reject === true) {
          let hint = m.rejectHint ?? 0;
          if ((m.logTermHint ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.logTermHint!).index;
          if (pr.maybeDecrTo(m.index ?? 0, hint)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return true;
        }
        const wasPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index ?? 0)) {
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
          else if (pr.state === 'replicate') pr.freeInflightsTo(m.index ?? 0);
          if (this.maybeCommit()) this.bcastAppend();
          else if (wasPaused) this.sendAppend(m.from);
          // Keep the pipe full while the window allows.
          while (this.sendAppend(m.from, false)) {
            /* loop */
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', to: m.from });
        }
        return true;
      }
      case 'heartbeat-resp': {
        pr.recentActive = true;
        pr.probeSent = false;
        // Appends in a full window may all have been lost: the follower is alive, so let one more through
        // (etcd does the same); otherwise a follower whose appends were dropped is never sent to again.
        if (pr.state === 'replicate' && pr.isPaused()) pr.inflights.shift();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context !== undefined) this.ackRead(m.context, m.from);
        return true;
      }
      case 'snap-status':
        if (pr.state === 'snapshot') {
          if (m.reject === true) pr.pendingSnapshot = 0;
          pr.becomeProbe();
          // Wait for the follower's answer (or a heartbeat) before probing again.
          pr.probeSent = true;
        }
        return true;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return true;
      default:
        return true;
    }
  }

  private stepCandidate(m: Message): boolean {
    const myResp = this.role === 'precandidate' ? 'pre-vote-resp' : 'vote-resp';
    switch (m.type) {
      case 'prop':
        return false;
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return true;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return true;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return true;
      default:
        if (m.type !== myResp) return true;
        this.votes.set(m.from, m.reject !== true);
        switch (voteResult(this.voterIds, this.votes)) {
          case 'won':
            if (this.role === 'precandidate') this.campaign('election');
            else {
              this.becomeLeader();
              this.bcastAppend();
            }
            break;
          case 'lost':
            this.becomeFollower(this.term, null);
            break;
          case 'pending':
            break;
        }
        return true;
    }
  }

  private stepFollower(m: Message): boolean {
    switch (m.type) {
      case 'transfer-leader':
        if (this.lead === null) return false;
        // `from` names the transferee, so it is kept as is.
        this.msgs.push({ ...m, to: this.lead, term: 0 });
        return true;
      case 'prop':
      case 'read-index':
        if (this.lead === null) return false;
        this.send({ ...stripRouting(m), to: this.lead });
        return true;
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return true;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return true;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return true;
      case 'timeout-now':
        // The leader hands over: campaign at once, skipping pre-vote (etcd's campaignTransfer).
        this.campaign('transfer');
        return true;
      case 'read-index-resp':
        if (m.context !== undefined) this.readStates.push({ index: m.index ?? 0, requestCtx: m.context });
        return true;
      default:
        return true;
    }
  }

  // ------------------------------------------------------------------ follower handlers

  private handleAppend(m: Message): void {
    const index = m.index ?? 0;
    if (index < this.log.committed) {
      this.send({ type: 'app-resp', to: m.from, index: this.log.committed });
      return;
    }
    const last = this.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (last !== null) {
      this.send({ type: 'app-resp', to: m.from, index: last });
      return;
    }
    // Fast backtracking: name the last entry at or before `index` whose term could still match.
    const hint = this.log.findConflictByTerm(Math.min(index, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({ type: 'app-resp', to: m.from, index, reject: true, rejectHint: hint.index, logTermHint: hint.term });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
    this.send({ type: 'heartbeat-resp', to: m.from, ...(m.context !== undefined ? { context: m.context } : {}) });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s !== undefined && this.restore(s)) this.send({ type: 'app-resp', to: m.from, index: this.log.lastIndex() });
    else this.send({ type: 'app-resp', to: m.from, index: this.log.committed });
  }

  /** Installs a leader's snapshot unless our log already covers it. Returns whether it was installed. */
  restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already have the entry: only the commit index moves.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.setConf(s.meta.conf);
    return true;
  }

  // ------------------------------------------------------------------ leader helpers

  private appendEntries(entries: readonly Entry[]): void {
    let index = this.log.lastIndex();
    const stamped = entries.map((e) => ({ ...e, term: this.term, index: ++index }));
    const last = this.log.append(stamped);
    this.progress.get(this.id)?.maybeUpdate(last);
    this.maybeCommit();
  }

  /** Commit the largest index a majority matched, if it is from the current term (§5.4.2). */
  private maybeCommit(): boolean {
    const index = majorityIndex(this.voterIds, (id) => this.progress.get(id)?.match ?? 0);
    return this.log.maybeCommit(index, this.term);
  }

  /** Sends one append (or a snapshot) to `to` if its window allows; returns whether anything was sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let entries: Entry[] | null = null;
    if (prevTerm !== null) {
      try {
        entries = this.log.slice(pr.next, Math.min(this.log.lastIndex() + 1, pr.next + this.cfg.maxEntriesPerMsg));
      } catch {
        entries = null;
      }
    }
    if (prevTerm === null || entries === null) {
      // The entries are compacted away: the follower needs a snapshot.
      if (!pr.recentActive) return false;
      const snap = this.log.snapshot();
      if (snap.meta.index === 0) return false;
      pr.becomeSnapshot(snap.meta.index);
      this.send({ type: 'snap', to, snapshot: snap });
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length);
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context?: string): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it has matched.
      this.send({ type: 'heartbeat', to: id, commit: Math.min(pr.match, this.log.committed), ...(context !== undefined ? { context } : {}) });
    }
  }

  private leaderReadIndex(m: Message): boolean {
    const ctx = m.context;
    if (ctx === undefined) return false;
    // Until an entry of this term commits, our commit index may be behind what earlier leaders committed.
    if (this.log.term(this.log.committed) !== this.term) return false;
    const index = this.log.committed;
    if (this.voterIds.length === 1 || this.cfg.readOnly === 'lease') {
      this.releaseRead({ ctx, index, from: m.from, acks: new Set() });
      return true;
    }
    this.pendingReads.push({ ctx, index, from: m.from, acks: new Set([this.id]) });
    this.bcastHeartbeat(ctx);
    return true;
  }

  private ackRead(ctx: string, from: NodeId): void {
    const at = this.pendingReads.findIndex((r) => r.ctx === ctx);
    if (at === -1) return;
    this.pendingReads[at]!.acks.add(from);
    const acks = this.pendingReads[at]!.acks;
    if (voteResult(this.voterIds, new Map([...acks].map((id) => [id, true]))) !== 'won') return;
    // A quorum confirmed leadership at this point, which covers every earlier request too.
    for (const r of this.pendingReads.splice(0, at + 1)) this.releaseRead(r);
  }

  private releaseRead(r: PendingRead): void {
    if (r.from === this.id) this.readStates.push({ index: r.index, requestCtx: r.ctx });
    else this.send({ type: 'read-index-resp', to: r.from, index: r.index, context: r.ctx });
  }

  // ------------------------------------------------------------------ membership

  private setConf(conf: ConfState): void {
    this.voterIds = [...conf.voters];
    this.learnerIds = [...conf.learners];
    const next = this.log.lastIndex() + 1;
    const keep = new Set([...this.voterIds, ...this.learnerIds]);
    for (const id of [...this.progress.keys()]) if (!keep.has(id)) this.progress.delete(id);
    for (const id of this.voterIds) {
      const pr = this.progress.get(id);
      if (pr === undefined) this.progress.set(id, new Progress(id, next, false, this.cfg.maxInflight));
      else pr.isLearner = false;
    }
    for (const id of this.learnerIds) {
      const pr = this.progress.get(id);
      if (pr === undefined) this.progress.set(id, new Progress(id, next, true, this.cfg.maxInflight));
      else pr.isLearner = true;
    }
  }

  /** Applies a committed conf change (one server at a time) and returns the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    const voters = this.voterIds.filter((v) => v !== cc.node);
    const learners = this.learnerIds.filter((l) => l !== cc.node);
    if (cc.type === 'add-voter') voters.push(cc.node);
    else if (cc.type === 'add-learner') learners.push(cc.node);
    const isNew = !this.progress.has(cc.node);
    this.setConf({ voters, learners });
    const pr = this.progress.get(cc.node);
    if (pr !== undefined && isNew) pr.recentActive = true;
    if (this.role === 'leader') {
      if (cc.type === 'remove' && cc.node === this.leadTransferee) this.leadTransferee = null;
      if (cc.type === 'remove' && cc.node === this.id) {
        this.becomeFollower(this.term, null);
      } else if (this.maybeCommit()) {
        // A smaller majority may commit at once.
        this.bcastAppend();
      } else if (pr !== undefined && isNew) {
        this.sendAppend(cc.node);
      }
    }
    return this.confState();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function stripRouting(m: Message): Omit<Message, 'from' | 'to' | 'term'> {
  const { from: _f, to: _t, term: _term, ...rest } = m;
  return rest;
}
