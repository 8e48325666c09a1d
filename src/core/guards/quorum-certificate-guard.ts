// HMMM quorum certificate guard: distinct, valid votes from a quorum of eligible voters over the proposed member set.
import { memberSetHash, voteSigningBytes } from '../council-vote.ts';
import { decodeSignature, publicKeyFromSigner, type SignatureVerifier } from '../ed25519.ts';
import type { CouncilVote, StateDocument } from '../state.ts';
import type { Guard } from './guard.ts';

/** The electorate: identities holding council_voter. */
export function eligibleVoters(state: StateDocument): string[] {
  return Object.keys(state.boot.identities).filter((s) => state.boot.identities[s]!.roles.includes('council_voter')).sort();
}

/**
 * Minimum quorum (brief open question 2, docs/quorum.md): a strict majority of the electorate, and never fewer than
 * the configured min_votes. A majority means two certificates for different sets in one election cannot both exist.
 */
export function requiredQuorum(state: StateDocument): number {
  return Math.max(state.council.min_votes, Math.floor(eligibleVoters(state).length / 2) + 1);
}

/** Why a single vote is unacceptable for (electionId, setHash), or null if it is a valid vote. */
export function voteProblem(
  state: StateDocument,
  vote: CouncilVote,
  electionId: string,
  setHash: string,
  verifier: SignatureVerifier,
): string | null {
  if (vote.election_id !== electionId) return `vote by ${vote.voter} is for election ${vote.election_id}, not ${electionId}`;
  if (vote.member_set_hash !== setHash) return `vote by ${vote.voter} is for another member set (${vote.member_set_hash})`;
  if (!state.boot.identities[vote.voter]?.roles.includes('council_voter')) return `vote by ${vote.voter}: not an eligible voter`;
  const key = publicKeyFromSigner(vote.voter);
  const sig = decodeSignature(vote.signature);
  if (key === null || sig === null || !verifier(key, voteSigningBytes(electionId, setHash), sig)) {
    return `vote by ${vote.voter}: signature does not verify`;
  }
  return null;
}

export const quorumCertificateGuard: Guard = (ctx) => {
  const inputs = ctx.proposal.inputs as unknown as { election_id: string; members: string[]; votes: CouncilVote[] };
  const { state } = ctx;
  const reasons: string[] = [];
  if (state.council.election_id !== inputs.election_id) {
    return { ok: false, code: 'quorum_certificate_invalid', reasons: [`election ${inputs.election_id} is not the open election (${state.council.election_id ?? 'none'})`] };
  }
  const setHash = memberSetHash(inputs.members);
  const voters = new Set<string>();
  for (const vote of inputs.votes) {
    const problem = voteProblem(state, vote, inputs.election_id, setHash, ctx.verifier);
    if (problem !== null) reasons.push(problem);
    else if (voters.has(vote.voter)) reasons.push(`duplicate vote by ${vote.voter}`);
    else voters.add(vote.voter);
  }
  if (reasons.length > 0) return { ok: false, code: 'quorum_certificate_invalid', reasons };
  // Recorded votes were checked when recorded; count those for this set too.
  for (const vote of state.council.votes) {
    if (vote.election_id === inputs.election_id && vote.member_set_hash === setHash) voters.add(vote.voter);
  }
  const quorum = requiredQuorum(state);
  const electorate = eligibleVoters(state).length;
  if (voters.size < quorum) {
    return { ok: false, code: 'quorum_certificate_invalid', reasons: [`${voters.size} distinct valid votes for ${setHash}; quorum is ${quorum} of ${electorate}`] };
  }
  return { ok: true, reasons: [`${voters.size} of ${electorate} eligible voters signed member set ${setHash} (quorum ${quorum})`] };
};
