// The containers chaos backend (issue 6). Without a reachable Docker engine the test skips and says why; with one,
// three replicas in containers elect a leader, replace it when it is docker-killed, take it back once restarted, and
// elect another when every link out of the leader is cut.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containersAvailable, createContainersBackend } from '../../chaos/containers/containers-backend.ts';
import { BackendUnavailable } from '../../chaos/harness/backend.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

test('containers backend: a killed leader is replaced, restarts and catches up; a cut leader is replaced', { timeout: 900_000 }, async (t) => {
  const available = await containersAvailable();
  if (!available.ok) {
    t.skip(`containers backend not run: ${available.reason}`);
    return;
  }
  const root = tempDir('chaos-containers');
  // No fakes here (no --adapters), but the backend exposes their ports to the containers all the same.
  const backend = await createContainersBackend({ dir: join(root, 'cluster'), replicas: 3, serveArgs: ['--log-level', 'warn'], fakePortBase: await freePortRange(6), seed: 1 });
  const r = backend.replicas;
  try {
    const first = await r.leader(60_000);
    await r.kill(first);
    assert.equal(r.alive(first), false, 'the killed leader is down');
    const second = await r.leader(60_000);
    assert.notEqual(second, first, 'the other two elect a new leader');
    await r.start(first);
    const views = await r.converged(60_000);
    assert.equal(views.length, 3, 'all three replicas answer');
    assert.equal(new Set(views.map((v) => v.state_hash)).size, 1, 'identical state hashes');

    assert.ok(backend.network.supports.has('cut'));
    for (const to of r.ids) if (to !== second) await backend.network.set(second, to, { cut: true });
    const third = await r.leader(60_000);
    assert.notEqual(third, second, 'a leader that cannot send is replaced');
    await backend.network.healAll();
    await r.converged(60_000);
    const dropped = Object.values(backend.network.stats()).reduce((n, s) => n + (s['dropped_packets'] ?? 0), 0);
    assert.ok(dropped > 0, `the cut links dropped packets: ${JSON.stringify(backend.network.stats())}`);
  } catch (e) {
    for (const id of r.ids) t.diagnostic(`${id}:\n${r.output(id)}`);
    throw e;
  } finally {
    await backend.close();
  }
  cleanup(root);
});

test('containers backend: without a Docker engine, create says why and creates nothing', { timeout: 60_000 }, async (t) => {
  if ((await containersAvailable()).ok) {
    t.skip('a Docker engine is reachable here');
    return;
  }
  const root = tempDir('chaos-containers-none');
  const dir = join(root, 'cluster');
  await assert.rejects(createContainersBackend({ dir, replicas: 3, serveArgs: [], fakePortBase: 7300, seed: 1 }), (e: unknown) => e instanceof BackendUnavailable && /backend containers is not available here: .*Docker engine/.test(e.message));
  assert.equal(existsSync(dir), false, 'no cluster directory was created');
  cleanup(root);
});
