// Determinism across processes: a 10,000-proposal seeded workload replays to one hash in two separate processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('swoosh workload --seed 7 --count 10000 replays to the same final hash in two processes, 0 invariant violations', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-determinism-'));
  try {
    const file = join(dir, 'w7.jsonl');
    const gen = await run(['workload', '--seed', '7', '--count', '10000', '--out', file]);
    assert.equal(gen.code, 0, gen.stderr);
    const [a, b] = await Promise.all([run(['replay', '--input', file]), run(['replay', '--input', file])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as { final_state_hash: string; invariant_violations: number; entries: number; expectation_mismatches: unknown[] };
    const rb = JSON.parse(b.stdout) as typeof ra;
    assert.equal(ra.entries, 10_000);
    assert.match(ra.final_state_hash, /^sha256-[0-9a-f]{64}$/);
    assert.equal(ra.final_state_hash, rb.final_state_hash);
    assert.equal(ra.invariant_violations, 0);
    assert.deepEqual(ra.expectation_mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
