// SHHH fake (docs/integrations/shhh.md): the current policy with an etag, and /_fake/policy to publish a new one.
import { DEFAULT_REDACTION_RULES, type RedactionRule } from '../../src/core/redaction.ts';
import { fail, requireMessage, startFakeServer, type CommonControls, type CommonOptions, type FakeRequest, type FakeResponse, type RunningFake } from './fake-server.ts';

export interface ShhhPolicy {
  type: 'shhh.policy.v1';
  version: number;
  rules: unknown[];
  redact_fields: string[];
  redaction_rules: RedactionRule[];
}

export interface ShhhFakeOptions extends CommonOptions {
  policy?: ShhhPolicy;
}

export type ShhhControls = CommonControls;

/** SHHH starts with the same secret detectors SWOOSH applies when a genesis names none. */
export { DEFAULT_REDACTION_RULES };

export function defaultPolicy(): ShhhPolicy {
  return { type: 'shhh.policy.v1', version: 1, rules: [], redact_fields: ['comment'], redaction_rules: structuredClone([...DEFAULT_REDACTION_RULES]) };
}

/** The schema cannot say a pattern compiles; SHHH compiles every one in Unicode mode before publishing. */
function checkPatterns(policy: ShhhPolicy): void {
  for (const r of policy.redaction_rules) {
    try {
      new RegExp(r.pattern, `u${r.flags ?? ''}`);
    } catch (e) {
      fail(400, 'invalid_request', `redaction rule ${r.id}: ${(e as Error).message}`);
    }
  }
}

/** `if-none-match` may list several entity tags, weak or strong, or `*`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

export async function startShhhFake(options: ShhhFakeOptions = {}): Promise<RunningFake<ShhhControls>> {
  const initial = options.policy ?? defaultPolicy();
  requireMessage('shhh.policy.v1', initial);
  checkPatterns(initial);
  let policy = structuredClone(initial);

  function getPolicy(req: FakeRequest): FakeResponse {
    const etag = `"${policy.version}"`;
    if (matchesEtag(req.headers['if-none-match'], etag)) return { status: 304, headers: { etag } };
    return { status: 200, headers: { etag }, body: policy };
  }

  function publish(body: unknown): FakeResponse {
    requireMessage('shhh.policy.v1', body);
    const next = structuredClone(body) as ShhhPolicy;
    checkPatterns(next);
    if (next.version <= policy.version) fail(409, 'version_not_increasing', `version ${next.version} is not greater than the current ${policy.version}`);
    policy = next;
    return { status: 200, headers: { etag: `"${policy.version}"` }, body: policy };
  }

  return startFakeServer<Record<never, never>>(
    {
      kind: 'shhh',
      system: 'shhh',
      controls: { defaults: {}, checks: {} },
      reset: () => {
        policy = structuredClone(initial);
      },
      routes: [{ method: 'GET', pattern: '/v1/policy', handler: getPolicy }],
      fakeRoutes: [{ method: 'POST', pattern: '/_fake/policy', handler: (req) => publish(req.body) }],
    },
    options,
  );
}
