// HMMM adapter (docs/integrations/hmmm.md): reads the open election's ballots and votes, keeps the votes the
// quorum_certificate guard would accept, and proposes Council_QuorumCert once they reach the quorum.
import { memberSetHash } from '../core/council-vote.ts';
import { nodeVerifier } from '../core/ed25519.ts';
import { requiredQuorum, voteProblem } from '../core/guards/quorum-certificate-guard.ts';
import type { CouncilVote, StateDocument } from '../core/state.ts';
import type { Adapter, AdapterContext } from './adapter.ts';
import { validateContract } from './contract-schemas.ts';

export interface HmmmOptions {
  readonly intervalMs?: number;
}

interface Ballot {
  readonly member_set_hash: string;
  readonly members: readonly string[];
}

/** The votes for `ballot` that count, and why the others do not. Pure, so tests can use it directly. */
export function countVotes(state: StateDocument, electionId: string, ballot: Ballot, votes: readonly unknown[]): { valid: CouncilVote[]; problems: string[] } {
  const setHash = memberSetHash(ballot.members);
  const valid: CouncilVote[] = [];
  const problems: string[] = [];
  const voters = new Set(state.council.votes.filter((v) => v.election_id === electionId && v.member_set_hash === setHash).map((v) => v.voter));
  for (const raw of votes) {
    const shape = validateContract('hmmm.vote.v1', raw);
    if (!shape.ok) {
      problems.push(...shape.reasons);
      continue;
    }
    const { type: _type, ...vote } = raw as CouncilVote & { type: string };
    if (vote.member_set_hash !== setHash) continue; // a vote for another ballot: counted there
    const p = voteProblem(state, vote, electionId, setHash, nodeVerifier);
    if (p !== null) problems.push(p);
    else if (voters.has(vote.voter)) problems.push(`duplicate vote by ${vote.voter}`);
    else {
      voters.add(vote.voter);
      valid.push({ election_id: vote.election_id, member_set_hash: vote.member_set_hash, voter: vote.voter, signature: vote.signature });
    }
  }
  return { valid, problems };
}

export class HmmmAdapter implements Adapter {
  readonly system = 'hmmm' as const;
  readonly intervalMs: number;

  constructor(options: HmmmOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  async tick(ctx: AdapterContext): Promise<void> {
    const c = ctx.state.council;
    if (ctx.state.configuration.top !== 'PROJECT_LIFECYCLE' || c.phase !== 'ELECT' || c.election_id === null) return;
    const electionId = c.election_id;
    const r = await ctx.request(`/v1/elections/${encodeURIComponent(electionId)}`);
    if (!r.ok) return;
    const check = validateContract('hmmm.election.v1', r.body);
    if (!check.ok) return ctx.invalid('hmmm.election.v1', check.reasons);
    const election = r.body as { ballots: Ballot[]; votes: unknown[] };
    const recorded = c.votes.filter((v) => v.election_id === electionId);
    for (const ballot of election.ballots) {
      if (memberSetHash(ballot.members) !== ballot.member_set_hash) {
        ctx.invalid('hmmm.ballot.v1', [`ballot hash ${ballot.member_set_hash} is not the hash of its members`]);
        continue;
      }
      const { valid, problems } = countVotes(ctx.state, electionId, ballot, election.votes);
      if (problems.length > 0) ctx.log.warn({ event: 'hmmm_votes_refused', election_id: electionId, problems }, 'HMMM votes that do not count');
      const already = recorded.filter((v) => v.member_set_hash === ballot.member_set_hash).length;
      if (valid.length + already < requiredQuorum(ctx.state)) continue;
      await ctx.propose({
        transition: 'Council_QuorumCert',
        topic: 'council',
        evidencePath: `election/${electionId}/${ballot.member_set_hash}`,
        inputs: { election_id: electionId, members: [...ballot.members], votes: valid.map((v) => ({ ...v })) },
      });
      return;
    }
  }
}
