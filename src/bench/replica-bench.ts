// `swoosh bench --replicas 1`: concurrent signed proposals against a real `swoosh serve` process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { digestJson } from '../core/digest.ts';
import { formatHlc, hlcReceive, hlcSend, parseHlc, type Hlc } from '../core/hlc.ts';
import type { Proposal } from '../core/proposal.ts';
import { startServe } from '../node/serve-process.ts';
import { parseKeyFile } from '../sdk/proposal-signer.ts';
import { SigningKey } from '../workload/signing-key.ts';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

export interface LevelResult {
  readonly concurrency: number;
  readonly accepted: number;
  readonly seconds: number;
  readonly throughput_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly attempts_per_accept: number;
  readonly mean_fsync_batch: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: read('swoosh_wal_batch_size_sum'), count: read('swoosh_wal_batch_size_count') };
}

/** One level: `concurrency` writers, each re-proposing against the HEAD a rejection reports until accepted. */
export async function runLevel(url: string, key: SigningKey, concurrency: number, target: number): Promise<LevelResult> {
  const head = (await (await fetch(`${url}/state?projection=hlc_last`)).json()) as { hash: string; hlc: string | null };
  const before = await batchStats(url);
  const latencies: number[] = [];
  let attempts = 0;
  let accepted = 0;
  let seq = 0;
  const start = performance.now();
  const writer = async (w: number): Promise<void> => {
    let hash = head.hash;
    let clock: Hlc = head.hlc === null ? { ms: 0, logical: 0 } : (parseHlc(head.hlc) as { ok: true; value: Hlc }).value;
    while (accepted < target) {
      const idem = `bench:${concurrency}:${w}:${++seq}`;
      const inputs = { verdict: 'valid', verdict_hash: digestJson(idem), valid_until: '2099-01-01T00:00:00.000+00:00#0', grace_ms: 60_000, token: 'x'.repeat(40) };
      const t0 = performance.now();
      for (;;) {
        attempts++;
        const sent = hlcSend(clock, Date.now());
        if (sent.ok) clock = sent.value;
        const p: Proposal = key.signProposal({
          current_state_hash: hash as Proposal['current_state_hash'],
          transition: 'License_RecordVerdict',
          inputs_hash: digestJson(inputs),
          signer: key.signer,
          idem_key: idem,
          hlc: formatHlc(clock),
          window_id: null,
          evidence: ['ucxl://bench:license_adapter@bench:license/*^/verdict'],
          inputs,
        });
        const res = await fetch(`${url}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p) });
        const body = (await res.json()) as { state_post_hash?: string; current_state_hash?: string; hlc?: string; decision_record?: { stamp: string } };
        const stamp = res.status === 202 ? body.hlc : body.decision_record?.stamp;
        const seen = stamp === undefined ? null : parseHlc(stamp);
        if (seen !== null && seen.ok) {
          const r = hlcReceive(clock, seen.value, Date.now());
          if (r.ok) clock = r.value;
        }
        if (res.status === 202) {
          hash = body.state_post_hash!;
          break;
        }
        if (res.status !== 400 || body.current_state_hash === undefined) throw new Error(`bench: HTTP ${res.status} ${JSON.stringify(body)}`);
        hash = body.current_state_hash;
      }
      latencies.push(performance.now() - t0);
      accepted++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => writer(w)));
  const seconds = (performance.now() - start) / 1000;
  const after = await batchStats(url);
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    accepted,
    seconds: Math.round(seconds * 100) / 100,
    throughput_per_s: Math.round(accepted / seconds),
    p50_ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99_ms: Math.round(percentile(latencies, 99) * 100) / 100,
    attempts_per_accept: Math.round((attempts / accepted) * 100) / 100,
    mean_fsync_batch: Math.round(((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 10) / 10,
  };
}

export async function runReplicaBench(levels: readonly number[], perLevel: number): Promise<{ machine: string; levels: LevelResult[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-bench-'));
  const init = spawnSync(process.execPath, [CLI, 'init', '--data', dir], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  const keyFile = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', 'license-adapter.key'), 'utf8')));
  if (!keyFile.ok) throw new Error(keyFile.reason);
  // The load generator signs with node:crypto: with @noble the client, not the replica, would be the bottleneck.
  const key = new SigningKey(keyFile.secret);
  const server = await startServe(dir, ['--log-level', 'warn']);
  try {
    const results: LevelResult[] = [];
    for (const c of levels) results.push(await runLevel(server.url, key, c, perLevel));
    const cpu = cpus();
    return { machine: `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, node ${process.version}, client and replica on the same machine`, levels: results };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
