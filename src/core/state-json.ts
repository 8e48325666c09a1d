// The state document as plain JSON (dedupe table as rows): for snapshots, diffs and `GET /state`.
import type { Json } from './canonical-json.ts';
import { DedupeTable, type DedupeRow } from './dedupe-table.ts';
import type { StateDocument } from './state.ts';

export function stateToJson(state: StateDocument): Record<string, Json> {
  return { ...(state as unknown as Record<string, Json>), dedupe: state.dedupe.toArray() as unknown as Json };
}

export interface StateDifference {
  readonly path: string;
  readonly left: Json | undefined;
  readonly right: Json | undefined;
}

/** Leaf-level differences between two JSON values, at most `limit` of them, in key order. */
export function diffJson(left: Json | undefined, right: Json | undefined, path = '', limit = 50, out: StateDifference[] = []): StateDifference[] {
  if (out.length >= limit) return out;
  const lo = left !== null && typeof left === 'object';
  const ro = right !== null && typeof right === 'object';
  if (lo && ro && Array.isArray(left) === Array.isArray(right)) {
    const l = left as Record<string, Json>;
    const r = right as Record<string, Json>;
    const keys = [...new Set([...Object.keys(l), ...Object.keys(r)])].sort();
    for (const k of keys) diffJson(l[k], r[k], Array.isArray(left) ? `${path}[${k}]` : `${path}.${k}`, limit, out);
    return out;
  }
  if (JSON.stringify(left) !== JSON.stringify(right)) out.push({ path: path || '.', left, right });
  return out;
}

/**
 * Rebuilds a state document from its JSON form (a snapshot or GET /state). The caller checks the result's
 * hash against the recorded one: that, not this function, is what makes a snapshot trustworthy.
 */
export function stateFromJson(json: Record<string, unknown>): StateDocument {
  const rows = json['dedupe'];
  if (!Array.isArray(rows)) throw new TypeError('state JSON: dedupe must be an array of rows');
  return { ...(json as unknown as StateDocument), dedupe: DedupeTable.fromRows(rows as DedupeRow[]) };
}
