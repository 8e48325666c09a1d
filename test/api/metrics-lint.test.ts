// /metrics passes `promtool check metrics` (Debian's prometheus package), the linter operators already trust.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { acceptMany, verdictProposal } from '../support/replica-driver.ts';
import { cleanup, initDataDir, openReplica, serveReplica, tempDir, TestClock } from '../support/replica-harness.ts';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });

test('GET /metrics passes promtool check metrics', async (t) => {
  if (promtool.error !== undefined) {
    t.skip('promtool not found: install Debian\'s prometheus package (.ci/run does) to lint /metrics');
    return;
  }
  const dir = tempDir('promtool');
  await initDataDir(dir);
  const clock = new TestClock();
  const replica = await openReplica(dir, clock);
  const server = await serveReplica(replica);
  try {
    await acceptMany(replica, clock, 3);
    // A repeated idem_key: every labelled series has a sample, so promtool lints every name.
    clock.advance(1000);
    const again = verdictProposal(replica, clock);
    for (let i = 0; i < 2; i++) assert.equal((await replica.submit(again)).kind, 'decided', `submission ${i} of a repeated proposal is decided`);
    await replica.submit({ not: 'a proposal', digest: digestJson(1) });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^swoosh_retry_total\{transition="License_RecordVerdict"\} 1$/m, 'the repeat was counted');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
  } finally {
    await server.close();
    await replica.close();
    cleanup(dir);
  }
});
