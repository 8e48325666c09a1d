// `swoosh bench --core`: reducer throughput, and per-transition hashing cost against dedupe table size.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DedupeTable, type DedupeRow } from '../core/dedupe-table.ts';
import { digestJson } from '../core/digest.ts';
import { replayStream } from '../replay/replay-stream.ts';
import { generateWorkload } from '../workload/generator.ts';

export interface CoreBenchReport {
  readonly machine: string;
  readonly entries: number;
  readonly replay_entries_per_s: { readonly verify_signatures: number; readonly trusted_log: number };
  /** Microseconds per expire+insert+digest on a dedupe table holding `rows` rows. */
  readonly dedupe_insert_us: { readonly rows: number; readonly us_per_op: number }[];
  /** us_per_op at the largest table divided by us_per_op at the smallest: ~1 when cost is independent of size. */
  readonly dedupe_cost_ratio: number;
}

function syntheticRow(i: number): DedupeRow {
  return {
    idem_key: `bench:${i}`,
    index: i + 1,
    transition: 'Window_Record',
    signer: 'hmmm:pubkey:bench',
    inputs_hash: digestJson(i),
    outcome: 'accepted',
    first_seen: `t${i}`,
    first_seen_ms: i,
    state_post_hash: digestJson('post'),
    decision_record_id: 'bubble://dr/bench',
  };
}

function dedupeCost(rows: number, ops: number): number {
  let table = DedupeTable.fromRows(Array.from({ length: rows }, (_, i) => syntheticRow(i)));
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    // The reducer's per-transition work on the table: sweep (nothing expires here), insert, hash.
    table = table.expire(0, 1).insert(syntheticRow(rows + i));
    table.digest();
  }
  return ((performance.now() - start) * 1000) / ops;
}

export function runCoreBench(count: number, sizes: readonly number[]): CoreBenchReport {
  const w = generateWorkload({ seed: 7, count });
  const timeReplay = (verifySignatures: boolean): number => {
    const start = performance.now();
    replayStream(w.genesis, w.entries, { verifySignatures });
    return Math.round(count / ((performance.now() - start) / 1000));
  };
  timeReplay(true); // warm-up: JIT and key caches
  // Minimum of three runs: on a noisy 2-core machine the minimum is the stable estimate of the cost itself.
  const dedupe = sizes.map((rows) => ({ rows, us_per_op: Math.round(Math.min(dedupeCost(rows, 3000), dedupeCost(rows, 3000), dedupeCost(rows, 3000)) * 10) / 10 }));
  const cpu = cpus();
  return {
    machine: `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
    entries: count,
    replay_entries_per_s: { verify_signatures: timeReplay(true), trusted_log: timeReplay(false) },
    dedupe_insert_us: dedupe,
    dedupe_cost_ratio: Math.round((dedupe[dedupe.length - 1]!.us_per_op / dedupe[0]!.us_per_op) * 100) / 100,
  };
}
