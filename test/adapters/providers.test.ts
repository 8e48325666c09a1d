// BACKBEAT, HMMM, MCP and SHHH adapters against their fakes: the happy path, malformed and hostile input,
// flapping, and quarantine. Replica, adapters and fakes share a test clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackbeatAdapter, windowFactId } from '../../src/adapters/backbeat-adapter.ts';
import { countVotes, HmmmAdapter } from '../../src/adapters/hmmm-adapter.ts';
import { McpAdapter } from '../../src/adapters/mcp-adapter.ts';
import { ShhhAdapter } from '../../src/adapters/shhh-adapter.ts';
import { memberSetHash, voteSigningBytes } from '../../src/core/council-vote.ts';
import { tidalPressure } from '../../src/core/window.ts';
import type { SigningKey } from '../../src/workload/signing-key.ts';
import { startFake } from '../../chaos/fakes/index.ts';
import { keys } from '../support/fixtures.ts';
import { TestClock } from '../support/replica-harness.ts';
import { licensed, metricValue, rig } from './support.ts';

test('BACKBEAT: the first frame of each bar phase becomes a window fact; malformed frames are dropped and counted', async () => {
  const clock = new TestClock();
  const fake = await startFake('backbeat', { now: clock.now, epoch_ms: clock.ms, tempo_bpm: 60, bar_beats: 6, phase_beats: { plan: 2, execute: 2, review: 2 } });
  const r = await rig(clock, [{ adapter: new BackbeatAdapter(), url: fake.url, key: keys.win, role: 'window_adapter' }]);
  try {
    await licensed(r);
    clock.advance(500);
    await r.tick('backbeat');
    const first = r.state().execution.windows;
    assert.equal(first.length, 1, `one window after the first beat: ${JSON.stringify(first)}`);
    assert.equal(first[0]!.phase, 'plan', 'bar 0 opens with plan');
    assert.match(first[0]!.window_id, /^backbeat:[0-9a-f]{32}:plan$/, 'named after the bar window_id and the phase');
    assert.equal(first[0]!.opens_at_ms, clock.ms - 500, 'opens at the beat');
    assert.equal(first[0]!.closes_at_ms - first[0]!.opens_at_ms, 2_000, 'closes at deadline_at: 2 beats of 1 s');
    assert.equal(first[0]!.pressure_permille, tidalPressure(r.state().execution.schedule, 0), 'tidal pressure from the schedule');

    clock.advance(2_000); // beat 2: execute
    await r.tick('backbeat');
    clock.advance(2_000); // beat 4: review
    await r.tick('backbeat');
    const phases = r.state().execution.windows.map((w) => w.phase);
    assert.deepEqual(phases, ['plan', 'execute', 'review'], 'one window per phase, in bar order');
    const barIds = new Set(r.state().execution.windows.map((w) => w.window_id.split(':')[1]));
    assert.equal(barIds.size, 1, 'all three in the same bar');

    await fake.control({ malformed_permille: 1000 });
    clock.advance(2_000); // beat 6: downbeat of bar 1, but every frame is corrupted
    await r.tick('backbeat');
    assert.equal(r.state().execution.windows.length, 3, 'no fact from a malformed frame');
    assert.ok((await metricValue(r, 'swoosh_adapter_invalid_total', { system: 'backbeat' })) >= 1, 'malformed frames are counted');
    await fake.control({ malformed_permille: 0 });
    clock.advance(1_000); // beat 7: still bar 1's plan phase
    await r.tick('backbeat');
    const last = r.state().execution.windows.at(-1)!;
    assert.equal(last.phase, 'plan', 'the next good frame records the bar 1 plan window');
    assert.notEqual(last.window_id, windowFactId({ window_id: [...barIds][0]!, phase: 'plan' }), 'under a new window_id');
  } finally {
    await r.close();
    await fake.close();
  }
});

function vote(electionId: string, setHash: string, voter: SigningKey, signer: SigningKey = voter) {
  return { type: 'hmmm.vote.v1', election_id: electionId, member_set_hash: setHash, voter: voter.signer, signature: signer.signBytes(voteSigningBytes(electionId, setHash)) };
}

test('HMMM: forged, duplicated, ineligible and off-ballot votes do not count; a quorum of valid votes makes the certificate', async () => {
  const clock = new TestClock();
  const fake = await startFake('hmmm', { now: clock.now });
  const r = await rig(clock, [{ adapter: new HmmmAdapter(), url: fake.url, key: keys.council, role: 'council_agent' }]);
  try {
    await licensed(r);
    const opened = await r.as(keys.council, 'council_agent', 'Council_ProfilesLoaded', { election_id: 'E-1', roles: [{ role: 'reviewer', seats: 2 }, { role: 'executor', seats: 1 }] });
    assert.equal(opened.kind, 'accepted', `election opened: ${opened.reasons.join('; ')}`);
    const members = [keys.exec.signer, keys.r1.signer, keys.r2.signer].sort();
    const setHash = memberSetHash(members);
    const post = (path: string, body: unknown) => fetch(`${fake.url}/v1/elections/E-1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/ballots', { type: 'hmmm.ballot.v1', election_id: 'E-1', members })).status, 201, 'ballot posted');
    const hostile = [
      vote('E-1', setHash, keys.v1),
      vote('E-1', setHash, keys.v1), // duplicate delivery
      vote('E-1', setHash, keys.v2, keys.v3), // forged: v2's name, v3's signature
      vote('E-1', setHash, keys.stranger), // not an eligible voter
      vote('E-1', memberSetHash([keys.exec.signer]), keys.v3), // for another member set
    ];
    for (const v of hostile) assert.equal((await post('/votes', v)).status, 202, 'HMMM carries every vote');
    const counted = countVotes(r.state(), 'E-1', { member_set_hash: setHash, members }, hostile);
    assert.deepEqual(counted.valid.map((v) => v.voter), [keys.v1.signer], 'only v1 counts');
    assert.ok(counted.problems.some((p) => /duplicate vote/.test(p)), `duplicate refused: ${counted.problems.join(' | ')}`);
    assert.ok(counted.problems.some((p) => /signature does not verify/.test(p)), 'forgery refused');
    assert.ok(counted.problems.some((p) => /not an eligible voter/.test(p)), 'stranger refused');

    await r.tick('hmmm');
    assert.equal(r.state().council.phase, 'ELECT', 'one valid vote is below the quorum of 2: no certificate');
    assert.equal(await post('/votes', vote('E-1', setHash, keys.v2)).then((x) => x.status), 202, 'v2 votes honestly');
    await r.tick('hmmm');
    assert.equal(r.state().council.phase, 'TOOLING_SYNC', 'a quorum of valid votes: Council_QuorumCert accepted');
    assert.deepEqual([...r.state().council.quorum_cert!.voters].sort(), [keys.v1.signer, keys.v2.signer].sort(), 'the certificate names the two valid voters');
    assert.equal(r.state().council.member_set_hash, setHash, 'and pins the ballot member set');
  } finally {
    await r.close();
    await fake.close();
  }
});

test('MCP: a registry flapping faster than the hysteresis never flaps the state; a sustained change is recorded', async () => {
  const clock = new TestClock();
  const fake = await startFake('mcp', { now: clock.now, tools: { git: '2.4.1', 'fs.read': '1.2.0' } });
  const r = await rig(clock, [{ adapter: new McpAdapter({ pins: { git: '2.4.1', 'fs.read': '1.2.0' }, hysteresisMs: 5_000, refreshMs: 60_000 }), url: fake.url, key: keys.mcp, role: 'mcp_adapter' }]);
  const facts = async () => (await r.replica.decisions(0, 500)).filter((d) => d.decision.transition === 'Mcp_RecordHealth' && d.decision.outcome === 'accepted').length;
  try {
    await licensed(r);
    await r.tick('mcp');
    assert.equal(r.state().council.mcp?.reachable, true, 'the first probe is recorded at once');
    assert.equal(r.state().council.mcp?.pins_ok, true, 'pins satisfied');
    for (let i = 0; i < 12; i++) {
      await fake.control({ down: i % 2 === 0 });
      clock.advance(1_000);
      await r.tick('mcp');
    }
    assert.equal(await facts(), 1, 'twelve probes flapping every second: no new fact');
    assert.equal(r.state().council.mcp?.reachable, true, 'the state did not flap');

    await fake.control({ down: true });
    for (let i = 0; i < 6; i++) {
      clock.advance(1_000);
      await r.tick('mcp');
    }
    assert.equal(r.state().council.mcp?.reachable, false, 'down for longer than the hysteresis: recorded unreachable');

    await fake.control({ down: false, tools: { git: '2.5.0', 'fs.read': '1.2.0' } });
    for (let i = 0; i < 6; i++) {
      clock.advance(1_000);
      await r.tick('mcp');
    }
    assert.equal(r.state().council.mcp?.reachable, true, 'back up');
    assert.equal(r.state().council.mcp?.pins_ok, false, 'but a version pin is broken');
    assert.deepEqual(r.state().council.mcp?.mismatched, ['git wants 2.4.1, has 2.5.0'], 'naming the tool');

    const n = await facts();
    clock.advance(60_000);
    await r.tick('mcp');
    assert.equal(await facts(), n + 1, 'an unchanged verdict is re-proposed after refresh_ms, so it stays fresh');
  } finally {
    await r.close();
    await fake.close();
  }
});

test('SHHH: a newer policy is proposed; a breach quarantines; only a policy update or an allowed role releases', async () => {
  const clock = new TestClock();
  const fake = await startFake('shhh', { now: clock.now });
  const r = await rig(clock, [{ adapter: new ShhhAdapter(), url: fake.url, key: keys.shhh, role: 'policy_engine' }]);
  const publish = async (version: number, rules: unknown[]) => {
    const res = await fetch(`${fake.url}/_fake/policy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'shhh.policy.v1', version, rules, redact_fields: ['comment'], redaction_rules: [{ id: 'bearer-token', pattern: 'bearer\\s+[A-Za-z0-9._~+/-]+=*', flags: 'i', severity: 'high' }] }) });
    assert.ok(res.ok, `published v${version}: ${res.status}`);
  };
  try {
    await licensed(r);
    await r.tick('shhh');
    assert.equal(r.state().policy.version, 1, 'the fake starts at the genesis version: nothing to propose');
    await publish(2, [{ id: 'no-big-allocations', when: { transition: 'Environment_CapacityOk', input: 'allocations.0.units', at_least: 1000 }, rationale: 'allocations over 1000 units need a human' }]);
    await r.tick('shhh');
    assert.equal(r.state().policy.version, 2, 'Policy_Update accepted');
    assert.equal(r.state().policy.rules[0]?.id, 'no-big-allocations', 'with the published rules');

    const breach = await r.as(keys.env, 'environment_agent', 'Environment_CapacityOk', { allocations: [{ resource: 'gpu', units: 5000 }] });
    assert.equal(breach.kind, 'quarantined', 'the breach quarantines');
    assert.equal(r.state().configuration.top, 'QUARANTINED', 'the machine is QUARANTINED');
    assert.equal(r.state().policy.rule_id, 'no-big-allocations', 'with the rule and its rationale');

    const wrongRole = await r.as(keys.env, 'environment_agent', 'Policy_HumanRelease', { justification: 'let me out' });
    assert.equal(wrongRole.code, 'signer_not_authorized', 'an agent cannot release a quarantine');
    assert.equal(r.state().configuration.top, 'QUARANTINED', 'still quarantined');

    await publish(3, []);
    await r.tick('shhh');
    assert.equal(r.state().policy.version, 3, 'the new policy is applied');
    assert.equal(r.state().configuration.top, 'PROJECT_LIFECYCLE', 'as Policy_UpdateRelease, which releases the quarantine');
  } finally {
    await r.close();
    await fake.close();
  }
});
