// The "done when": `swoosh cluster up` with the fakes goes from BOOT through the lifecycle into EXECUTION
// loops as the adapters propose facts, and the decision-record feed says why each guard passed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePortRange } from '../../src/node/free-ports.ts';
import { CLI, swooshSync } from '../support/processes.ts';
import { cleanup, tempDir } from '../support/replica-harness.ts';

test('cluster up runs the demo: BOOT -> PROJECT_LIFECYCLE -> EXECUTION loops, with guard rationales in the feed', { timeout: 180_000 }, async () => {
  const root = tempDir('demo');
  const dir = join(root, 'c');
  // One range for everything, so the three groups cannot overlap.
  const http = await freePortRange(12);
  const raft = http + 3;
  const fakes = http + 6;
  // 1200 bpm: a 6 s bar, 2 s per phase, so a loop takes seconds.
  const child = spawn(process.execPath, [CLI, 'cluster', 'up', '--data', dir, '--replicas', '3', '--http-port-base', String(http), '--raft-port-base', String(raft), '--fake-port-base', String(fakes), '--tempo-bpm', '1200'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = (re: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (re.test(out)) return clearInterval(poll), resolve();
        if (Date.now() - t0 > ms) return clearInterval(poll), reject(new Error(`no ${re} within ${ms} ms:\n${out.slice(-6000)}`));
      }, 100);
    });
  try {
    await until(/accepted +Execution_NextWindow/, 150_000);
    for (const [re, what] of [
      [/accepted +Boot_ConfigOk/, 'the operator agent boots'],
      [/accepted +License_RecordVerdict/, 'the KACHING adapter records a verdict'],
      [/license_valid ok: license verdict valid until/, 'Boot_Licensed says why the license guard passed'],
      [/quorum_certificate ok: \d of \d eligible voters signed member set/, 'the HMMM adapter made the certificate'],
      [/mcp_health ok: registry .* reachable, all pins satisfied/, 'the MCP adapter recorded a healthy registry'],
      [/accepted +Execution_Start[\s\S]*lifecycle_ready ok/, 'all three regions READY'],
      [/window ok: window backbeat:[0-9a-f]{32}:plan \(plan\) opens plan/, 'the BACKBEAT adapter opened a plan window'],
      [/accepted +Execution_Reverb[\s\S]*approvals ok/, 'REVERB after the approvals threshold'],
    ] as const) {
      assert.match(out, re, what);
    }
    assert.doesNotMatch(out, /"level":50/, 'no error was logged');
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, `cluster up exits 0 on Ctrl-C:\n${out.slice(-3000)}`);
  }
  for (const id of ['r1', 'r2', 'r3']) {
    const d = swooshSync('doctor', '--data', join(dir, id));
    assert.equal(d.code, 0, `doctor passes on ${id}: ${d.stdout}${d.stderr}`);
  }
  cleanup(root);
});
