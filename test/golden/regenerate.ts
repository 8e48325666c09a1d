// Records golden logs: proposal streams with their expected per-entry post hashes (test/golden/*.jsonl + .hashes.json).
// A stored log must replay identically forever under its machine definition; regenerate only for a new definition
// or a deliberate contract change (npm run golden:update), and say why in the commit.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATECHART_HASH } from '../../src/generated/statechart.ts';
import { replayStream } from '../../src/replay/replay-stream.ts';
import { generateWorkload } from '../../src/workload/generator.ts';
import { STREAM_TYPE, writeStream } from '../../src/workload/workload-file.ts';

const LOGS = [
  { name: 'lifecycle-seed1', seed: 1, count: 300, hostilePermille: 100 },
  { name: 'hostile-seed2', seed: 2, count: 150, hostilePermille: 600 },
  { name: 'loops-seed3', seed: 3, count: 300, hostilePermille: 0 },
];

for (const log of LOGS) {
  const w = generateWorkload(log);
  const run = replayStream(w.genesis, w.entries);
  if (run.report.invariant_violations > 0) throw new Error(`${log.name}: invariant violations`);
  await writeStream(join(import.meta.dirname, `${log.name}.jsonl`), { type: STREAM_TYPE, seed: log.seed, genesis: w.genesis }, w.entries);
  writeFileSync(
    join(import.meta.dirname, `${log.name}.hashes.json`),
    JSON.stringify({ statechart_hash: STATECHART_HASH, final_state_hash: run.report.final_state_hash, state_post_hashes: run.postHashes }, null, 1) + '\n',
  );
  console.log(`wrote test/golden/${log.name}.jsonl (${w.entries.length} entries) and its hashes`);
}
