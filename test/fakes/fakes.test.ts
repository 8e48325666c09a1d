// The fake external systems against their contracts (docs/integrations/*.md): shapes, controls, faults, state.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CONTRACT_SCHEMA_DIR, contractTypes, validateContract } from '../../src/adapters/contract-schemas.ts';
import { memberSetHash } from '../../src/core/council-vote.ts';
import { sha256Hex } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import { fakesCommand } from '../../chaos/fakes/fakes-command.ts';
import { COMMON_DEFAULTS } from '../../chaos/fakes/fake-server.ts';
import { FAKE_KINDS, startAllFakes, startFake, type FakeKind } from '../../chaos/fakes/index.ts';
import { DEFAULT_REDACTION_RULES } from '../../chaos/fakes/shhh-fake.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const T0 = Date.UTC(2026, 10, 22, 22, 0, 0, 0);

/** A hand-driven wall clock. */
function clock(start = T0): { now: () => number; set(ms: number): void; advance(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(base: string, path: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const res = await fetch(base + path, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** The request must fail at the network level (no HTTP answer at all). */
async function assertNetworkError(base: string, path: string, message: string): Promise<void> {
  await assert.rejects(fetch(base + path), (e: Error) => e instanceof TypeError, message);
}

function assertContract(type: string, value: unknown, message: string): void {
  const check = validateContract(type, value);
  assert.deepEqual(check, { ok: true }, `${message}: ${JSON.stringify(value)} is not a valid ${type}`);
}

function assertError(reply: Reply, system: string, status: number, code: string, message: string): void {
  assert.equal(reply.status, status, `${message}: status`);
  assertContract(`${system}.error.v1`, reply.body, `${message}: error body`);
  assert.equal((reply.body as { code: string }).code, code, `${message}: error code`);
}

/** Starts a fake for one test and closes it afterwards, whatever happens. */
async function withFake<K extends FakeKind>(kind: K, options: Parameters<typeof startFake<K>>[1], body: (fake: Awaited<ReturnType<typeof startFake<K>>>) => Promise<void>): Promise<void> {
  const fake = await startFake(kind, { host: '127.0.0.1', port: 0, ...options });
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

const VOTER = (c: string): string => `hmmm:pubkey:${c.repeat(43)}`;
const SIGNATURE = 'S'.repeat(86);
const VERIFY = { type: 'kaching.verify.v1', license_key: 'demo-license-key', cluster_id: 'cluster-1', product: 'swoosh' };

/** One harmless contract request per kind, answered 200 when no fault is on. */
const PROBE: Record<FakeKind, { path: string; body?: unknown }> = {
  kaching: { path: '/v1/license/verify', body: VERIFY },
  backbeat: { path: '/v1/beats/latest' },
  hmmm: { path: '/v1/elections/E-1' },
  mcp: { path: '/v1/health' },
  shhh: { path: '/v1/policy' },
  environment: { path: '/v1/capacity' },
};

describe('contract schemas', () => {
  test('every schema file is named after the type it accepts and compiles', () => {
    const files = readdirSync(CONTRACT_SCHEMA_DIR).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 20, `expected a schema per message type, found ${files.length}`);
    for (const f of files) {
      const schema = JSON.parse(readFileSync(join(CONTRACT_SCHEMA_DIR, f), 'utf8')) as { $schema: string; title: string; properties: { type: { const: string } } };
      const type = f.slice(0, -5);
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', `${f} declares draft 2020-12`);
      assert.equal(schema.title, type, `${f} title`);
      assert.equal(schema.properties.type.const, type, `${f} pins its type tag`);
      const check = validateContract(type, {});
      assert.equal(check.ok, false, `${type}: an empty object must not pass`);
    }
    assert.deepEqual(contractTypes(), files.map((f) => f.slice(0, -5)).sort(), 'contractTypes() lists the files');
  });

  test('every message type named in the contracts has a schema', () => {
    const docs = readdirSync(join(ROOT, 'docs', 'integrations')).filter((f) => f.endsWith('.md'));
    const named = new Set<string>();
    for (const f of docs) for (const m of readFileSync(join(ROOT, 'docs', 'integrations', f), 'utf8').matchAll(/\b((?:kaching|backbeat|hmmm|mcp|shhh|environment)\.[a-z]+\.v1)\b/g)) named.add(m[1]!);
    const missing = [...named].filter((t) => !contractTypes().includes(t));
    assert.deepEqual(missing, [], 'message types in docs/integrations without a schema');
  });

  test('an unknown type, a wrong tag and a wrongly typed field all fail with reasons', () => {
    const unknown = validateContract('nope.thing.v1', {});
    assert.equal(unknown.ok, false, 'unknown type fails');
    assert.equal(validateContract('../package', {}).ok, false, 'a path is not a type');
    const verdict = { type: 'kaching.verdict.v1', verdict: 'valid', license_id: 'l', cluster_id: 'c', issued_at: '2026-11-22T22:00:00.000Z', valid_until: '2026-11-22T23:00:00.000Z', token: 't', reason: null };
    assertContract('kaching.verdict.v1', verdict, 'a well-formed verdict');
    assertContract('kaching.verdict.v1', { ...verdict, extra: 1 }, 'unknown fields are ignored');
    const wrongTag = validateContract('kaching.verdict.v1', { ...verdict, type: 'kaching.verdict.v2' });
    assert.equal(wrongTag.ok, false, 'a different type tag fails');
    const badTime = validateContract('kaching.verdict.v1', { ...verdict, valid_until: '2026-11-22T23:00:00Z' });
    assert.ok(!badTime.ok && badTime.reasons.some((r) => r.includes('/valid_until')), `a time without ms names the field: ${JSON.stringify(badTime)}`);
    assert.equal(validateContract('kaching.verdict.v1', { ...verdict, token: null }).ok, false, 'a valid verdict must carry a token');
    assert.equal(validateContract('kaching.verdict.v1', { ...verdict, verdict: 'invalid', token: null, reason: null }).ok, false, 'an invalid verdict must carry a reason');
  });
});

describe('common controls (every fake)', () => {
  test('every kind starts with the default controls and answers its probe with a valid message', async () => {
    const all = await startAllFakes({ seed: 5 });
    try {
      assert.deepEqual(Object.keys(all.urls), [...FAKE_KINDS], 'one url per kind');
      assert.equal(new Set(Object.values(all.urls)).size, 6, 'six distinct urls');
      for (const kind of FAKE_KINDS) {
        const url = all.urls[kind];
        const controls = (await call(url, '/_fake/control')).body as Record<string, unknown>;
        for (const [k, v] of Object.entries(COMMON_DEFAULTS)) assert.deepEqual(controls[k], v, `${kind}: default ${k}`);
        const probe = PROBE[kind];
        const reply = await call(url, probe.path, probe.body === undefined ? {} : { body: probe.body });
        assert.equal(reply.status, 200, `${kind}: probe answers 200`);
        const type = (reply.body as { type: string }).type;
        assert.ok(type.startsWith(`${kind}.`), `${kind}: probe answer is tagged ${type}`);
        assertContract(type, reply.body, `${kind}: probe answer`);
      }
    } finally {
      await all.close();
    }
  });

  test('deny, throttle and down apply to every kind; /_fake/* is never faulted', async () => {
    const all = await startAllFakes({ seed: 5 });
    try {
      for (const kind of FAKE_KINDS) {
        const url = all.urls[kind];
        const probe = PROBE[kind];
        const send = () => call(url, probe.path, probe.body === undefined ? {} : { body: probe.body });
        await call(url, '/_fake/control', { body: { throttle: true } });
        const throttled = await send();
        assertError(throttled, kind, 429, 'throttled', `${kind} throttled`);
        assert.equal(throttled.headers.get('retry-after'), '1', `${kind}: 429 carries retry-after: 1`);
        await call(url, '/_fake/control', { body: { throttle: false, deny: true } });
        const denied = await send();
        if (kind === 'kaching') {
          assert.equal(denied.status, 200, 'kaching denial is a verdict');
          assert.equal((denied.body as { verdict: string }).verdict, 'invalid', 'kaching deny → invalid verdict');
        } else assertError(denied, kind, 403, 'denied', `${kind} denied`);
        await call(url, '/_fake/control', { body: { deny: false, down: true } });
        await assertNetworkError(url, probe.path, `${kind}: down gives a network error`);
        assert.equal((await call(url, '/_fake/control')).status, 200, `${kind}: control API answers while down`);
        const stats = (await call(url, '/_fake/stats')).body as { faults: Record<string, number> };
        assert.deepEqual(stats.faults, { latency: 0, error: 0, down: 1, denied: 1, throttled: 1 }, `${kind}: each fault counted once`);
        await call(url, '/_fake/control', { body: { down: false } });
        assert.equal((await send()).status, 200, `${kind}: answers again once up`);
      }
    } finally {
      await all.close();
    }
  });

  test('POST /_fake/control merges, refuses unknown or ill-typed fields, and the in-process handle agrees', async () => {
    await withFake('mcp', {}, async (fake) => {
      const merged = (await call(fake.url, '/_fake/control', { body: { latency_ms: 5, error_status: 500 } })).body as Record<string, unknown>;
      assert.equal(merged.latency_ms, 5, 'latency_ms merged');
      assert.equal(merged.error_status, 500, 'error_status merged');
      assert.equal(merged.deny, false, 'other fields kept');
      const again = (await call(fake.url, '/_fake/control', { body: { jitter_ms: 1 } })).body as Record<string, unknown>;
      assert.equal(again.latency_ms, 5, 'a later partial keeps earlier fields');
      for (const bad of [{ bogus: 1 }, { latency_ms: -1 }, { error_permille: 1001 }, { down: 'yes' }, { flap: { period_ms: 10, down_ms: 11 } }, { error_status: 200 }, [1]]) {
        assertError(await call(fake.url, '/_fake/control', { body: bad }), 'mcp', 400, 'invalid_request', `control ${JSON.stringify(bad)} refused`);
      }
      assertError(await call(fake.url, '/_fake/control', { raw: '{nope' }), 'mcp', 400, 'invalid_request', 'malformed JSON control refused');
      assert.equal(((await call(fake.url, '/_fake/control')).body as { latency_ms: number }).latency_ms, 5, 'a refused control changes nothing');
      const inProcess = await fake.control({ throttle: true });
      assert.equal(inProcess.throttle, true, 'in-process control merges');
      assert.deepEqual((await call(fake.url, '/_fake/control')).body, inProcess, 'in-process and HTTP controls are the same object');
      await assert.rejects(fake.control({ latency_ms: -5 }), /latency_ms/, 'in-process control refuses bad values');
    });
  });

  test('latency_ms and jitter_ms delay contract answers but not /_fake/*', async () => {
    await withFake('mcp', {}, async (fake) => {
      await fake.control({ latency_ms: 80 });
      let start = performance.now();
      assert.equal((await call(fake.url, '/v1/health')).status, 200, 'delayed answer still arrives');
      assert.ok(performance.now() - start >= 75, `latency applied (${(performance.now() - start).toFixed(1)} ms)`);
      start = performance.now();
      await call(fake.url, '/_fake/control');
      assert.ok(performance.now() - start < 70, 'control API not delayed');
      await fake.control({ latency_ms: 0, jitter_ms: 30 });
      await call(fake.url, '/v1/health');
      assert.equal((await fake.stats()).faults.latency, 2, 'each delayed answer counted (jitter > 0 on the second)');
    });
  });

  test('error_permille picks requests with the seeded PRNG: same seed same pattern, other seed other pattern', async () => {
    const pattern = async (seed: number): Promise<number[]> => {
      const fake = await startFake('mcp', { seed });
      try {
        await fake.control({ error_permille: 300, error_status: 502 });
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) {
          const r = await call(fake.url, '/v1/health');
          if (r.status === 502) assertError(r, 'mcp', 502, 'injected_error', 'injected error body');
          else assertContract('mcp.health.v1', r.body, 'non-faulted answer');
          statuses.push(r.status);
        }
        assert.equal((await fake.stats()).faults.error, statuses.filter((s) => s === 502).length, 'errors counted in stats');
        return statuses;
      } finally {
        await fake.close();
      }
    };
    const a = await pattern(7);
    const b = await pattern(7);
    const c = await pattern(8);
    assert.deepEqual(a, b, 'same seed, same sequence of failures');
    assert.notDeepEqual(a, c, 'another seed, another sequence');
    const errors = a.filter((s) => s === 502).length;
    assert.ok(errors >= 4 && errors <= 24, `about 30% errors, got ${errors}/40`);
    assert.ok(a.every((s) => s === 200 || s === 502), 'only 200 and the chosen error_status');
  });

  test('error_permille 1000 fails every request; after reset none', async () => {
    await withFake('shhh', {}, async (fake) => {
      await fake.control({ error_permille: 1000 });
      for (let i = 0; i < 5; i++) assertError(await call(fake.url, '/v1/policy'), 'shhh', 503, 'injected_error', `request ${i} fails with the default status`);
      await fake.reset();
      assert.equal((await call(fake.url, '/v1/policy')).status, 200, 'reset clears the error rate');
    });
  });

  test('flap is down for the first down_ms of every period_ms from when it was set', async () => {
    const c = clock();
    await withFake('environment', { now: c.now }, async (fake) => {
      await fake.control({ flap: { period_ms: 1000, down_ms: 400 } });
      await assertNetworkError(fake.url, '/v1/capacity', 'down at the start of a period');
      c.advance(399);
      await assertNetworkError(fake.url, '/v1/capacity', 'still down at 399 ms');
      c.advance(1);
      assert.equal((await call(fake.url, '/v1/capacity')).status, 200, 'up at 400 ms');
      c.advance(599);
      assert.equal((await call(fake.url, '/v1/capacity')).status, 200, 'up at 999 ms');
      c.advance(1);
      await assertNetworkError(fake.url, '/v1/capacity', 'down again at the next period');
      await fake.control({ flap: null });
      assert.equal((await call(fake.url, '/v1/capacity')).status, 200, 'flap null: up');
      assert.equal((await fake.stats()).faults.down, 3, 'three dropped connections');
    });
  });

  test('stats count contract requests by method and route; unknown routes answer 404/405; reset zeroes', async () => {
    await withFake('hmmm', {}, async (fake) => {
      await call(fake.url, '/v1/elections/E-1');
      await call(fake.url, '/v1/elections/E-2');
      await call(fake.url, '/v1/elections/E-1/ballots', { body: { type: 'hmmm.ballot.v1', election_id: 'E-1', members: [VOTER('a')] } });
      assertError(await call(fake.url, '/v1/nowhere'), 'hmmm', 404, 'not_found', 'unknown path');
      assertError(await call(fake.url, '/v1/elections/E-1', { method: 'DELETE' }), 'hmmm', 405, 'method_not_allowed', 'wrong method');
      assertError(await call(fake.url, '/_fake/nowhere'), 'hmmm', 404, 'not_found', 'unknown control path');
      await call(fake.url, '/_fake/control');
      const stats = (await call(fake.url, '/_fake/stats')).body;
      assert.deepEqual(
        stats,
        {
          requests: { 'GET /v1/elections/:election_id': 2, 'POST /v1/elections/:election_id/ballots': 1, 'GET *': 1, 'DELETE *': 1 },
          faults: { latency: 0, error: 0, down: 0, denied: 0, throttled: 0 },
        },
        'per-route counts, /_fake/* not counted',
      );
      assert.deepEqual(await fake.stats(), stats, 'in-process stats equal HTTP stats');
      const reset = (await call(fake.url, '/_fake/reset', { body: {} })).body;
      assert.deepEqual(reset, (await call(fake.url, '/_fake/control')).body, 'reset answers the controls');
      assert.deepEqual((await fake.stats()).requests, {}, 'reset zeroes the counters');
    });
  });

  test('malformed JSON on every contract POST is 400 invalid_request, never a crash', async () => {
    const all = await startAllFakes({});
    try {
      const posts: Array<[FakeKind, string]> = [
        ['kaching', '/v1/license/verify'],
        ['backbeat', '/v1/status-claims'],
        ['hmmm', '/v1/elections/E-1/ballots'],
        ['hmmm', '/v1/elections/E-1/votes'],
        ['environment', '/v1/allocations'],
      ];
      for (const [kind, path] of posts) {
        for (const raw of ['{', '', '[]', 'null', '"x"', '{"type":1}']) {
          assertError(await call(all.urls[kind], path, { raw }), kind, 400, 'invalid_request', `${kind} ${path} body ${JSON.stringify(raw)}`);
        }
      }
      assertError(await call(all.urls.hmmm, '/v1/elections/%E0%A4%A/votes', { raw: '{}' }), 'hmmm', 400, 'invalid_request', 'bad percent-encoding in the path');
      assert.equal((await call(all.urls.mcp, '/v1/health')).status, 200, 'still serving');
    } finally {
      await all.close();
    }
  });

  test('a closed fake refuses connections', async () => {
    const fake = await startFake('mcp', {});
    await fake.close();
    await assertNetworkError(fake.url, '/v1/health', 'closed fake: network error');
  });
});

describe('KACHING fake', () => {
  test('a known key gets a valid verdict whose lifetime is valid_for_ms (option, then control)', async () => {
    const c = clock();
    await withFake('kaching', { now: c.now, licenses: { 'key-A': 'lic-A' }, valid_for_ms: 60_000 }, async (fake) => {
      const r = await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, license_key: 'key-A', cluster_id: 'c-9' } });
      assert.equal(r.status, 200, 'verify answers 200');
      assertContract('kaching.verdict.v1', r.body, 'valid verdict');
      const v = r.body as Record<string, string | null>;
      assert.equal(v.verdict, 'valid', 'verdict');
      assert.equal(v.license_id, 'lic-A', 'license_id from the licenses option');
      assert.equal(v.cluster_id, 'c-9', 'cluster_id echoed');
      assert.equal(v.issued_at, new Date(T0).toISOString(), 'issued_at is the clock');
      assert.equal(Date.parse(v.valid_until!) - Date.parse(v.issued_at!), 60_000, 'lifetime from the option');
      assert.equal(v.reason, null, 'no reason');
      await fake.control({ valid_for_ms: 5_000 });
      const w = (await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, license_key: 'key-A' } })).body as Record<string, string>;
      assert.equal(Date.parse(w.valid_until!) - Date.parse(w.issued_at!), 5_000, 'lifetime from the control');
      assert.notEqual(w.token, v.token, 'each verdict a new token');
      await fake.reset();
      const x = (await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, license_key: 'key-A' } })).body as Record<string, string>;
      assert.equal(Date.parse(x.valid_until!) - Date.parse(x.issued_at!), 60_000, 'reset restores the option lifetime');
      assert.equal(x.token, v.token, 'reset restarts the token sequence');
    });
  });

  test('tokens are seeded: same seed same tokens, other seed other tokens', async () => {
    const tokens = async (seed: number): Promise<string[]> => {
      const fake = await startFake('kaching', { seed });
      try {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) out.push(((await call(fake.url, '/v1/license/verify', { body: VERIFY })).body as { token: string }).token);
        return out;
      } finally {
        await fake.close();
      }
    };
    const a = await tokens(3);
    assert.deepEqual(await tokens(3), a, 'same seed, same tokens');
    assert.notDeepEqual(await tokens(4), a, 'other seed, other tokens');
    assert.equal(new Set(a).size, 3, 'tokens differ between verdicts');
  });

  test('unknown key and deny give an invalid verdict with a reason, no token, no lifetime', async () => {
    await withFake('kaching', {}, async (fake) => {
      const unknown = (await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, license_key: '__proto__' } })).body as Record<string, unknown>;
      assertContract('kaching.verdict.v1', unknown, 'invalid verdict');
      assert.equal(unknown.verdict, 'invalid', 'unknown key is invalid');
      assert.equal(unknown.reason, 'unknown license key', 'reason');
      assert.equal(unknown.token, null, 'no token');
      assert.equal(unknown.license_id, null, 'no license id');
      assert.equal(unknown.valid_until, unknown.issued_at, 'valid_until = issued_at');
      await fake.control({ deny: true });
      const denied = (await call(fake.url, '/v1/license/verify', { body: VERIFY })).body as Record<string, unknown>;
      assertContract('kaching.verdict.v1', denied, 'denied verdict');
      assert.equal(denied.verdict, 'invalid', 'deny is invalid');
      assert.equal(denied.reason, 'license revoked', 'deny reason');
      assert.equal(denied.license_id, 'lic-demo', 'the revoked license is named');
      assert.equal((await fake.stats()).faults.denied, 1, 'denial counted');
    });
  });

  test('a body that is not kaching.verify.v1 is 400 invalid_request', async () => {
    await withFake('kaching', {}, async (fake) => {
      const { product: _product, ...noProduct } = VERIFY;
      assertError(await call(fake.url, '/v1/license/verify', { body: noProduct }), 'kaching', 400, 'invalid_request', 'missing product');
      assertError(await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, type: 'kaching.verdict.v1' } }), 'kaching', 400, 'invalid_request', 'wrong type tag');
      assertError(await call(fake.url, '/v1/license/verify', { body: { ...VERIFY, license_key: 42 } }), 'kaching', 400, 'invalid_request', 'wrongly typed key');
    });
  });
});

describe('BACKBEAT fake', () => {
  const SEED = 11;
  const BEAT = 10; // ms at 6000 bpm
  const options = (c: ReturnType<typeof clock>) => ({ now: c.now, seed: SEED, cluster_id: 'demo', tempo_bpm: 6000, bar_beats: 12, phase_beats: { plan: 4, execute: 4, review: 4 } });
  type Frame = { beat_index: number; downbeat: boolean; phase: string; hlc: string; deadline_at: string; window_id: string; tempo_bpm: number; cluster_id: string };
  const beats = async (url: string, query = ''): Promise<Frame[]> => {
    const r = await call(url, `/v1/beats${query}`);
    assert.equal(r.status, 200, `GET /v1/beats${query}`);
    assertContract('backbeat.beats.v1', r.body, 'beats page');
    return (r.body as { frames: Frame[] }).frames;
  };

  test('frames follow the clock: monotonic, downbeats, one window per bar, phase order, deadlines, hlc', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(30 * BEAT + 5);
      const frames = await beats(fake.url, '?limit=500');
      assert.deepEqual(frames.map((f) => f.beat_index), Array.from({ length: 31 }, (_, i) => i), 'beats 0..30 published, none from the future');
      const phaseEnds: Record<string, number> = { plan: 4, execute: 8, review: 12 };
      for (const f of frames) {
        const i = f.beat_index;
        const bar = Math.floor(i / 12);
        const pos = i % 12;
        assertContract('backbeat.beatframe.v1', f, `frame ${i}`);
        assert.equal(f.downbeat, pos === 0, `frame ${i}: downbeat iff first beat of a bar`);
        assert.equal(f.phase, pos < 4 ? 'plan' : pos < 8 ? 'execute' : 'review', `frame ${i}: phase by position in the bar`);
        assert.equal(f.window_id, sha256Hex(`${SEED}|demo|bar|${bar}`).slice(0, 32), `frame ${i}: window_id of bar ${bar}`);
        assert.equal(f.hlc, formatHlc({ ms: T0 + i * BEAT, logical: 0 }), `frame ${i}: hlc is when the beat fell`);
        assert.equal(f.deadline_at, new Date(T0 + (bar * 12 + phaseEnds[f.phase]!) * BEAT).toISOString(), `frame ${i}: deadline is the end of the phase`);
        assert.ok(Date.parse(f.deadline_at) > T0 + i * BEAT, `frame ${i}: deadline after hlc`);
        assert.equal(f.tempo_bpm, 6000, `frame ${i}: tempo`);
        assert.equal(f.cluster_id, 'demo', `frame ${i}: cluster`);
      }
      const windows = [...new Set(frames.map((f) => f.window_id))];
      assert.equal(windows.length, 3, 'bars 0, 1, 2 each have their own window_id');
      assert.deepEqual(frames.filter((f) => f.phase === 'execute' && f.beat_index < 12).map((f) => f.beat_index), [4, 5, 6, 7], 'execute follows plan with phase_beats');
      const latest = await call(fake.url, '/v1/beats/latest');
      assertContract('backbeat.beatframe.v1', latest.body, 'latest frame');
      assert.equal((latest.body as Frame).beat_index, 30, 'latest is the newest beat');
      c.advance(BEAT);
      assert.equal(((await call(fake.url, '/v1/beats/latest')).body as Frame).beat_index, 31, 'a new beat when the clock passes it');
    });
  });

  test('after/limit paging, the default limit, and bad parameters', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(200 * BEAT);
      assert.deepEqual((await beats(fake.url, '?after=5&limit=3')).map((f) => f.beat_index), [6, 7, 8], 'after is exclusive, limit caps');
      assert.deepEqual(await beats(fake.url, '?after=200'), [], 'nothing after the newest beat');
      const page = await beats(fake.url);
      assert.equal(page.length, 100, 'default limit 100');
      assert.equal(page[0]!.beat_index, 0, 'oldest first');
      const next = await beats(fake.url, `?after=${page.at(-1)!.beat_index}&limit=500`);
      assert.deepEqual(next.map((f) => f.beat_index), Array.from({ length: 101 }, (_, i) => 100 + i), 'the next page continues without a gap');
      for (const q of ['?limit=0', '?limit=501', '?after=abc', '?after=-2', '?limit=1.5']) {
        assertError(await call(fake.url, `/v1/beats${q}`), 'backbeat', 400, 'invalid_request', `bad query ${q}`);
      }
    });
  });

  test('default schedule: 2.0 bpm, bars of 120 beats, phases of 40', async () => {
    const c = clock();
    await withFake('backbeat', { now: c.now }, async (fake) => {
      c.advance(41 * 30_000);
      const f = (await call(fake.url, '/v1/beats/latest')).body as Frame;
      assert.equal(f.beat_index, 41, 'a beat every 30 s');
      assert.equal(f.tempo_bpm, 2, 'tempo 2.0');
      assert.equal(f.phase, 'execute', 'beat 41 is in execute');
      assert.equal(f.deadline_at, new Date(T0 + 80 * 30_000).toISOString(), 'execute ends at beat 80');
      assertError(await call(fake.url, '/_fake/control', { body: { tempo_bpm: 60 } }), 'backbeat', 400, 'invalid_request', 'tempo is not a runtime control');
    });
    await assert.rejects(startFake('backbeat', { bar_beats: 12, phase_beats: { plan: 4, execute: 4, review: 5 } }), /sum to bar_beats/, 'phases must fill the bar');
  });

  test('stall publishes nothing; beats that fell during the stall are never published', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(30 * BEAT);
      await fake.control({ stall: true });
      c.advance(20 * BEAT);
      assert.equal(((await call(fake.url, '/v1/beats/latest')).body as Frame).beat_index, 30, 'latest frozen while stalled');
      assert.deepEqual(await beats(fake.url, '?after=30'), [], 'no new beats while stalled');
      await fake.control({ stall: false });
      assert.deepEqual(await beats(fake.url, '?after=30'), [], 'the beats of the stall are lost');
      c.advance(5 * BEAT);
      assert.deepEqual((await beats(fake.url, '?after=30')).map((f) => f.beat_index), [51, 52, 53, 54, 55], 'publishing resumes with the next beat');
      assert.deepEqual((await beats(fake.url, '?after=28&limit=3')).map((f) => f.beat_index), [29, 30, 51], 'paging skips the lost range');
      await fake.reset();
      assert.deepEqual((await beats(fake.url, '?after=30&limit=1')).map((f) => f.beat_index), [51], 'reset does not rewrite published history');
    });
  });

  test('malformed_permille corrupts a seeded share of frames, the same ones every time', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(99 * BEAT);
      await fake.control({ malformed_permille: 1000 });
      const all = await beats(fake.url, '?limit=100');
      assert.equal(all.length, 100, 'corrupted frames are still returned');
      assert.ok(all.every((f) => !validateContract('backbeat.beatframe.v1', f).ok), 'every frame fails its schema at 1000‰');
      assert.equal(validateContract('backbeat.beatframe.v1', (await call(fake.url, '/v1/beats/latest')).body).ok, false, 'latest corrupted too');
      await fake.control({ malformed_permille: 300 });
      const some = await beats(fake.url, '?limit=100');
      const bad = some.filter((f) => !validateContract('backbeat.beatframe.v1', f).ok).length;
      assert.ok(bad >= 15 && bad <= 45, `about 30% corrupted, got ${bad}`);
      assert.deepEqual(await beats(fake.url, '?limit=100'), some, 'the same frames are corrupted on every read');
      await fake.control({ malformed_permille: 0 });
      assert.ok((await beats(fake.url, '?limit=100')).every((f) => validateContract('backbeat.beatframe.v1', f).ok), 'none corrupted at 0‰');
    });
  });

  test('skip_permille drops a seeded share of frames from every response', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(99 * BEAT);
      await fake.control({ skip_permille: 400 });
      const kept = (await beats(fake.url, '?limit=100')).map((f) => f.beat_index);
      assert.ok(kept.length >= 40 && kept.length <= 80, `about 60% kept, got ${kept.length}`);
      assert.ok(kept.every((b, i) => i === 0 || b > kept[i - 1]!), 'still strictly increasing');
      assert.deepEqual((await beats(fake.url, '?limit=100')).map((f) => f.beat_index), kept, 'the same frames skipped on every read');
      const latest = (await call(fake.url, '/v1/beats/latest')).body as Frame;
      assert.equal(latest.beat_index, kept.at(-1), 'latest is the newest frame not skipped');
      await fake.control({ skip_permille: 1000 });
      assert.deepEqual(await beats(fake.url, '?limit=100'), [], 'all skipped at 1000‰');
      assertError(await call(fake.url, '/v1/beats/latest'), 'backbeat', 404, 'no_beats', 'no latest frame when all are skipped');
    });
  });

  test('status claims are accepted for a known bar and summed in its report', async () => {
    const c = clock();
    await withFake('backbeat', options(c), async (fake) => {
      c.advance(14 * BEAT);
      const frames = await beats(fake.url, '?limit=500');
      const bar0 = frames[0]!.window_id;
      const bar1 = frames[13]!.window_id;
      const claim = (agent: string, state: string, window_id = bar1) => ({ type: 'backbeat.statusclaim.v1', agent_id: agent, beat_index: 13, window_id, state, progress: 0.5 });
      for (const body of [claim('a1', 'planning'), claim('a2', 'planning'), claim('a1', 'executing'), { ...claim('a3', 'done', bar0), note: 'early' }]) {
        const r = await call(fake.url, '/v1/status-claims', { body });
        assert.equal(r.status, 202, `claim ${JSON.stringify(body)} accepted`);
        assert.equal(r.body, null, '202 has no body');
      }
      assertError(await call(fake.url, '/v1/status-claims', { body: { ...claim('a1', 'sleeping') } }), 'backbeat', 400, 'invalid_request', 'unknown state');
      assertError(await call(fake.url, '/v1/status-claims', { body: { ...claim('a1', 'done'), progress: 2 } }), 'backbeat', 400, 'invalid_request', 'progress above 1');
      assertError(await call(fake.url, '/v1/status-claims', { body: claim('a1', 'done', 'f'.repeat(32)) }), 'backbeat', 404, 'unknown_window', 'claim for a bar that never began');
      const report = await call(fake.url, `/v1/bars/${bar1}/report`);
      assert.equal(report.status, 200, 'report answers 200');
      assertContract('backbeat.barreport.v1', report.body, 'bar report');
      assert.deepEqual(
        report.body,
        { type: 'backbeat.barreport.v1', window_id: bar1, first_beat: 12, last_beat: 23, claims: 3, agents: ['a1', 'a2'], by_state: { executing: 1, planning: 1 } },
        'claims counted, each agent by its latest state',
      );
      const r0 = (await call(fake.url, `/v1/bars/${bar0}/report`)).body as { claims: number; first_beat: number };
      assert.equal(r0.claims, 1, 'bar 0 has its own claims');
      assert.equal(r0.first_beat, 0, 'bar 0 starts at beat 0');
      assertError(await call(fake.url, `/v1/bars/${'0'.repeat(32)}/report`), 'backbeat', 404, 'unknown_window', 'unknown bar');
      await fake.reset();
      assert.equal(((await call(fake.url, `/v1/bars/${bar1}/report`)).body as { claims: number }).claims, 0, 'reset forgets claims');
    });
  });
});

describe('HMMM fake', () => {
  const members = [VOTER('b'), VOTER('a'), VOTER('c')];
  const vote = (voter: string, election_id = 'E-1', hash = memberSetHash(members)) => ({ type: 'hmmm.vote.v1', election_id, member_set_hash: hash, voter, signature: SIGNATURE });

  test('a ballot answers with memberSetHash(members); the election lists ballots and votes', async () => {
    await withFake('hmmm', {}, async (fake) => {
      const empty = await call(fake.url, '/v1/elections/E-1');
      assertContract('hmmm.election.v1', empty.body, 'empty election');
      assert.deepEqual(empty.body, { type: 'hmmm.election.v1', election_id: 'E-1', ballots: [], votes: [] }, 'nobody posted: empty lists');
      const ballot = await call(fake.url, '/v1/elections/E-1/ballots', { body: { type: 'hmmm.ballot.v1', election_id: 'E-1', members } });
      assert.equal(ballot.status, 201, 'ballot created');
      assertContract('hmmm.ballot.v1', ballot.body, 'ballot answer');
      assert.equal((ballot.body as { member_set_hash: string }).member_set_hash, memberSetHash(members), 'member_set_hash = memberSetHash(members)');
      await call(fake.url, '/v1/elections/E-1/ballots', { body: { type: 'hmmm.ballot.v1', election_id: 'E-1', members: [...members].reverse() } });
      for (const v of [vote(VOTER('a')), vote(VOTER('b'))]) assert.equal((await call(fake.url, '/v1/elections/E-1/votes', { body: v })).status, 202, 'vote accepted');
      const e = (await call(fake.url, '/v1/elections/E-1')).body as { ballots: Array<{ member_set_hash: string }>; votes: unknown[] };
      assertContract('hmmm.election.v1', e, 'election');
      assert.deepEqual(e.ballots.map((b) => b.member_set_hash), [memberSetHash(members)], 'the same set posted twice is one ballot');
      assert.deepEqual(e.votes, [vote(VOTER('a')), vote(VOTER('b'))], 'votes listed as posted, in order');
      for (const v of e.votes) assertContract('hmmm.vote.v1', v, 'listed vote');
      assert.deepEqual(((await call(fake.url, '/v1/elections/E-2')).body as { votes: unknown[] }).votes, [], 'elections are separate');
    });
  });

  test('shape checks: bad votes and ballots are 400, an election_id must match the path', async () => {
    await withFake('hmmm', {}, async (fake) => {
      assertError(await call(fake.url, '/v1/elections/E-1/votes', { body: vote(VOTER('a'), 'E-2') }), 'hmmm', 400, 'invalid_request', 'election_id mismatch');
      assertError(await call(fake.url, '/v1/elections/E-1/votes', { body: { ...vote(VOTER('a')), signature: 'short' } }), 'hmmm', 400, 'invalid_request', 'short signature');
      assertError(await call(fake.url, '/v1/elections/E-1/votes', { body: { ...vote('alice') } }), 'hmmm', 400, 'invalid_request', 'voter not a signer');
      assertError(await call(fake.url, '/v1/elections/E-1/ballots', { body: { type: 'hmmm.ballot.v1', election_id: 'E-1', members: [] } }), 'hmmm', 400, 'invalid_request', 'empty member set');
      assert.deepEqual(((await call(fake.url, '/v1/elections/E-1')).body as { votes: unknown[] }).votes, [], 'nothing stored');
    });
  });

  test('duplicate_permille delivers votes twice, seeded', async () => {
    await withFake('hmmm', { seed: 3 }, async (fake) => {
      await fake.control({ duplicate_permille: 1000 });
      await call(fake.url, '/v1/elections/E-1/votes', { body: vote(VOTER('a')) });
      assert.deepEqual(((await call(fake.url, '/v1/elections/E-1')).body as { votes: unknown[] }).votes, [vote(VOTER('a')), vote(VOTER('a'))], 'listed twice at 1000‰');
      await fake.control({ duplicate_permille: 500 });
      for (let i = 0; i < 20; i++) await call(fake.url, '/v1/elections/E-2/votes', { body: vote(VOTER('b'), 'E-2') });
      const n = ((await call(fake.url, '/v1/elections/E-2')).body as { votes: unknown[] }).votes.length;
      assert.ok(n > 22 && n < 38, `about half duplicated: ${n} listed for 20 posted`);
    });
  });

  test('/_fake/inject-vote stores any object as given; the election still validates, the vote does not', async () => {
    await withFake('hmmm', {}, async (fake) => {
      const forged = { election_id: 'E-1', voter: 'mallory', signature: 'x' };
      assert.equal((await call(fake.url, '/_fake/inject-vote', { body: forged })).status, 202, 'injected');
      assertError(await call(fake.url, '/_fake/inject-vote', { body: { voter: 'x' } }), 'hmmm', 400, 'invalid_request', 'needs an election_id');
      const e = (await call(fake.url, '/v1/elections/E-1')).body as { votes: unknown[] };
      assertContract('hmmm.election.v1', e, 'election with a forged vote');
      assert.deepEqual(e.votes, [forged], 'stored exactly as given');
      assert.equal(validateContract('hmmm.vote.v1', e.votes[0]).ok, false, 'the reader sees it is not a vote');
      await fake.reset();
      assert.deepEqual(((await call(fake.url, '/v1/elections/E-1')).body as { votes: unknown[] }).votes, [], 'reset empties the boards');
    });
  });
});

describe('MCP fake', () => {
  test('health and tools follow the options and the tools/status controls', async () => {
    await withFake('mcp', { tools: { git: '2.0.0', 'fs.read': '1.0.0' }, version: '9.9.9' }, async (fake) => {
      const health = await call(fake.url, '/v1/health');
      assertContract('mcp.health.v1', health.body, 'health');
      assert.deepEqual(health.body, { type: 'mcp.health.v1', status: 'ok', registry: 'mcp-registry', version: '9.9.9' }, 'health answer');
      const tools = await call(fake.url, '/v1/tools');
      assertContract('mcp.tools.v1', tools.body, 'tools');
      assert.deepEqual((tools.body as { tools: unknown[] }).tools, [{ name: 'fs.read', version: '1.0.0' }, { name: 'git', version: '2.0.0' }], 'tools from the option, by name');
      await fake.control({ tools: { git: '3.0.0' }, status: 'degraded' });
      assert.deepEqual(((await call(fake.url, '/v1/tools')).body as { tools: unknown[] }).tools, [{ name: 'git', version: '3.0.0' }], 'tools control replaces the list');
      assert.equal(((await call(fake.url, '/v1/health')).body as { status: string }).status, 'degraded', 'status control');
      assertError(await call(fake.url, '/_fake/control', { body: { tools: { git: 3 } } }), 'mcp', 400, 'invalid_request', 'a version must be a string');
      await fake.reset();
      assert.equal(((await call(fake.url, '/v1/tools')).body as { tools: unknown[] }).tools.length, 2, 'reset restores the option tools');
    });
  });
});

describe('SHHH fake', () => {
  const policy = (version: number, extra: Record<string, unknown> = {}) => ({
    type: 'shhh.policy.v1',
    version,
    rules: [{ id: 'restricted-corpus', when: { transition: 'Ingestion_SchemaOk', input: 'classification', equals: 'restricted' }, rationale: 'needs review' }],
    redact_fields: ['comment', 'credentials.password'],
    redaction_rules: [{ id: 'bearer-token', pattern: 'bearer\\s+[A-Za-z0-9._~+/-]+=*', flags: 'i', severity: 'high' }],
    ...extra,
  });

  test('the default policy is valid and its redaction rules catch the usual secrets', async () => {
    await withFake('shhh', {}, async (fake) => {
      const r = await call(fake.url, '/v1/policy');
      assertContract('shhh.policy.v1', r.body, 'default policy');
      const p = r.body as { version: number; redact_fields: string[]; redaction_rules: Array<{ id: string; pattern: string; flags?: string }> };
      assert.equal(p.version, 1, 'version 1');
      assert.deepEqual(p.redact_fields, ['comment'], 'redacts comment');
      assert.equal(r.headers.get('etag'), '"1"', 'etag is the quoted version');
      const samples = [
        'key sk-abcdefghijklmnop1234 here',
        'AKIAABCDEFGHIJKLMNOP',
        'Authorization: Bearer abc.def-ghi',
        'ghp_' + 'a'.repeat(36),
        '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      ];
      const regexes = p.redaction_rules.map((rule) => new RegExp(rule.pattern, `u${rule.flags ?? ''}`));
      for (const s of samples) assert.ok(regexes.some((re) => re.test(s)), `a default rule matches ${JSON.stringify(s)}`);
      assert.ok(!regexes.some((re) => re.test('an ordinary sentence about skis')), 'ordinary text is not a secret');
      assert.deepEqual(p.redaction_rules, DEFAULT_REDACTION_RULES, 'the documented defaults');
    });
  });

  test('etag / if-none-match gives 304; publishing needs a greater version; reset restores version 1', async () => {
    await withFake('shhh', {}, async (fake) => {
      const notModified = await call(fake.url, '/v1/policy', { headers: { 'if-none-match': '"1"' } });
      assert.equal(notModified.status, 304, 'matching etag: 304');
      assert.equal(notModified.body, null, '304 has no body');
      assert.equal((await call(fake.url, '/v1/policy', { headers: { 'if-none-match': '"0", W/"7"' } })).status, 200, 'other etags: 200');
      const published = await call(fake.url, '/_fake/policy', { body: policy(2) });
      assert.equal(published.status, 200, 'version 2 published');
      const r = await call(fake.url, '/v1/policy', { headers: { 'if-none-match': '"1"' } });
      assert.equal(r.status, 200, 'old etag no longer matches');
      assert.equal(r.headers.get('etag'), '"2"', 'new etag');
      assert.deepEqual(r.body, policy(2), 'serves the published policy');
      assertError(await call(fake.url, '/_fake/policy', { body: policy(2) }), 'shhh', 409, 'version_not_increasing', 'same version refused');
      assertError(await call(fake.url, '/_fake/policy', { body: policy(1) }), 'shhh', 409, 'version_not_increasing', 'older version refused');
      const badPattern = policy(3, { redaction_rules: [{ id: 'broken', pattern: '(', severity: 'low' }] });
      assertError(await call(fake.url, '/_fake/policy', { body: badPattern }), 'shhh', 400, 'invalid_request', 'a pattern that does not compile');
      assertError(await call(fake.url, '/_fake/policy', { body: { ...policy(3), version: 'three' } }), 'shhh', 400, 'invalid_request', 'not a shhh.policy.v1');
      assert.equal(((await call(fake.url, '/v1/policy')).body as { version: number }).version, 2, 'refused publications change nothing');
      await fake.reset();
      assert.equal(((await call(fake.url, '/v1/policy')).body as { version: number }).version, 1, 'reset restores the initial policy');
    });
    await assert.rejects(startFake('shhh', { policy: { ...policy(1), version: 0 } as never }), /invalid_request|not a valid/, 'an invalid initial policy is refused at start');
  });
});

describe('Environment fake', () => {
  test('capacity, allocations 201/409, release 204/404, capacity control', async () => {
    await withFake('environment', { capacity: { gpu: 4, cpu: 16 } }, async (fake) => {
      const cap = async () => {
        const r = await call(fake.url, '/v1/capacity');
        assertContract('environment.capacity.v1', r.body, 'capacity');
        return (r.body as { resources: Record<string, { total: number; free: number }> }).resources;
      };
      assert.deepEqual(await cap(), { gpu: { total: 4, free: 4 }, cpu: { total: 16, free: 16 } }, 'initial capacity');
      const a = await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { gpu: 3, cpu: 4 } } });
      assert.equal(a.status, 201, 'allocation created');
      assertContract('environment.allocation.v1', a.body, 'allocation');
      const alloc = a.body as { allocation_id: string; resources: unknown };
      assert.deepEqual(alloc.resources, { gpu: 3, cpu: 4 }, 'allocation echoes its units');
      assert.deepEqual(await cap(), { gpu: { total: 4, free: 1 }, cpu: { total: 16, free: 12 } }, 'free capacity drops');
      const cpuOnly = await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { cpu: 2 } } });
      assert.deepEqual((cpuOnly.body as { resources: unknown }).resources, { gpu: 0, cpu: 2 }, 'a missing resource is 0');
      assertError(await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { gpu: 2 } } }), 'environment', 409, 'insufficient_capacity', 'more GPUs than free');
      assertError(await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { gpu: -1 } } }), 'environment', 400, 'invalid_request', 'negative units');
      const del = await call(fake.url, `/v1/allocations/${alloc.allocation_id}`, { method: 'DELETE' });
      assert.equal(del.status, 204, 'release answers 204');
      assert.equal(del.body, null, '204 has no body');
      assertError(await call(fake.url, `/v1/allocations/${alloc.allocation_id}`, { method: 'DELETE' }), 'environment', 404, 'unknown_allocation', 'a second release');
      assert.deepEqual((await cap()).gpu, { total: 4, free: 4 }, 'released units are free again');
      await fake.control({ capacity: { gpu: 1, cpu: 1 } });
      assert.deepEqual(await cap(), { gpu: { total: 1, free: 1 }, cpu: { total: 1, free: 0 } }, 'capacity control sets totals; held units stay held');
      assertError(await call(fake.url, '/_fake/control', { body: { capacity: { gpu: 1 } } }), 'environment', 400, 'invalid_request', 'capacity needs both totals');
      await fake.reset();
      assert.deepEqual(await cap(), { gpu: { total: 4, free: 4 }, cpu: { total: 16, free: 16 } }, 'reset: option totals, no allocations');
    });
  });

  test('churn drops free capacity to low_permille of the total for the first half of every period', async () => {
    const c = clock();
    await withFake('environment', { now: c.now, capacity: { gpu: 10, cpu: 100 } }, async (fake) => {
      const free = async () => ((await call(fake.url, '/v1/capacity')).body as { resources: { gpu: { free: number }; cpu: { free: number } } }).resources;
      await fake.control({ churn: { period_ms: 1000, low_permille: 200 } });
      assert.deepEqual(await free(), { gpu: { total: 10, free: 2 }, cpu: { total: 100, free: 20 } }, 'low half');
      assertError(await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { gpu: 3 } } }), 'environment', 409, 'insufficient_capacity', 'churn refuses what is not free');
      c.advance(500);
      assert.deepEqual(await free(), { gpu: { total: 10, free: 10 }, cpu: { total: 100, free: 100 } }, 'high half');
      assert.equal((await call(fake.url, '/v1/allocations', { body: { type: 'environment.allocate.v1', resources: { gpu: 3 } } })).status, 201, 'allocates in the high half');
      c.advance(500);
      assert.equal((await free()).gpu.free, 2, 'low again in the next period');
      await fake.control({ churn: null });
      assert.equal((await free()).gpu.free, 7, 'no churn: total minus held');
    });
  });
});

describe('startAllFakes and swoosh fakes up', () => {
  test('port_base puts the six fakes on consecutive ports in FAKE_KINDS order', async () => {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * 40_000);
      let all: Awaited<ReturnType<typeof startAllFakes>>;
      try {
        all = await startAllFakes({ port_base: base, per_kind: { mcp: { version: '0.0.1' } } });
      } catch (e) {
        lastError = e;
        continue;
      }
      try {
        FAKE_KINDS.forEach((kind, i) => assert.equal(all.urls[kind], `http://127.0.0.1:${base + i}`, `${kind} on port base+${i}`));
        assert.equal(((await call(all.urls.mcp, '/v1/health')).body as { version: string }).version, '0.0.1', 'per_kind options reach the fake');
      } finally {
        await all.close();
      }
      return;
    }
    assert.fail(`no free port range in 5 attempts: ${String(lastError)}`);
  });

  test('a port in use fails the start and closes the fakes already started', async () => {
    const blocker = await startFake('mcp', {});
    try {
      const base = blocker.port - 1; // backbeat (index 1) collides
      await assert.rejects(startAllFakes({ port_base: base }), /EADDRINUSE/, 'the collision is reported');
      await assertNetworkError(`http://127.0.0.1:${base}`, '/_fake/control', 'the kaching fake started first was closed');
    } finally {
      await blocker.close();
    }
  });

  test('fakes up prints the urls as one JSON line and stops cleanly on SIGTERM', async () => {
    const script = `import('${join(ROOT, 'chaos', 'fakes', 'fakes-command.ts')}').then(async (m) => { process.exitCode = await m.fakesCommand(['up', '--port-base', '0', '--seed', '4', '--tempo-bpm', '600']); })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const urls = JSON.parse(firstLine) as Record<string, string>;
      assert.deepEqual(Object.keys(urls), [...FAKE_KINDS], 'a url for every kind');
      const frame = (await call(urls.backbeat!, '/v1/beats/latest')).body as { tempo_bpm: number };
      assert.equal(frame.tempo_bpm, 600, '--tempo-bpm reaches BACKBEAT');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, 'exit code 0 after SIGTERM');
  });

  test('usage errors are thrown before anything starts', async () => {
    await assert.rejects(fakesCommand([]), /usage: swoosh fakes up/, 'a subcommand is required');
    await assert.rejects(fakesCommand(['down']), /usage: swoosh fakes up/, 'only up exists');
    await assert.rejects(fakesCommand(['up', '--tempo-bpm', 'fast']), /--tempo-bpm/, 'tempo must be a number');
    await assert.rejects(fakesCommand(['up', '--port-base', '65533']), /--port-base/, 'six ports must fit');
    await assert.rejects(fakesCommand(['up', '--bogus']), /bogus/, 'unknown option');
  });
});
