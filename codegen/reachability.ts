// Which states can be entered from the initial state, by a fixpoint over the transitions.
import { ANY_SOURCE } from './model.ts';
import type { StateNode } from './model.ts';

export interface ReachabilityTransition {
  readonly from: readonly string[];
  readonly to: string;
}

/**
 * The set of state paths reachable from `initial`. This over-approximates the runtime: a transition
 * fires once any of its sources is reachable, ignoring guards; `'*'` fires once any non-final state
 * is reachable. `$self` and `$history` return to configurations already counted, so add nothing.
 */
export function reachableStates(
  roots: readonly StateNode[],
  initial: string,
  transitions: readonly ReachabilityTransition[],
): Set<string> {
  const byPath = new Map<string, StateNode>();
  const index = (node: StateNode): void => {
    byPath.set(node.path, node);
    node.children.forEach(index);
  };
  roots.forEach(index);

  const reached = new Set<string>();
  let anyNonFinal = false;
  const enterDefault = (node: StateNode): void => {
    reached.add(node.path);
    if (node.kind !== 'final') anyNonFinal = true;
    if (node.kind === 'parallel') node.children.forEach(enterDefault);
    const initialChild = node.initial === null ? undefined : byPath.get(node.initial);
    if (initialChild !== undefined) enterDefault(initialChild);
  };
  // Entering a nested target also enters its ancestors; sibling regions keep whatever they had.
  const enter = (path: string): void => {
    const target = byPath.get(path);
    if (target === undefined) return;
    for (let p = target.parentPath; p !== null; p = byPath.get(p)?.parentPath ?? null) reached.add(p);
    enterDefault(target);
  };

  enter(initial);
  const pending = [...transitions];
  for (let progressed = true; progressed; ) {
    progressed = false;
    for (let i = pending.length - 1; i >= 0; i--) {
      const t = pending[i];
      if (t === undefined) continue;
      if (!t.from.some((source) => (source === ANY_SOURCE ? anyNonFinal : reached.has(source)))) continue;
      pending.splice(i, 1);
      enter(t.to);
      progressed = true;
    }
  }
  return reached;
}
