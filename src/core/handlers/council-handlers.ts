// Council handlers: roles, HMMM votes, the quorum certificate, tooling sync, EJECT / RE-ELECT.
import type { InputsByTransition } from '../../generated/statechart.ts';
import { memberSetHash } from '../council-vote.ts';
import type { Digest } from '../digest.ts';
import { eligibleVoters, requiredQuorum, voteProblem } from '../guards/quorum-certificate-guard.ts';
import type { CouncilSection, CouncilVote } from '../state.ts';
import { done, newest, refuse, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

const MAX_EJECTED = 256;

function newElection(c: CouncilSection, electionId: string): CouncilSection {
  return { ...c, election_id: electionId, quorum_cert: null, member_set_hash: null, votes: [], tooling_hash: null };
}

export const councilHandlers = {
  Council_ProfilesLoaded: (ctx: HandlerContext, i: I<'Council_ProfilesLoaded'>): HandlerResult =>
    done({ ...ctx.state, council: { ...newElection(ctx.state.council, i.election_id), planned_roles: i.roles.map((r) => ({ ...r })) } }),

  Council_RecordVote: (ctx: HandlerContext, i: I<'Council_RecordVote'>): HandlerResult => {
    const c = ctx.state.council;
    const vote: CouncilVote = { ...i.vote, member_set_hash: i.vote.member_set_hash as Digest };
    if (c.election_id !== vote.election_id) return refuse(`vote is for election ${vote.election_id}; the open election is ${c.election_id ?? 'none'}`, 'quorum_certificate_invalid');
    const problem = voteProblem(ctx.state, vote, vote.election_id, vote.member_set_hash, ctx.verifier);
    if (problem !== null) return refuse(problem, 'quorum_certificate_invalid');
    if (c.votes.some((v) => v.voter === vote.voter)) return refuse(`duplicate vote: ${vote.voter} already voted in ${vote.election_id}`, 'quorum_certificate_invalid');
    return done({ ...ctx.state, council: { ...c, votes: [...c.votes, vote] } });
  },

  Council_QuorumCert: (ctx: HandlerContext, i: I<'Council_QuorumCert'>): HandlerResult => {
    const c = ctx.state.council;
    const members = [...new Set(i.members)].sort();
    const ejected = members.filter((m) => c.ejected.includes(m));
    // Ejected members sit out the election that follows their ejection.
    if (ejected.length > 0) return refuse(`ejected members sit out this election: ${ejected.join(', ')}`);
    const setHash = memberSetHash(members);
    const voters = new Set<string>();
    for (const v of i.votes) voters.add(v.voter); // the guard has already proven each inline vote valid and distinct
    for (const v of c.votes) if (v.election_id === i.election_id && v.member_set_hash === setHash) voters.add(v.voter);
    const quorum_cert = { election_id: i.election_id, member_set_hash: setHash, voters: [...voters].sort(), quorum: requiredQuorum(ctx.state) };
    return done({ ...ctx.state, council: { ...c, members, member_set_hash: setHash, quorum_cert, ejected: [] } });
  },

  Council_ToolingSynced: (ctx: HandlerContext, i: I<'Council_ToolingSynced'>): HandlerResult =>
    done({ ...ctx.state, council: { ...ctx.state.council, tooling_hash: i.tooling_hash as Digest } }),

  Council_Eject: (ctx: HandlerContext, i: I<'Council_Eject'>): HandlerResult => {
    const c = ctx.state.council;
    if (!c.members.includes(i.member)) return refuse(`${i.member} is not a council member`);
    if (i.election_id === c.election_id) return refuse(`the new election needs a new election_id (not ${i.election_id})`);
    const next = newElection(c, i.election_id);
    return done({
      ...ctx.state,
      council: { ...next, members: c.members.filter((m) => m !== i.member), ejected: newest([...c.ejected, i.member], MAX_EJECTED) },
    });
  },

  Council_ReElect: (ctx: HandlerContext, i: I<'Council_ReElect'>): HandlerResult => {
    const c = ctx.state.council;
    if (i.election_id === c.election_id) return refuse(`the new election needs a new election_id (not ${i.election_id})`);
    if (eligibleVoters(ctx.state).length === 0) return refuse('no identity holds council_voter; nobody could vote');
    return done({ ...ctx.state, council: newElection(c, i.election_id) });
  },
};
