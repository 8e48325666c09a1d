// The KACHING license adapter against its fake: fail closed until licensed, grace on an outage or a denial, the
// hard stop of external calls at grace expiry, and recovery. Time is a test clock shared by replica, adapters
// and fakes, so grace periods pass instantly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackbeatAdapter } from '../../src/adapters/backbeat-adapter.ts';
import { KachingAdapter } from '../../src/adapters/kaching-adapter.ts';
import { McpAdapter } from '../../src/adapters/mcp-adapter.ts';
import { Secret } from '../../src/secrets/secret-value.ts';
import { startFake } from '../../chaos/fakes/index.ts';
import { keys } from '../support/fixtures.ts';
import { TestClock } from '../support/replica-harness.ts';
import { configOk, metricValue, requestCount, rig } from './support.ts';

const LICENSE = 'test-license-key';
const VALID_FOR = 600_000;
const GRACE = 60_000;

async function licenseRig(options: { failuresForOutage?: number; timeoutMs?: number } = {}) {
  const clock = new TestClock();
  const kaching = await startFake('kaching', { now: clock.now, licenses: { [LICENSE]: 'lic-test' }, valid_for_ms: VALID_FOR });
  const mcp = await startFake('mcp', { now: clock.now, tools: { git: '2.4.1' } });
  const backbeat = await startFake('backbeat', { now: clock.now, epoch_ms: clock.ms, tempo_bpm: 60, bar_beats: 6, phase_beats: { plan: 2, execute: 2, review: 2 } });
  const license = new KachingAdapter({ clusterId: 'c-test', licenseKey: new Secret(LICENSE), random: () => 0.5, failuresForOutage: options.failuresForOutage ?? 2 });
  const r = await rig(
    clock,
    [
      { adapter: license, url: kaching.url, key: keys.lic, role: 'license_adapter', timeoutMs: options.timeoutMs },
      { adapter: new McpAdapter({ pins: { git: '2.4.1' }, hysteresisMs: 0 }), url: mcp.url, key: keys.mcp, role: 'mcp_adapter' },
      { adapter: new BackbeatAdapter(), url: backbeat.url, key: keys.win, role: 'window_adapter' },
    ],
    { license: { grace_ms: GRACE } },
  );
  return {
    r,
    clock,
    license,
    kaching,
    mcp,
    backbeat,
    close: async () => {
      await r.close();
      await Promise.all([kaching.close(), mcp.close(), backbeat.close()]);
    },
  };
}

test('KACHING: fail closed until licensed, grace on an outage, hard stop at grace expiry, then recovery', async () => {
  const t = await licenseRig();
  try {
    const { r, clock } = t;
    await r.tick('kaching');
    assert.equal(r.state().boot.license.verdict, 'valid', 'the first verdict is recorded before anything else');
    assert.equal(r.state().boot.license.grace_ms, GRACE, 'the verdict carries the configured grace');

    await r.tick('backbeat');
    assert.equal(await requestCount(t.backbeat), 0, 'no outbound call but the license check until LICENSE_CHECK passes');
    assert.equal(await metricValue(r, 'swoosh_adapter_outbound_refused_total', { system: 'backbeat', code: 'license_not_checked' }), 1, 'the refusal is counted');

    assert.equal((await configOk(r)).kind, 'accepted', 'the operator boots');
    await r.tick('kaching');
    assert.equal(r.state().configuration.top, 'PROJECT_LIFECYCLE', 'the adapter proposes Boot_Licensed on a valid verdict');

    await r.tick('mcp');
    assert.ok((await requestCount(t.mcp)) > 0, 'after LICENSE_CHECK the other adapters may call out');
    assert.notEqual(r.state().council.mcp, null, 'and their facts are recorded');

    // KACHING goes away: one failure is not an outage, two are.
    await t.kaching.control({ down: true });
    clock.advance(VALID_FOR / 2 + 1);
    await r.tick('kaching');
    assert.equal(r.state().boot.license.verdict, 'valid', 'a single failed refresh records nothing');
    clock.advance(1_001);
    await r.tick('kaching');
    assert.equal(r.state().boot.license.verdict, 'unavailable', 'a sustained outage is recorded as verdict unavailable');
    await r.tick('kaching');
    assert.equal(r.state().control.phase, 'DEGRADED', 'the cluster enters the DEGRADED grace substate');
    assert.match(r.state().control.reason ?? '', /^license: KACHING unavailable/, 'with the reason in the state');

    const before = await requestCount(t.mcp);
    await r.tick('mcp');
    assert.ok((await requestCount(t.mcp)) > before, 'during grace, external calls continue');

    clock.advance(VALID_FOR / 2 + GRACE); // past valid_until + grace
    const atExpiry = await requestCount(t.mcp);
    await r.tick('mcp');
    await r.tick('backbeat');
    assert.equal(await requestCount(t.mcp), atExpiry, 'at grace expiry every outbound adapter call is refused');
    assert.equal(await requestCount(t.backbeat), 0, 'BACKBEAT too');
    assert.ok((await metricValue(r, 'swoosh_adapter_outbound_refused_total', { system: 'mcp', code: 'license_external_comms_stopped' })) >= 1, 'and counted as stopped');

    await t.kaching.control({ down: false });
    clock.advance(61_000); // past the breaker's open period
    await r.tick('kaching');
    assert.equal(r.state().boot.license.verdict, 'valid', 'the license check itself is never gated: a new valid verdict is recorded');
    await r.tick('kaching');
    assert.equal(r.state().configuration.top, 'PROJECT_LIFECYCLE', 'Control_Restore returns to the configuration before DEGRADED');
    await r.tick('mcp');
    assert.ok((await requestCount(t.mcp)) > atExpiry, 'external calls resume once the license is valid again');

    const drs = await r.replica.decisions(0, 100);
    const restore = drs.find((d) => d.decision.transition === 'Control_Restore');
    assert.ok(restore !== undefined, 'Control_Restore has a decision record');
    assert.deepEqual(restore.decision.guard_outcomes.map((g) => [g.guard, g.ok]), [['license_valid', true]], 'whose guard rationale says the license is valid');
    assert.ok(restore.decision.evidence.some((e) => e.startsWith('ucxl://kaching:license_adapter@test:license/')), `with a UCXL backlink: ${restore.decision.evidence.join(', ')}`);
    const verdicts = drs.filter((d) => d.decision.transition === 'License_RecordVerdict');
    assert.ok(verdicts.every((d) => !JSON.stringify(d.decision).includes(LICENSE)), 'the license key never reaches a decision record');
  } finally {
    await t.close();
  }
});

test('KACHING: a denial is recorded as an invalid verdict and degrades the cluster', async () => {
  const t = await licenseRig();
  try {
    const { r, clock } = t;
    await r.tick('kaching');
    await configOk(r);
    await r.tick('kaching');
    assert.equal(r.state().configuration.top, 'PROJECT_LIFECYCLE', 'licensed first');
    await t.kaching.control({ deny: true });
    clock.advance(VALID_FOR / 2 + 1);
    await r.tick('kaching');
    assert.equal(r.state().boot.license.verdict, 'invalid', 'the denial is a recorded fact');
    await r.tick('kaching');
    assert.equal(r.state().control.phase, 'DEGRADED', 'and the cluster degrades');
    assert.match(r.state().control.reason ?? '', /license verdict invalid/, 'saying why');
  } finally {
    await t.close();
  }
});

test('KACHING: a slow server times out, and in BOOT a cached verdict gives the GRACE substate', async () => {
  const t = await licenseRig({ timeoutMs: 150, failuresForOutage: 1 });
  try {
    const { r, clock } = t;
    await r.tick('kaching');
    await configOk(r);
    assert.equal(r.state().boot.phase, 'LICENSE_CHECK.VERIFYING', 'booted');
    // Let the cached verdict lapse so Boot_Licensed is not possible, then make KACHING slow.
    clock.advance(VALID_FOR + 1);
    await t.kaching.control({ latency_ms: 2_000 });
    await r.tick('kaching');
    assert.equal(await metricValue(r, 'swoosh_adapter_requests_total', { system: 'kaching', result: 'timeout' }), 1, 'the slow answer is a timeout');
    assert.equal(r.state().boot.license.verdict, 'unavailable', 'recorded as unavailable');
    await r.tick('kaching');
    assert.equal(r.state().boot.phase, 'LICENSE_CHECK.GRACE', 'Boot_LicenseGrace: running on the cached verdict until grace expiry');
  } finally {
    await t.close();
  }
});
