// Tests for codegen/: every validation rule names the right line, the real statechart is valid, and --check catches drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../codegen/diagnostics.ts';
import { findStale, generateFiles, runCodegen, writeFiles } from '../../codegen/generate.ts';
import { createSchemaCompiler } from '../../codegen/json-schema.ts';
import { loadStatechart } from '../../codegen/load-statechart.ts';
import type { Statechart } from '../../codegen/model.ts';
import { schemaToType } from '../../codegen/schema-to-type.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAL_YAML = join(REPO_ROOT, 'statechart.yaml');
// Ajv setup is the slow part; one compiler serves every test.
const compile = createSchemaCompiler();

const BASE = `machine: { id: test, version: 1 }
initial: A
roles: { op: Operator. }
guards: { g: A guard., window: Window guard. }
regions: { main: Main region. }
window_classes: [plan, work]
states:
  A:
    initial: X
    states: { X: {}, Y: {} }
  P:
    type: parallel
    regions:
      R1:
        initial: M
        states: { M: {}, N: {} }
  S:
    sticky: true
  Z:
    type: final
definitions:
  text: { type: string, minLength: 1 }
  reason: { type: object, additionalProperties: false, required: [reason], properties: { reason: { $ref: '#/definitions/text' } } }
transitions:
  - name: Test_Go
    event: go
    from: [A.X]
    to: A.Y
    guards: [g]
    advances: [main]
    roles: [op]
    inputs: { $ref: '#/definitions/reason' }
  - name: Test_Enter
    event: enter
    from: [A]
    to: P
    guards: [g, window]
    window_class: plan
    advances: [main]
    roles: [op, $subject]
    inputs:
      type: object
      additionalProperties: false
      required: [count]
      properties:
        count: { type: integer, minimum: 0 }
        secret: { type: string }
    redact: [secret]
  - name: Test_Step
    event: step
    from: [P.R1.M]
    to: P.R1.N
    advances: [main]
    roles: [op]
    inputs: { $ref: '#/definitions/reason' }
  - name: Test_Stick
    event: stick
    from: [P.R1]
    to: S
    advances: [main]
    roles: [op]
    inputs: { $ref: '#/definitions/reason' }
  - name: Test_End
    event: end
    from: ['*', S]
    to: Z
    advances: [main]
    roles: [op]
    inputs: { $ref: '#/definitions/reason' }
`;

/** BASE with `from` replaced by `to`, failing loudly if the edit does not apply. */
function edit(source: string, from: string, to: string): string {
  assert.ok(source.includes(from), `test setup: ${JSON.stringify(from)} not found`);
  return source.replace(from, to);
}

/** 1-based line of the first line containing `needle` (after skipping `skip` matches). */
function lineOf(source: string, needle: string, skip = 0): number {
  let seen = 0;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] ?? '').includes(needle) && seen++ === skip) return i + 1;
  }
  throw new Error(`test setup: ${JSON.stringify(needle)} not found`);
}

function errorsOf(source: string): string[] {
  const result = loadStatechart(source, compile);
  assert.equal(result.ok, false, 'expected validation errors');
  return result.ok ? [] : result.diagnostics.map((d) => formatDiagnostic('statechart.yaml', d));
}

function load(source: string): Statechart {
  const result = loadStatechart(source, compile);
  if (!result.ok) assert.fail(result.diagnostics.map((d) => formatDiagnostic('statechart.yaml', d)).join('\n'));
  return result.statechart;
}

/** Asserts exactly one error, on `line`, whose message matches `pattern`. */
function assertOneError(source: string, line: number, pattern: RegExp): void {
  const errors = errorsOf(source);
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.join('\n')}`);
  const [error] = errors;
  assert.match(error ?? '', new RegExp(`^statechart\\.yaml:${line}:\\d+: `));
  assert.match(error ?? '', pattern);
}

test('the base fixture is valid', () => {
  const sc = load(BASE);
  assert.deepEqual(
    sc.transitions.map((t) => t.name),
    ['Test_Go', 'Test_Enter', 'Test_Step', 'Test_Stick', 'Test_End'],
  );
  assert.equal(sc.transitions[0]?.line, lineOf(BASE, 'name: Test_Go'));
  assert.deepEqual(sc.transitions[0]?.inputsSchema, {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1 } },
  });
});

test('the real statechart.yaml validates', () => {
  const sc = load(readFileSync(REAL_YAML, 'utf8'));
  assert.equal(sc.machineId, 'swoosh');
  assert.equal(sc.initial, 'BOOT');
  assert.ok(sc.transitions.length > 0, 'sc.transitions.length > 0');
  assert.match(sc.hash, /^sha256-[0-9a-f]{64}$/);
});

test('the hash covers the data, not comments or layout', () => {
  const reformatted = '# a comment\n' + edit(BASE, 'roles: { op: Operator. }', 'roles:\n  op: Operator.   # same data');
  assert.equal(load(reformatted).hash, load(BASE).hash);
  assert.notEqual(load(edit(BASE, 'version: 1', 'version: 2')).hash, load(BASE).hash);
});

test('YAML syntax errors name the line', () => {
  const source = edit(BASE, '    event: go\n', '    event: go: bad\n');
  assertOneError(source, lineOf(source, 'event: go: bad'), /YAML syntax error: Nested mappings/);
  const unclosed = errorsOf(edit(BASE, '    from: [A.X]\n', '    from: [A.X\n'));
  assert.ok(unclosed.length >= 1, 'unclosed.length >= 1');
  assert.match(unclosed[0] ?? '', /^statechart\.yaml:\d+:\d+: YAML syntax error/);
});

test('duplicate keys are rejected', () => {
  const source = edit(BASE, '    event: go\n', '    event: go\n    event: again\n');
  assertOneError(source, lineOf(source, 'event: again'), /duplicate key/);
});

test('unknown state in from', () => {
  const source = edit(BASE, 'from: [A.X]', 'from: [A.NOPE]');
  assertOneError(source, lineOf(source, 'from: [A.NOPE]'), /unknown state 'A\.NOPE' in from of transition Test_Go/);
});

test('unknown target in to', () => {
  const source = edit(BASE, 'to: A.Y', 'to: A.NOPE');
  assertOneError(source, lineOf(source, 'to: A.NOPE'), /unknown target 'A\.NOPE'/);
});

test('a region container is a valid source but not a valid target', () => {
  assert.ok(load(BASE).transitions.some((t) => t.from.includes('P.R1')), 'load(BASE).transitions.some((t) => t.from.includes(\'P.R1\'))');
  const source = edit(BASE, 'to: P.R1.N', 'to: P.R1');
  assertOneError(source, lineOf(source, 'to: P.R1'), /target 'P\.R1' of transition Test_Step is a region/);
});

test('unknown guard', () => {
  const source = edit(BASE, 'guards: [g]', 'guards: [g, nope]');
  assertOneError(source, lineOf(source, 'guards: [g, nope]'), /unknown guard 'nope' in transition Test_Go/);
});

test('unknown role; $subject is allowed', () => {
  const source = edit(BASE, 'roles: [op]', 'roles: [boss]');
  assertOneError(source, lineOf(source, 'roles: [boss]'), /unknown role 'boss' in transition Test_Go/);
  assert.deepEqual(load(BASE).transitions[1]?.roles, ['op', '$subject']);
});

test('unknown region in advances', () => {
  const source = edit(BASE, 'advances: [main]', 'advances: [other]');
  assertOneError(source, lineOf(source, 'advances: [other]'), /unknown region 'other' in advances of transition Test_Go/);
});

test('unknown window_class', () => {
  const source = edit(BASE, 'window_class: plan', 'window_class: lunch');
  assertOneError(source, lineOf(source, 'window_class: lunch'), /unknown window_class 'lunch' in transition Test_Enter/);
});

test('window_class requires the window guard', () => {
  const source = edit(BASE, 'guards: [g, window]', 'guards: [g]');
  assertOneError(source, lineOf(source, 'window_class: plan'), /Test_Enter has a window_class but does not list the 'window' guard/);
});

test('the window guard requires a window_class', () => {
  const source = edit(BASE, '    window_class: plan\n', '');
  assertOneError(source, lineOf(source, 'guards: [g, window]'), /Test_Enter lists the 'window' guard but has no window_class/);
});

test('duplicate transition names', () => {
  const source = edit(BASE, 'name: Test_Step', 'name: Test_Go');
  assertOneError(
    source,
    lineOf(source, 'name: Test_Go', 1),
    new RegExp(`duplicate transition name 'Test_Go' \\(first defined at line ${lineOf(source, 'name: Test_Go')}\\)`),
  );
});

test('the same state twice in one from', () => {
  const source = edit(BASE, 'from: [A.X]', 'from: [A.X, A.X]');
  assertOneError(source, lineOf(source, 'from: [A.X, A.X]'), /from of transition Test_Go lists 'A\.X' twice/);
});

test('a transition without inputs', () => {
  const source = edit(BASE, "    inputs: { $ref: '#/definitions/reason' }\n  - name: Test_End", '  - name: Test_End');
  assertOneError(source, lineOf(source, 'name: Test_Stick'), /transition Test_Stick has no inputs schema/);
});

test('inputs using type number are rejected, directly or through a definition', () => {
  const direct = edit(BASE, 'count: { type: integer, minimum: 0 }', 'count: { type: number, minimum: 0 }');
  assertOneError(direct, lineOf(direct, 'count: { type: number'), /type 'number' is not allowed/);
  const union = edit(BASE, 'count: { type: integer, minimum: 0 }', 'count: { type: [integer, number] }');
  assertOneError(union, lineOf(union, 'count: { type: [integer, number] }'), /type 'number' is not allowed/);
  const viaRef = edit(BASE, 'text: { type: string, minLength: 1 }', 'text: { type: number }');
  assertOneError(viaRef, lineOf(viaRef, 'text: { type: number }'), /type 'number' is not allowed/);
});

test('inputs that Ajv strict mode cannot compile', () => {
  const keyword = edit(BASE, 'secret: { type: string }', 'secret: { type: string, colour: red }');
  assertOneError(keyword, lineOf(keyword, 'colour: red'), /does not compile with Ajv.*unknown keyword: "colour"/);
  const required = edit(BASE, 'required: [count]', 'required: [count, missing]');
  assertOneError(required, lineOf(required, 'required: [count, missing]'), /does not compile with Ajv.*"missing"/);
});

test('unresolvable and circular $ref', () => {
  const missing = edit(BASE, "to: A.Y\n    guards: [g]\n    advances: [main]\n    roles: [op]\n    inputs: { $ref: '#/definitions/reason' }", "to: A.Y\n    guards: [g]\n    advances: [main]\n    roles: [op]\n    inputs: { $ref: '#/definitions/nope' }");
  assertOneError(missing, lineOf(missing, "#/definitions/nope"), /unresolvable \$ref '#\/definitions\/nope'/);
  const external = edit(BASE, "properties: { reason: { $ref: '#/definitions/text' } }", "properties: { reason: { $ref: 'other.json#/x' } }");
  assertOneError(external, lineOf(external, 'other.json'), /unresolvable \$ref "other\.json#\/x"/);
  const circular = edit(BASE, "text: { type: string, minLength: 1 }", "text: { $ref: '#/definitions/text' }");
  const errors = errorsOf(circular);
  assert.ok(errors.length >= 1, 'errors.length >= 1');
  for (const e of errors) assert.match(e, new RegExp(`^statechart\\.yaml:${lineOf(circular, "text: { $ref")}:\\d+: circular \\$ref`));
});

test('a parallel region without an initial', () => {
  const source = edit(BASE, '        initial: M\n', '');
  assertOneError(source, lineOf(source, 'R1:'), /region P\.R1 of parallel state P has no initial/);
});

test("a compound state's initial must name a child", () => {
  const source = edit(BASE, 'initial: X', 'initial: Q');
  assertOneError(source, lineOf(source, 'initial: Q'), /initial 'Q' of compound state A is not one of its children/);
});

test('unreachable states', () => {
  const source = edit(BASE, 'states: { M: {}, N: {} }', 'states: { M: {}, N: {}, O: {} }');
  assertOneError(source, lineOf(source, 'O: {}'), /state P\.R1\.O is unreachable from the initial state A/);
  // A sticky state is still reached through an explicit target; removing it leaves S unreachable.
  const noStick = edit(BASE, 'to: S', 'to: $self');
  assertOneError(noStick, lineOf(noStick, '  S:'), /state S is unreachable/);
});

test('advances and roles must not be empty', () => {
  const advances = edit(BASE, 'advances: [main]', 'advances: []');
  assertOneError(advances, lineOf(advances, 'advances: []'), /advances of transition Test_Go must not be empty/);
  const roles = edit(BASE, 'roles: [op]', 'roles: []');
  assertOneError(roles, lineOf(roles, 'roles: []'), /roles of transition Test_Go must not be empty/);
});

test('transition names must be Area_Action', () => {
  const source = edit(BASE, 'name: Test_Go', 'name: test_go');
  assertOneError(source, lineOf(source, 'name: test_go'), /transition name 'test_go' must match/);
});

test('unknown keys and bad redact paths are rejected', () => {
  const key = edit(BASE, '    event: go\n', '    event: go\n    gaurds: [g]\n');
  assertOneError(key, lineOf(key, 'gaurds'), /unknown key 'gaurds' in a transition/);
  const redact = edit(BASE, 'redact: [secret]', 'redact: [password]');
  assertOneError(redact, lineOf(redact, 'redact: [password]'), /redact path 'password' of transition Test_Enter/);
});

test('all errors are collected and sorted by line', () => {
  let source = edit(BASE, 'guards: [g]', 'guards: [nope]');
  source = edit(source, 'to: P.R1.N', 'to: P.R1.NOPE');
  const errors = errorsOf(source);
  assert.equal(errors.length, 2);
  assert.match(errors[0] ?? '', new RegExp(`^statechart\\.yaml:${lineOf(source, 'guards: [nope]')}:`));
  assert.match(errors[1] ?? '', new RegExp(`^statechart\\.yaml:${lineOf(source, 'to: P.R1.NOPE')}:`));
});

test('schemaToType maps the supported constructs', () => {
  assert.equal(
    schemaToType({
      type: 'object',
      additionalProperties: false,
      required: ['a'],
      properties: {
        a: { type: 'string', enum: ['x', 'y'] },
        b: { type: 'array', items: { type: ['string', 'integer'] } },
        c: { type: 'boolean' },
        d: { oneOf: [] },
      },
    }),
    [
      '{',
      "  readonly a: 'x' | 'y';",
      '  readonly b?: readonly (string | number)[];',
      '  readonly c?: boolean;',
      '  readonly d?: unknown;',
      '}',
    ].join('\n'),
  );
  assert.equal(schemaToType({ type: 'object', properties: { a: { type: 'null' } } }), '{ readonly a?: null; readonly [key: string]: unknown }');
});

test('generation is deterministic and every TS output starts with the GENERATED header', () => {
  const source = readFileSync(REAL_YAML, 'utf8');
  const first = generateFiles(load(source));
  const second = generateFiles(load(source));
  assert.deepEqual(first, second);
  for (const f of first.filter((g) => g.path.endsWith('.ts'))) {
    assert.ok(f.content.startsWith('// GENERATED by codegen/ from statechart.yaml. Do not edit; run npm run codegen.\n'), f.path);
  }
});

test('--check detects stale, missing and fresh outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-codegen-'));
  try {
    const input = join(dir, 'statechart.yaml');
    writeFileSync(input, BASE);
    const out: string[] = [];
    const run = (check: boolean): number =>
      runCodegen({ input, outRoot: dir, check, compile, log: (l) => out.push(l), error: (l) => out.push(l) });

    assert.equal(run(true), 1, 'nothing generated yet');
    assert.ok(out.includes('stale: src/generated/statechart.ts'), 'out.includes(\'stale: src/generated/statechart.ts\')');
    out.length = 0;
    assert.equal(run(false), 0);
    assert.ok(out.includes('wrote docs/statechart.md'), 'out.includes(\'wrote docs/statechart.md\')');
    out.length = 0;
    assert.equal(run(true), 0);

    writeFileSync(join(dir, 'src/generated/dispatch.ts'), '// edited by hand\n');
    out.length = 0;
    assert.equal(run(true), 1);
    assert.deepEqual(out.filter((l) => l.startsWith('stale:')), ['stale: src/generated/dispatch.ts']);

    // Changing the YAML makes the previously generated files stale.
    run(false);
    writeFileSync(input, edit(BASE, 'version: 1', 'version: 2'));
    out.length = 0;
    assert.equal(run(true), 1);
    assert.ok(out.includes('stale: src/generated/statechart.ts'), 'out.includes(\'stale: src/generated/statechart.ts\')');

    writeFileSync(input, edit(BASE, 'to: A.Y', 'to: A.NOPE'));
    out.length = 0;
    assert.equal(run(true), 1);
    assert.match(out[0] ?? '', /^statechart\.yaml:\d+:\d+: unknown target 'A\.NOPE'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFiles only rewrites changed files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-codegen-'));
  try {
    const files = generateFiles(load(BASE));
    assert.equal(writeFiles(dir, files).length, files.length);
    assert.deepEqual(writeFiles(dir, files), []);
    assert.deepEqual(findStale(dir, files), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed generated files match statechart.yaml', () => {
  const files = generateFiles(load(readFileSync(REAL_YAML, 'utf8')));
  assert.deepEqual(findStale(REPO_ROOT, files), [], 'run npm run codegen');
});
