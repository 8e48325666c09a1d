// Majority math: the index a majority has matched, and the outcome of a vote.

/** The largest index that a majority of `voters` has matched (the commit candidate). */
export function majorityIndex(voters: readonly string[], matched: (id: string) => number): number {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER;
  const sorted = voters.map(matched).sort((a, b) => b - a);
  return sorted[Math.floor(voters.length / 2)]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies granted/rejected votes among `voters`. */
export function voteResult(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteResult {
  const need = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let missing = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === true) granted++;
    else if (g === undefined) missing++;
  }
  if (granted >= need) return 'won';
  if (granted + missing >= need) return 'pending';
  return 'lost';
}
