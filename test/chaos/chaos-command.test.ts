// `swoosh chaos` exit statuses: 77 when the backend cannot run here (CI skips on it), 2 for a usage error.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containersAvailable } from '../../chaos/containers/containers-backend.ts';
import { swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

test('swoosh chaos exits 77 with the reason when the backend cannot run here', async (t) => {
  if ((await containersAvailable()).ok) {
    t.skip('a Docker engine is reachable here, so the containers backend is available');
    return;
  }
  const dir = tempDir('chaos-unavailable');
  const r = swooshSync('chaos', '--scenario', 'kill', '--backend', 'containers', '--transitions', '1', '--run-dir', join(dir, 'run'));
  assert.equal(r.code, 77, `exit 77 (skipped), not a verdict and not a usage error: ${r.stderr}`);
  assert.match(r.stderr, /backend containers is not available here: /, 'it says why');
  cleanup(dir);
});

test('swoosh chaos refuses a run dir that is not empty: a usage error (2), never the skip status', () => {
  const dir = tempDir('chaos-run-dir');
  mkdirSync(join(dir, 'run', 'cluster'), { recursive: true });
  writeFileSync(join(dir, 'run', 'cluster', 'something'), 'x');
  const r = swooshSync('chaos', '--scenario', 'client', '--transitions', '1', '--run-dir', join(dir, 'run'));
  assert.equal(r.code, 2, `exit 2: ${r.stderr}`);
  assert.match(r.stderr, /is not empty/, `it names the problem: ${r.stderr}`);
  cleanup(dir);
});
