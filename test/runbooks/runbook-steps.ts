// Walks a runbook's steps as written: each ```sh block after a `<!-- step: NAME -->` marker is run line by line
// through bash, with `swoosh` meaning this checkout's CLI and the runbook's variables ($DIR, $ID, ...) taken from
// the test. So a runbook and its test cannot drift: change a command in the markdown and the test runs the new one.
//
// Conventions (runbooks/README.md):
// - `<!-- step: vars -->` marks the block of `export NAME=...` lines that declares the runbook's variables; it is
//   not run (the test supplies values for its own cluster), but every variable a step uses must be declared there.
// - A line `swoosh serve ...` or `swoosh cluster up ...` starts a long-running process: the runner expands its
//   words with bash and hands them to the test, which starts and later stops the process.
// - Anything else runs as `bash -c` with `set -euo pipefail`; its exit code, stdout and stderr are returned.
//   (`curl` falls back to a small fetch-based stand-in where it is not installed.)
// SWOOSH_RUNBOOK_TRACE=1 prints each command with its duration and exit code.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'bin', 'swoosh.mjs');

export interface CommandResult {
  readonly line: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class StepResult {
  constructor(
    readonly name: string,
    readonly results: readonly CommandResult[],
  ) {}

  /** The one command of this step whose line matches `re` (e.g. /endpoint health/). */
  of(re: RegExp): CommandResult {
    const hits = this.results.filter((r) => re.test(r.line));
    if (hits.length !== 1) throw new Error(`step ${this.name}: ${hits.length} commands match ${re}; lines: ${this.results.map((r) => r.line).join(' | ')}`);
    return hits[0]!;
  }

  /** Every command with its exit code and output, for assertion messages. */
  toString(): string {
    return this.results.map((r) => `$ ${r.line}\n[exit ${r.code}]\n${r.stdout}${r.stderr}`).join('\n');
  }
}

interface Step {
  readonly name: string;
  readonly lines: readonly string[];
}

/** Starts a long-running `swoosh serve|cluster up` (argv without the leading `swoosh`); resolves once it serves. */
export type Background = (argv: readonly string[]) => Promise<void>;

const VAR = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g;

/** Joins `\` continuations and drops blank and comment-only lines. */
function logicalLines(block: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const raw of block.split('\n')) {
    if (raw.trimEnd().endsWith('\\')) {
      acc += raw.trimEnd().slice(0, -1) + ' ';
      continue;
    }
    const line = (acc + raw).trim();
    acc = '';
    if (line !== '' && !line.startsWith('#')) out.push(line);
  }
  return out;
}

/** `curl` for machines without it: -s, -X METHOD, -d DATA, -H HEADER and one URL; prints the body. */
function curlShim(): string | null {
  if (spawnSync('bash', ['-c', 'command -v curl'], { encoding: 'utf8' }).status === 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-curl-'));
  const file = join(dir, 'curl');
  writeFileSync(
    file,
    `#!${process.execPath}
const a = process.argv.slice(2); let method, data, url; const headers = {};
for (let i = 0; i < a.length; i++) {
  const x = a[i];
  if (x === '-s' || x === '-sS') continue;
  else if (x.startsWith('-X')) method = x.length > 2 ? x.slice(2) : a[++i];
  else if (x === '-d' || x === '--data') { data = a[++i]; if (data.startsWith('@')) data = require('node:fs').readFileSync(data.slice(1), 'utf8'); }
  else if (x === '-H') { const [k, ...v] = a[++i].split(':'); headers[k.trim()] = v.join(':').trim(); }
  else url = x;
}
fetch(url, { method: method ?? (data === undefined ? 'GET' : 'POST'), headers, body: data })
  .then(async (r) => process.stdout.write(await r.text()))
  .catch((e) => { process.stderr.write('curl: ' + e.message + '\\n'); process.exitCode = 7; });
`,
  );
  chmodSync(file, 0o755);
  return dir;
}

let shimDir: string | null | undefined;

export class Runbook {
  readonly steps = new Map<string, Step>();
  readonly declared = new Set<string>();
  private readonly walked = new Set<string>();

  private constructor(readonly file: string) {}

  /** Reads runbooks/NAME; every ```sh block must follow a step marker. */
  static load(name: string): Runbook {
    const file = join(REPO, 'runbooks', name);
    const text = readFileSync(file, 'utf8');
    const book = new Runbook(file);
    const block = /(?:<!--\s*step:\s*([a-z0-9-]+)\s*-->\s*\n)?```(\w*)\n([\s\S]*?)```/g;
    for (const m of text.matchAll(block)) {
      const [, name, lang, body] = m;
      if (lang !== 'sh') continue;
      if (name === undefined) throw new Error(`${file}: a sh block has no <!-- step: NAME --> marker:\n${body}`);
      if (book.steps.has(name)) throw new Error(`${file}: step ${name} appears twice`);
      book.steps.set(name, { name, lines: logicalLines(body!) });
    }
    const vars = book.steps.get('vars');
    if (vars === undefined) throw new Error(`${file}: no <!-- step: vars --> block`);
    for (const line of vars.lines) {
      const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
      if (m === null) throw new Error(`${file}: the vars block holds only export NAME=VALUE lines, not: ${line}`);
      book.declared.add(m[1]!);
    }
    return book;
  }

  /** Variables the steps use that the vars block does not declare (should be empty). */
  undeclared(): string[] {
    const used = new Set<string>();
    for (const s of this.steps.values()) if (s.name !== 'vars') for (const l of s.lines) for (const m of l.matchAll(VAR)) used.add(m[1]!);
    return [...used].filter((v) => !this.declared.has(v)).sort();
  }

  /** Steps no test has run yet (should be empty at the end of the test). */
  unwalked(): string[] {
    return [...this.steps.keys()].filter((s) => s !== 'vars' && !this.walked.has(s));
  }

  /** The step's command lines, after the marker (for tests that check what a step says). */
  lines(name: string): readonly string[] {
    const s = this.steps.get(name);
    if (s === undefined) throw new Error(`${this.file}: no step ${name}`);
    return s.lines;
  }

  /**
   * Runs step `name` with `vars` as the environment; `cwd` is where relative paths land. Does not stop at a
   * failing command: the test asserts on each command's exit code.
   */
  async run(name: string, vars: Readonly<Record<string, string>>, opts: { cwd: string; background?: Background; timeoutMs?: number }): Promise<StepResult> {
    const lines = this.lines(name);
    this.walked.add(name);
    if (shimDir === undefined) shimDir = curlShim();
    const env = { ...process.env, ...vars, SWOOSH_RUNBOOK_NODE: process.execPath, SWOOSH_RUNBOOK_CLI: CLI, PATH: shimDir === null ? process.env['PATH']! : `${shimDir}:${process.env['PATH']!}` };
    const results: CommandResult[] = [];
    for (const line of lines) {
      if (/^swoosh\s+(serve|cluster\s+up)\b/.test(line)) {
        if (opts.background === undefined) throw new Error(`step ${name}: ${line} needs a background starter`);
        const words = spawnSync('bash', ['-c', `set -u; printf '%s\\0' ${line}`], { env, encoding: 'utf8' });
        if (words.status !== 0) throw new Error(`step ${name}: cannot expand ${line}: ${words.stderr}`);
        await opts.background(words.stdout.split('\0').filter(Boolean).slice(1));
        results.push({ line, code: 0, stdout: '', stderr: '' });
        continue;
      }
      const started = Date.now();
      results.push(await bash(line, env, opts.cwd, opts.timeoutMs ?? 30_000));
      if (process.env['SWOOSH_RUNBOOK_TRACE'] !== undefined) process.stderr.write(`# ${name}: ${line} (${Date.now() - started} ms, exit ${results.at(-1)!.code})\n`);
    }
    return new StepResult(name, results);
  }
}

/** One command line through bash (its own process group, so a timeout kills the CLI under it too). */
function bash(line: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<CommandResult> {
  const script = `set -euo pipefail\nswoosh() { "$SWOOSH_RUNBOOK_NODE" "$SWOOSH_RUNBOOK_CLI" "$@"; }\n${line}\n`;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[runbook test: killed after ${timeoutMs} ms]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ line, code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/** Every `sha256-…` in a text, in order. */
export function hashesIn(text: string): string[] {
  return [...text.matchAll(/sha256-[0-9a-f]{64}/g)].map((m) => m[0]);
}

/** The value of a Prometheus sample line `name{labels} value` (NaN when absent). */
export function sample(text: string, series: string): number {
  const escaped = series.replace(/[{}"=]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
}
