// Validation errors with source positions, collected so one run reports every problem in statechart.yaml.
import type { LineCounter, Node } from 'yaml';

export interface Diagnostic {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export class Diagnostics {
  readonly #lineCounter: LineCounter;
  readonly #items: Diagnostic[] = [];
  // A definition inlined into several transitions is checked once per use; report each problem once.
  readonly #seen = new Set<string>();

  constructor(lineCounter: LineCounter) {
    this.#lineCounter = lineCounter;
  }

  /** Reports at the start of `node`; a missing node (e.g. an absent key) reports at 1:1. */
  at(node: Node | null | undefined, message: string): void {
    this.atOffset(node?.range?.[0] ?? 0, message);
  }

  atOffset(offset: number, message: string): void {
    const { line, col } = this.#lineCounter.linePos(offset);
    const key = `${line}:${col}:${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#items.push({ line, col, message });
  }

  lineOf(node: Node | null | undefined): number {
    return this.#lineCounter.linePos(node?.range?.[0] ?? 0).line;
  }

  get count(): number {
    return this.#items.length;
  }

  /** Sorted by position so the output is stable whatever order the checks ran in. */
  list(): Diagnostic[] {
    return [...this.#items].sort((a, b) => a.line - b.line || a.col - b.col);
  }
}

export function formatDiagnostic(fileName: string, d: Diagnostic): string {
  return `${fileName}:${d.line}:${d.col}: ${d.message}`;
}
