// `swoosh workload`, `swoosh replay` and `swoosh demo`: generate a seeded stream, replay it, compare replays.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { STATECHART_HASH } from '../generated/statechart.ts';
import { activePaths } from '../core/configuration.ts';
import { stateToJson, diffJson } from '../core/state-json.ts';
import { stateHash } from '../core/state-hash.ts';
import { readWalAsStream, WalReadError } from '../node/wal-stream.ts';
import { replayStream } from '../replay/replay-stream.ts';
import { generateWorkload } from '../workload/generator.ts';
import { readStream, STREAM_TYPE, StreamFormatError, writeStream, type Stream } from '../workload/workload-file.ts';
import { intOption, printJson, UsageError } from './cli-io.ts';

async function loadStream(path: string): Promise<Stream> {
  try {
    return await readStream(path);
  } catch (e) {
    if (e instanceof StreamFormatError) throw new UsageError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new UsageError(`cannot read ${path}: ${code}`);
    throw e;
  }
}

async function loadWal(dir: string): Promise<Stream> {
  try {
    return await readWalAsStream(dir);
  } catch (e) {
    if (e instanceof WalReadError) throw new UsageError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${dir} is not a SWOOSH data directory (no db/)`);
    throw e;
  }
}

export async function workloadCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' }, hostile: { type: 'string' } } });
  if (values.out === undefined) throw new UsageError('usage: swoosh workload --seed S --count N --out FILE.jsonl [--hostile PERMILLE]');
  const seed = intOption(values.seed, 'seed');
  const count = intOption(values.count, 'count');
  const hostilePermille = intOption(values.hostile, 'hostile', 150);
  if (hostilePermille > 1000) throw new UsageError('--hostile is a permille, 0..1000');
  const w = generateWorkload({ seed, count, hostilePermille });
  await writeStream(values.out, { type: STREAM_TYPE, seed, genesis: w.genesis }, w.entries);
  printJson({ out: values.out, seed, entries: w.entries.length, hostile_entries: w.entries.filter((e) => e.expect !== undefined).length, statechart_hash: STATECHART_HASH });
  return 0;
}

/** Expected per-entry post hashes: a JSON array of strings, or JSON Lines of {"index", "state_post_hash"}. */
async function readExpected(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    const hashes = (v as { state_post_hashes?: unknown })?.state_post_hashes;
    if (Array.isArray(hashes) && hashes.every((x) => typeof x === 'string')) return hashes;
  } catch {
    // fall through to JSON Lines
  }
  const out: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      const row = JSON.parse(line) as { state_post_hash?: unknown };
      if (typeof row.state_post_hash !== 'string') throw new Error();
      out.push(row.state_post_hash);
    } catch {
      throw new UsageError(`${path}:${i + 1}: expected a JSON array of hashes, {"state_post_hashes": [...]}, or JSON Lines with state_post_hash`);
    }
  }
  return out;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      data: { type: 'string' },
      expect: { type: 'string' },
      against: { type: 'string' },
      hashes: { type: 'boolean' },
      'verify-signatures': { type: 'boolean' },
      'trust-signatures': { type: 'boolean' },
    },
  });
  if ((values.input === undefined) === (values.data === undefined)) {
    throw new UsageError('usage: swoosh replay (--input FILE.jsonl | --data DIR) [--expect HASHES.json | --against OTHER.jsonl] [--hashes] [--verify-signatures | --trust-signatures]');
  }
  const stream = values.input !== undefined ? await loadStream(values.input) : await loadWal(values.data!);
  // Streams are untrusted input, so signatures are verified unless the caller vouches for the log.
  if (values['verify-signatures'] === true && values['trust-signatures'] === true) throw new UsageError('--verify-signatures and --trust-signatures contradict each other');
  const options = { verifySignatures: values['trust-signatures'] !== true };
  const run = replayStream(stream.header.genesis, stream.entries, options);
  const out: Record<string, unknown> = { input: values.input ?? values.data, statechart_hash: STATECHART_HASH, ...run.report };
  if (values.hashes === true) out['state_post_hashes'] = run.postHashes;

  let diverged = false;
  if (values.expect !== undefined || values.against !== undefined) {
    let other: string[];
    let otherStream: Stream | null = null;
    if (values.against !== undefined) {
      otherStream = await loadStream(values.against);
      other = replayStream(otherStream.header.genesis, otherStream.entries, options).postHashes;
    } else {
      other = await readExpected(values.expect!);
    }
    const n = Math.max(run.postHashes.length, other.length);
    let first = -1;
    for (let i = 0; i < n; i++) if (run.postHashes[i] !== other[i]) { first = i; break; }
    if (first === -1) out['divergence'] = null;
    else {
      diverged = true;
      const index = stream.entries[first]?.index ?? first + 1;
      const divergence: Record<string, unknown> = { first_index: index, position: first + 1, ours: run.postHashes[first] ?? null, theirs: other[first] ?? null };
      // Rebuild both states at that point and show what differs.
      const mine = replayStream(stream.header.genesis, stream.entries, { ...options, limit: first + 1 }).final;
      divergence['configuration'] = activePaths(mine);
      if (otherStream !== null) {
        const theirs = replayStream(otherStream.header.genesis, otherStream.entries, { ...options, limit: first + 1 }).final;
        divergence['state_diff'] = diffJson(stateToJson(mine), stateToJson(theirs));
      } else {
        divergence['entry'] = stream.entries[first] ?? null;
      }
      out['divergence'] = divergence;
    }
  }
  printJson(out);
  return run.report.invariant_violations > 0 || diverged ? 1 : 0;
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, count: { type: 'string' } } });
  const seed = intOption(values.seed, 'seed', 7);
  const count = intOption(values.count, 'count', 3000);
  const say = (s: string) => process.stdout.write(s + '\n');
  say(`SWOOSH demo: a seeded workload of ${count} signed proposals (seed ${seed}) replayed through the deterministic reducer.`);
  say(`statechart ${STATECHART_HASH}`);
  const w = generateWorkload({ seed, count });
  let lastTop = '';
  const run = replayStream(w.genesis, w.entries, {
    onEntry: (index, state) => {
      const top = activePaths(state).join(' + ');
      if (top !== lastTop && (index <= 60 || index % 500 === 0)) say(`  #${String(index).padStart(5)}  ${stateHash(state)}  ${top}`);
      lastTop = top;
      if (index % 1000 === 0) say(`  #${String(index).padStart(5)}  ${stateHash(state)}  (checkpoint)`);
    },
  });
  // A second, independent replay must land on the same hash: that is the product's promise.
  const again = replayStream(w.genesis, w.entries).report.final_state_hash;
  const r = run.report;
  say(`accepted ${r.accepted}, quarantined ${r.quarantined}, duplicates ${r.duplicates}, rejected ${r.rejected} (${Object.entries(r.rejected_by_reason).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  say(`EXECUTION loops ${r.execution_loops}, invariant violations ${r.invariant_violations}`);
  say(`final state hash  ${r.final_state_hash}`);
  say(`second replay     ${again}  ${again === r.final_state_hash ? '(identical)' : '(DIFFERENT: determinism bug)'}`);
  say('Next: `swoosh workload --seed 7 --count 10000 --out w.jsonl` then `swoosh replay --input w.jsonl` (docs in README.md).');
  return r.invariant_violations === 0 && again === r.final_state_hash ? 0 : 1;
}
