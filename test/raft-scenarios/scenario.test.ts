// Golden Raft scenarios: each script's rendered run must equal its .golden file (SWOOSH_UPDATE_GOLDEN=1 rewrites).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runScenario } from './scenario-runner.ts';

const DIR = import.meta.dirname;
const scripts = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

test('there are scenario scripts', () => assert.ok(scripts.length >= 5, 'scripts.length >= 5'));

for (const file of scripts) {
  test(`scenario ${file} matches its golden output`, () => {
    const actual = runScenario(readFileSync(join(DIR, file), 'utf8'));
    const golden = join(DIR, file.replace(/\.txt$/, '.golden'));
    if (process.env['SWOOSH_UPDATE_GOLDEN'] === '1') writeFileSync(golden, actual);
    assert.equal(actual, readFileSync(golden, 'utf8'), `${file}: behaviour changed; review the diff, then SWOOSH_UPDATE_GOLDEN=1 to accept`);
  });
}
