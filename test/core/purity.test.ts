// The determinism boundary: src/core and src/generated read no clock, randomness or environment and do no I/O.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const FORBIDDEN = [
  /Date\.now|new Date\(/,
  /Math\.random|performance\.now|process\.env|process\.hrtime/,
  /setTimeout|setInterval|setImmediate/,
  /from ['"](node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|os|worker_threads|cluster)['"]/,
  /from ['"]\.\.\/(cli|api|node|storage|transport|workload|replay|sdk)\//,
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('src/core and src/generated use no clock, randomness, environment, timers or I/O modules', () => {
  const hits: string[] = [];
  for (const file of [...files(join(ROOT, 'src', 'core')), ...files(join(ROOT, 'src', 'generated'))]) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (line.trim().startsWith('//') || line.trim().startsWith('*')) return;
      for (const re of FORBIDDEN) if (re.test(line)) hits.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(hits, []);
});
