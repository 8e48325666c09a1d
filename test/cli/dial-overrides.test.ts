import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/cli-io.ts';
import { parseDialOverrides } from '../../src/cli/cluster-commands.ts';

test('--dial ID=HOST:PORT parses to per-peer addresses; none given is no override', () => {
  assert.equal(parseDialOverrides(undefined), undefined, 'no --dial: undefined');
  assert.equal(parseDialOverrides([]), undefined, 'empty list: undefined');
  assert.deepEqual(parseDialOverrides(['r2=127.0.0.1:7301', 'r3=[::1]:7302']), { r2: { host: '127.0.0.1', port: 7301 }, r3: { host: '::1', port: 7302 } }, 'both overrides, IPv6 brackets stripped');
});

test('--dial rejects malformed values with a usage error that shows the expected form', () => {
  for (const bad of ['r2', 'r2=127.0.0.1', 'r2=127.0.0.1:0', 'r2=127.0.0.1:70000', 'R2=h:1', '=h:1']) {
    assert.throws(() => parseDialOverrides([bad]), (e: unknown) => e instanceof UsageError && /ID=HOST:PORT/.test(e.message), `rejects ${bad}`);
  }
});

test('--dial-http errors name the flag that was wrong', () => {
  assert.throws(() => parseDialOverrides(['r2'], '--dial-http'), (e: unknown) => e instanceof UsageError && e.message.startsWith('--dial-http r2:'), 'the message starts with --dial-http');
});
