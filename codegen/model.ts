// The validated statechart as plain data: what the loader produces and every emitter consumes.

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'region' | 'final';

export interface StateNode {
  readonly name: string;
  readonly path: string;
  readonly parentPath: string | null;
  readonly kind: StateKind;
  /** Full path of the initial child (compound states and regions), else null. */
  readonly initial: string | null;
  readonly sticky: boolean;
  readonly description: string | null;
  readonly children: readonly StateNode[];
  readonly line: number;
}

export interface NamedItem {
  readonly name: string;
  readonly description: string;
}

export type JsonSchema = { readonly [key: string]: unknown };

export interface Transition {
  readonly name: string;
  readonly event: string;
  readonly description: string | null;
  readonly from: readonly string[];
  readonly to: string;
  readonly guards: readonly string[];
  readonly windowClass: string | null;
  readonly advances: readonly string[];
  readonly roles: readonly string[];
  readonly compensation: boolean;
  readonly redact: readonly string[];
  /** The inputs schema with every `$ref` inlined. */
  readonly inputsSchema: JsonSchema;
  readonly line: number;
}

export interface Statechart {
  readonly machineId: string;
  readonly machineVersion: number;
  /** digestJson of the YAML's data, so comments and formatting do not change it. */
  readonly hash: string;
  readonly initial: string;
  readonly roles: readonly NamedItem[];
  readonly guards: readonly NamedItem[];
  readonly regions: readonly NamedItem[];
  readonly windowClasses: readonly string[];
  readonly states: readonly StateNode[];
  readonly transitions: readonly Transition[];
}

export const SELF_TARGET = '$self';
export const HISTORY_TARGET = '$history';
export const ANY_SOURCE = '*';
export const SUBJECT_ROLE = '$subject';
export const WINDOW_GUARD = 'window';

/** Every state in document order (a node before its children). */
export function allStates(roots: readonly StateNode[]): StateNode[] {
  const out: StateNode[] = [];
  const visit = (node: StateNode): void => {
    out.push(node);
    node.children.forEach(visit);
  };
  roots.forEach(visit);
  return out;
}
