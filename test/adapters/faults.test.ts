// Every adapter under its system's faults: a slow answer (timeout), a denial and a flapping server give no
// fact (for MCP: no healthy fact) and no crash, are counted by result, and the adapter catches up once the system behaves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Adapter } from '../../src/adapters/adapter.ts';
import { BackbeatAdapter } from '../../src/adapters/backbeat-adapter.ts';
import { HmmmAdapter } from '../../src/adapters/hmmm-adapter.ts';
import { McpAdapter } from '../../src/adapters/mcp-adapter.ts';
import { ShhhAdapter } from '../../src/adapters/shhh-adapter.ts';
import { memberSetHash, voteSigningBytes } from '../../src/core/council-vote.ts';
import type { SigningKey } from '../../src/workload/signing-key.ts';
import { startFake, type FakeKind, type RunningFake } from '../../chaos/fakes/index.ts';
import { keys } from '../support/fixtures.ts';
import { TestClock } from '../support/replica-harness.ts';
import { licensed, metricValue, rig, type Rig } from './support.ts';

interface Case {
  readonly kind: Exclude<FakeKind, 'kaching' | 'environment'>;
  readonly role: string;
  readonly key: SigningKey;
  readonly adapter: () => Adapter;
  readonly fakeOptions: (clock: TestClock) => Record<string, unknown>;
  /** Puts the state and the fake where the adapter has a fact to propose. */
  readonly prepare: (r: Rig, fake: RunningFake) => Promise<void>;
  /** A number that grows when the adapter's fact lands. */
  readonly progress: (r: Rig) => number;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.ok, `POST ${url}: ${res.status}`);
}

const CASES: readonly Case[] = [
  {
    kind: 'backbeat',
    role: 'window_adapter',
    key: keys.win,
    adapter: () => new BackbeatAdapter(),
    fakeOptions: (clock) => ({ epoch_ms: clock.ms, tempo_bpm: 60, bar_beats: 6, phase_beats: { plan: 2, execute: 2, review: 2 } }),
    prepare: async () => {},
    progress: (r) => r.state().execution.windows.length,
  },
  {
    kind: 'hmmm',
    role: 'council_agent',
    key: keys.council,
    adapter: () => new HmmmAdapter(),
    fakeOptions: () => ({}),
    prepare: async (r, fake) => {
      const opened = await r.as(keys.council, 'council_agent', 'Council_ProfilesLoaded', { election_id: 'E-9', roles: [{ role: 'executor', seats: 1 }] });
      assert.equal(opened.kind, 'accepted', 'election opened');
      const members = [keys.exec.signer];
      const setHash = memberSetHash(members);
      await post(`${fake.url}/v1/elections/E-9/ballots`, { type: 'hmmm.ballot.v1', election_id: 'E-9', members });
      for (const v of [keys.v1, keys.v2]) {
        await post(`${fake.url}/v1/elections/E-9/votes`, { type: 'hmmm.vote.v1', election_id: 'E-9', member_set_hash: setHash, voter: v.signer, signature: v.signBytes(voteSigningBytes('E-9', setHash)) });
      }
    },
    progress: (r) => (r.state().council.quorum_cert === null ? 0 : 1),
  },
  {
    kind: 'mcp',
    role: 'mcp_adapter',
    key: keys.mcp,
    adapter: () => new McpAdapter({ pins: { git: '2.4.1' }, hysteresisMs: 0 }),
    fakeOptions: () => ({ tools: { git: '2.4.1' } }),
    prepare: async () => {},
    // A failed probe is itself a fact (unreachable); what must not appear is a healthy one.
    progress: (r) => (r.state().council.mcp?.reachable === true ? 1 : 0),
  },
  {
    kind: 'shhh',
    role: 'policy_engine',
    key: keys.shhh,
    adapter: () => new ShhhAdapter(),
    fakeOptions: () => ({}),
    prepare: async (_r, fake) => post(`${fake.url}/_fake/policy`, { type: 'shhh.policy.v1', version: 2, rules: [], redact_fields: ['comment'], redaction_rules: [] }),
    progress: (r) => r.state().policy.version,
  },
];

for (const c of CASES) {
  test(`${c.kind}: latency, denial and flapping give no fact and no crash; the adapter catches up after`, async () => {
    const clock = new TestClock();
    const fake = await startFake(c.kind, { now: clock.now, ...c.fakeOptions(clock) } as never);
    const r = await rig(clock, [{ adapter: c.adapter(), url: fake.url, key: c.key, role: c.role, timeoutMs: 150 }]);
    try {
      await licensed(r);
      await c.prepare(r, fake);
      clock.advance(500);
      const start = c.progress(r);
      const count = (result: string) => metricValue(r, 'swoosh_adapter_requests_total', { system: c.kind, result });

      await fake.control({ latency_ms: 1_000 });
      await r.tick(c.kind);
      assert.ok((await count('timeout')) >= 1, 'a slow answer is a timeout');
      assert.equal(c.progress(r), start, 'and gives no fact');

      await fake.control({ latency_ms: 0, deny: true });
      await r.tick(c.kind);
      assert.ok((await count('http')) >= 1, 'a denial is an HTTP failure');
      assert.equal(c.progress(r), start, 'and gives no fact');

      await fake.control({ deny: false, flap: { period_ms: 2_000, down_ms: 1_000 } });
      await r.tick(c.kind); // in the down half of the flap
      assert.ok((await count('network')) >= 1, 'a flapped-down server is a network error');
      assert.equal(c.progress(r), start, 'and gives no fact');

      clock.advance(1_000); // the up half
      await r.tick(c.kind);
      assert.ok(c.progress(r) > start, `the adapter catches up when ${c.kind} answers again`);
    } finally {
      await r.close();
      await fake.close();
    }
  });
}
