// The swoosh CLI as a user runs it: real processes, files, exit codes and messages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { digestJson } from '../../src/core/digest.ts';
import { genesisState } from '../../src/core/genesis.ts';
import { reduce } from '../../src/core/reducer.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import { testGenesis } from '../support/fixtures.ts';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');
const dir = mkdtempSync(join(tmpdir(), 'swoosh-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function swoosh(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('swoosh with no command prints usage and exits 2; an unknown command says so', () => {
  assert.equal(swoosh().code, 2);
  const r = swoosh('frobnicate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(swoosh('--help').stdout, /swoosh replay/);
});

test('keygen writes a 0600 key file and refuses to overwrite it', () => {
  const key = join(dir, 'k1.json');
  const r = swoosh('keygen', '--out', key);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { signer: string };
  assert.match(out.signer, /^hmmm:pubkey:[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(key).mode & 0o777, 0o600);
  const again = swoosh('keygen', '--out', key);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /file exists/);
  assert.equal(swoosh('keygen').code, 2);
});

test('sign fills signer and inputs_hash and produces a proposal the reducer accepts', () => {
  const key = join(dir, 'op.json');
  swoosh('keygen', '--out', key);
  const signer = (JSON.parse(readFileSync(key, 'utf8')) as { signer: string }).signer;
  const genesis = testGenesis({ identities: [{ signer, roles: ['operator', 'admin'] }] });
  const state = genesisState(genesis);
  const draft = {
    current_state_hash: stateHash(state),
    transition: 'Boot_ConfigOk',
    idem_key: 'cli:1',
    hlc: '2026-01-01T00:00:01.000+00:00#0',
    window_id: null,
    evidence: ['ucxl://cli:operator@test:boot/*^/config'],
    inputs: { config_hash: digestJson({ from: 'cli' }) },
  };
  const file = join(dir, 'draft.json');
  writeFileSync(file, JSON.stringify(draft));
  const r = swoosh('sign', '--key', key, '--proposal', file);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as Proposal;
  assert.equal(p.signer, signer);
  assert.equal(p.inputs_hash, digestJson(draft.inputs));
  const result = reduce(state, { index: 1, stamp: '2026-01-01T00:00:02.000+00:00#0', proposal: p });
  assert.equal(result.outcome.status, 'accepted', result.outcome.reasons.join('; '));
});

test('sign reports a missing field and a bad key file clearly', () => {
  const key = join(dir, 'k2.json');
  swoosh('keygen', '--out', key);
  const file = join(dir, 'partial.json');
  writeFileSync(file, JSON.stringify({ transition: 'Boot_ConfigOk' }));
  const r = swoosh('sign', '--key', key, '--proposal', file);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /lacks current_state_hash/);
  const badKey = join(dir, 'bad-key.json');
  writeFileSync(badKey, JSON.stringify({ type: 'swoosh.ed25519.key.v1', signer: 'x', secret_key: 'AAAA' }));
  assert.match(swoosh('sign', '--key', badKey, '--proposal', file).stderr, /secret_key must be/);
  assert.match(swoosh('sign', '--key', join(dir, 'nope.json'), '--proposal', file).stderr, /cannot read key file/);
});

test('workload then replay: the report has the hash, counts by reason and no invariant violations', () => {
  const w = join(dir, 'w.jsonl');
  const gen = swoosh('workload', '--seed', '5', '--count', '600', '--out', w);
  assert.equal(gen.code, 0, gen.stderr);
  const r = swoosh('replay', '--input', w);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.match(String(report['final_state_hash']), /^sha256-[0-9a-f]{64}$/);
  assert.equal(report['invariant_violations'], 0);
  assert.equal(report['entries'], 600);
  assert.ok(Object.keys(report['rejected_by_reason'] as object).length >= 5, 'Object.keys(report[\'rejected_by_reason\'] as object).length >= 5');
});

test('replay --against names the first divergent index with a state diff; --expect compares recorded hashes', () => {
  const a = join(dir, 'a.jsonl');
  swoosh('workload', '--seed', '9', '--count', '120', '--hostile', '0', '--out', a);
  const lines = readFileSync(a, 'utf8').trimEnd().split('\n');
  // Drop entry 40 from a copy: from there on the two histories differ.
  const b = join(dir, 'b.jsonl');
  writeFileSync(b, [...lines.slice(0, 40), ...lines.slice(41)].join('\n') + '\n');
  const r = swoosh('replay', '--input', a, '--against', b);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as { divergence: { first_index: number; state_diff: { path: string }[] } };
  assert.equal(report.divergence.first_index, 40);
  assert.ok(report.divergence.state_diff.length > 0, 'report.divergence.state_diff.length > 0');
  const hashes = join(dir, 'hashes.json');
  writeFileSync(hashes, JSON.stringify((JSON.parse(swoosh('replay', '--input', a, '--hashes').stdout) as { state_post_hashes: string[] }).state_post_hashes));
  const same = swoosh('replay', '--input', a, '--expect', hashes);
  assert.equal(same.code, 0, same.stdout);
  assert.equal((JSON.parse(same.stdout) as { divergence: unknown }).divergence, null);
});

test('replay refuses a malformed stream with the file and line', () => {
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"type":"swoosh.stream.v1"}\n');
  const r = swoosh('replay', '--input', bad);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.jsonl:1: invalid genesis/);
  writeFileSync(bad, 'not json\n');
  assert.match(swoosh('replay', '--input', bad).stderr, /bad\.jsonl:1: not valid JSON/);
  assert.match(swoosh('replay', '--input', join(dir, 'missing.jsonl')).stderr, /cannot read .*ENOENT/);
});

test('replay verifies signatures by default; --trust-signatures skips it; both flags together is a usage error', () => {
  const w = join(dir, 'forged.jsonl');
  swoosh('workload', '--seed', '4', '--count', '30', '--hostile', '0', '--out', w);
  const lines = readFileSync(w, 'utf8').trimEnd().split('\n');
  const entry = JSON.parse(lines[1]!) as { proposal: { signature: string } };
  const s = entry.proposal.signature;
  entry.proposal.signature = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  lines[1] = JSON.stringify(entry);
  writeFileSync(w, lines.join('\n') + '\n');
  const verified = JSON.parse(swoosh('replay', '--input', w, '--verify-signatures').stdout) as { rejected_by_reason: Record<string, number> };
  assert.equal(verified.rejected_by_reason['bad_signature'], 1);
  const trusted = JSON.parse(swoosh('replay', '--input', w, '--trust-signatures').stdout) as { rejected_by_reason: Record<string, number> };
  assert.equal(trusted.rejected_by_reason['bad_signature'], undefined);
  assert.equal(swoosh('replay', '--input', w, '--trust-signatures', '--verify-signatures').code, 2);
});

test('workload rejects bad numbers with a usage error', () => {
  const r = swoosh('workload', '--seed', 'x', '--count', '1', '--out', join(dir, 'x.jsonl'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--seed must be a non-negative integer/);
});
