// HMMM council votes: the member set hash and the bytes a voter signs (docs/proposal-contract.md).
import { canonicalBytes } from './canonical-json.ts';
import { digestJson, type Digest } from './digest.ts';

/** Hash of a council member set: order and duplicates do not matter. */
export function memberSetHash(members: readonly string[]): Digest {
  return digestJson({ type: 'swoosh.council_members.v1', members: [...new Set(members)].sort() });
}

/** A vote signs (election_id, member_set_hash) under its own type tag, so it can never pass for a proposal. */
export function voteSigningBytes(electionId: string, setHash: string): Uint8Array {
  return canonicalBytes({ type: 'swoosh.council_vote.v1', election_id: electionId, member_set_hash: setHash });
}
