// Runs the whole generator: load statechart.yaml, render every output, then write them or check them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatDiagnostic } from './diagnostics.ts';
import { emitStatechartMarkdown } from './emit-mermaid.ts';
import { emitDispatchTs, emitMetricLabelsTs, emitStatechartTs } from './emit-typescript.ts';
import { loadStatechart } from './load-statechart.ts';
import type { SchemaCompiler } from './json-schema.ts';
import type { Statechart } from './model.ts';

export interface GeneratedFile {
  /** Relative to the output root, with forward slashes. */
  readonly path: string;
  readonly content: string;
}

export function generateFiles(sc: Statechart): GeneratedFile[] {
  return [
    { path: 'src/generated/statechart.ts', content: emitStatechartTs(sc) },
    { path: 'src/generated/dispatch.ts', content: emitDispatchTs(sc) },
    { path: 'src/generated/metric-labels.ts', content: emitMetricLabelsTs() },
    { path: 'docs/statechart.md', content: emitStatechartMarkdown(sc) },
  ];
}

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** The files whose content on disk under `root` differs from `files` (missing files included). */
export function findStale(root: string, files: readonly GeneratedFile[]): string[] {
  return files.filter((f) => readIfExists(join(root, f.path)) !== f.content).map((f) => f.path);
}

/** Writes the files that changed; untouched files keep their mtime so watchers stay quiet. */
export function writeFiles(root: string, files: readonly GeneratedFile[]): string[] {
  const written: string[] = [];
  for (const f of findStale(root, files)) {
    const target = join(root, f);
    const content = files.find((g) => g.path === f)?.content ?? '';
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    written.push(f);
  }
  return written;
}

export interface CodegenOptions {
  /** Path of the statechart YAML. */
  readonly input: string;
  /** Directory the output paths are relative to (the repository root). */
  readonly outRoot: string;
  readonly check: boolean;
  /** Name used in error positions; defaults to statechart.yaml. */
  readonly displayName?: string;
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
  readonly compile?: SchemaCompiler;
}

/** Returns the process exit code: 0 on success or fresh outputs, 1 on validation errors or stale outputs. */
export function runCodegen(options: CodegenOptions): number {
  const displayName = options.displayName ?? 'statechart.yaml';
  const result = loadStatechart(readFileSync(options.input, 'utf8'), options.compile);
  if (!result.ok) {
    for (const d of result.diagnostics) options.error(formatDiagnostic(displayName, d));
    options.error(`${displayName}: ${result.diagnostics.length} error${result.diagnostics.length === 1 ? '' : 's'}`);
    return 1;
  }
  const files = generateFiles(result.statechart);
  if (options.check) {
    const stale = findStale(options.outRoot, files);
    if (stale.length === 0) {
      options.log(`codegen: ${files.length} generated files are up to date`);
      return 0;
    }
    for (const path of stale) options.error(`stale: ${path}`);
    options.error('codegen: generated files are out of date; run npm run codegen');
    return 1;
  }
  const written = new Set(writeFiles(options.outRoot, files));
  for (const f of files) options.log(`${written.has(f.path) ? 'wrote' : 'unchanged'} ${f.path}`);
  return 0;
}
