// Adapters run next to the leader: only the leader's are active, and after `kill -9` of the leader the new
// leader's adapters carry on from the replicated state (a 3-replica cluster of real processes with the fakes).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { loadSecrets } from '../../src/secrets/age-secrets.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { propose } from '../../src/sdk/client.ts';
import { startAllFakes } from '../../chaos/fakes/index.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function state(url: string): Promise<{ configuration: { top: string }; execution: { windows: { window_id: string }[] } } | null> {
  const res = await fetch(`${url}/state?projection=configuration,execution`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return res?.ok === true ? (((await res.json()) as { projection: never }).projection) : null;
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function adapterActive(url: string): Promise<number | null> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  if (res === null || !res.ok) return null;
  const m = /^swoosh_adapter_active (\d+)/m.exec(await res.text());
  return m === null ? null : Number(m[1]);
}

test('adapters follow the leader: active only there, and a new leader takes over after kill -9', { timeout: 180_000 }, async () => {
  const root = tempDir('adapters-failover');
  const dir = join(root, 'c');
  const fakeBase = await freePortRange(6);
  const cluster = await LocalCluster.create(dir, 3, ['--log-level', 'warn', '--adapters', join(dir, 'adapters.json')], undefined, fakeBase);
  const secrets = await loadSecrets(join(dir, 'secrets.age'), join(dir, 'age.key'));
  // 1200 bpm with 6-beat bars: a new BACKBEAT window every 100 ms, so a live adapter shows at once.
  const fakes = await startAllFakes({
    port_base: fakeBase,
    per_kind: { kaching: { licenses: { [secrets.kaching!.license_key.reveal()]: 'lic-test' } }, backbeat: { tempo_bpm: 1200, bar_beats: 6, phase_beats: { plan: 2, execute: 2, review: 2 } } },
  });
  try {
    const leader = await cluster.leader();
    const operator = parseKeyFile(JSON.parse(await readFile(join(dir, 'keys', 'operator.key'), 'utf8')));
    assert.ok(operator.ok, 'operator key');
    const booted = await propose({ url: cluster.member(leader).http, secretKey: operator.secret, transition: 'Boot_ConfigOk', inputs: { config_hash: digestJson({ test: 'failover' }) }, evidence: ['ucxl://op:operator@swoosh:boot/*^/config'], idemKey: 'failover-boot' });
    assert.equal(booted.status, 202, JSON.stringify(booted.body));
    await until('Boot_Licensed by the KACHING adapter', async () => (await state(cluster.member(leader).http))?.configuration.top === 'PROJECT_LIFECYCLE', 30_000);
    await until('a window from the BACKBEAT adapter', async () => ((await state(cluster.member(leader).http))?.execution.windows.length ?? 0) > 0, 30_000);

    for (const id of cluster.ids) {
      const active = await until(`metrics of ${id}`, async () => adapterActive(cluster.member(id).http).then((v) => (v === null ? null : { v })), 10_000);
      assert.equal(active.v, id === leader ? 1 : 0, `swoosh_adapter_active on ${id} (leader ${leader})`);
    }

    await cluster.kill(leader);
    const next = await cluster.leader(30_000);
    assert.notEqual(next, leader, 'a new leader');
    const seen = new Set(((await state(cluster.member(next).http))?.execution.windows ?? []).map((w) => w.window_id));
    await until(
      'a window recorded under the new leader',
      async () => ((await state(cluster.member(next).http))?.execution.windows ?? []).some((w) => !seen.has(w.window_id)),
      30_000,
    );
    assert.equal(await adapterActive(cluster.member(next).http), 1, 'the new leader runs the adapters');

    await cluster.start(leader);
    const views = await cluster.converged(30_000);
    assert.equal(new Set(views.map((v) => v.state_hash)).size, 1, 'all three replicas converge on one state hash');
  } finally {
    await cluster.stop();
    await fakes.close();
  }
  cleanup(root);
});
