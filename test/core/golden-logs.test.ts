// Golden logs: stored proposal streams must replay to their recorded per-entry post hashes on every change.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STATECHART_HASH } from '../../src/generated/statechart.ts';
import { replayStream } from '../../src/replay/replay-stream.ts';
import { readStream } from '../../src/workload/workload-file.ts';

const DIR = join(import.meta.dirname, '..', 'golden');
const logs = readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort();

test('there are golden logs to replay', () => assert.ok(logs.length >= 3, 'logs.length >= 3'));

for (const file of logs) {
  test(`golden log ${file} replays to its recorded hashes`, async () => {
    const expected = JSON.parse(readFileSync(join(DIR, file.replace(/\.jsonl$/, '.hashes.json')), 'utf8')) as { statechart_hash: string; final_state_hash: string; state_post_hashes: string[] };
    assert.equal(expected.statechart_hash, STATECHART_HASH, `${file} was recorded under another statechart; a changed machine definition needs new golden logs (npm run golden:update) and a note why`);
    const stream = await readStream(join(DIR, file));
    const run = replayStream(stream.header.genesis, stream.entries);
    const first = run.postHashes.findIndex((h, i) => h !== expected.state_post_hashes[i]);
    assert.equal(first, -1, `${file}: first divergence at entry ${stream.entries[first]?.index}: got ${run.postHashes[first]}, recorded ${expected.state_post_hashes[first]}`);
    assert.equal(run.postHashes.length, expected.state_post_hashes.length);
    assert.equal(run.report.final_state_hash, expected.final_state_hash);
    assert.equal(run.report.invariant_violations, 0);
  });
}
