// HMMM fake (docs/integrations/hmmm.md): a board per election; checks shapes, never signatures.
import { memberSetHash } from '../../src/core/council-vote.ts';
import {
  derivedPrng,
  fail,
  isInt,
  requireMessage,
  startFakeServer,
  type CommonControls,
  type CommonOptions,
  type FakeResponse,
  type RunningFake,
} from './fake-server.ts';

export interface HmmmFakeOptions extends CommonOptions {}

export interface HmmmControls extends CommonControls {
  duplicate_permille: number;
}

interface Election {
  ballots: Map<string, { member_set_hash: string; members: string[] }>;
  votes: unknown[];
}

export function startHmmmFake(options: HmmmFakeOptions = {}): Promise<RunningFake<HmmmControls>> {
  const seed = options.seed ?? 1;
  let elections = new Map<string, Election>();
  let duplicates = derivedPrng(seed, 'hmmm-duplicate');
  let duplicatePermille = 0;

  const election = (id: string): Election => {
    let e = elections.get(id);
    if (e === undefined) {
      e = { ballots: new Map(), votes: [] };
      elections.set(id, e);
    }
    return e;
  };

  function sameElection(pathId: string, body: unknown): void {
    const bodyId = (body as { election_id: string }).election_id;
    if (bodyId !== pathId) fail(400, 'invalid_request', `election_id ${JSON.stringify(bodyId)} in the body does not match ${JSON.stringify(pathId)} in the path`);
  }

  function postBallot(id: string, body: unknown): FakeResponse {
    requireMessage('hmmm.ballot.v1', body);
    sameElection(id, body);
    const members = [...(body as { members: string[] }).members];
    const hash = memberSetHash(members);
    // Posting the same set twice is one ballot: the hash names it.
    const ballots = election(id).ballots;
    if (!ballots.has(hash)) ballots.set(hash, { member_set_hash: hash, members });
    return { status: 201, body: { type: 'hmmm.ballot.v1', election_id: id, member_set_hash: hash, members } };
  }

  function postVote(id: string, body: unknown): FakeResponse {
    requireMessage('hmmm.vote.v1', body);
    sameElection(id, body);
    const votes = election(id).votes;
    votes.push(structuredClone(body));
    // A transport that redelivers: the same vote listed twice.
    if (duplicatePermille > 0 && duplicates.chance(duplicatePermille)) votes.push(structuredClone(body));
    return { status: 202 };
  }

  /** Stores any JSON object as a vote of its `election_id`, unchecked: forged and malformed votes for tests. */
  function injectVote(body: unknown): FakeResponse {
    const id = (body as { election_id?: unknown } | null)?.election_id;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof id !== 'string' || id === '') {
      fail(400, 'invalid_request', 'an injected vote must be a JSON object with a non-empty string election_id');
    }
    election(id).votes.push(structuredClone(body));
    return { status: 202 };
  }

  function getElection(id: string): FakeResponse {
    const e = elections.get(id);
    return {
      status: 200,
      body: { type: 'hmmm.election.v1', election_id: id, ballots: e === undefined ? [] : [...e.ballots.values()], votes: e?.votes ?? [] },
    };
  }

  return startFakeServer<{ duplicate_permille: number }>(
    {
      kind: 'hmmm',
      system: 'hmmm',
      controls: { defaults: { duplicate_permille: 0 }, checks: { duplicate_permille: isInt(0, 1000) } },
      onControl: (_prev, next) => {
        duplicatePermille = next.duplicate_permille;
      },
      reset: () => {
        elections = new Map();
        duplicates = derivedPrng(seed, 'hmmm-duplicate');
      },
      routes: [
        { method: 'POST', pattern: '/v1/elections/:election_id/ballots', handler: (req) => postBallot(req.params.election_id!, req.body) },
        { method: 'POST', pattern: '/v1/elections/:election_id/votes', handler: (req) => postVote(req.params.election_id!, req.body) },
        { method: 'GET', pattern: '/v1/elections/:election_id', handler: (req) => getElection(req.params.election_id!) },
      ],
      fakeRoutes: [{ method: 'POST', pattern: '/_fake/inject-vote', handler: (req) => injectVote(req.body) }],
    },
    options,
  );
}
