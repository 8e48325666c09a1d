// The state hash: per-section SHA-256 over canonical JSON, the dedupe table by LtHash, combined (docs/hashing.md).
import { digestJson, type Digest } from './digest.ts';
import { JSON_SECTIONS, type JsonSectionName, type StateDocument } from './state.ts';

// Sections are immutable values, so a section's hash can be cached by identity: an unchanged section
// costs nothing to re-hash, which keeps per-transition cost independent of history.
const sectionHashCache = new WeakMap<object, Digest>();

export function sectionHash(value: unknown): Digest {
  if (value !== null && typeof value === 'object') {
    const cached = sectionHashCache.get(value);
    if (cached !== undefined) return cached;
    const h = digestJson(value);
    sectionHashCache.set(value, h);
    return h;
  }
  return digestJson(value);
}

/** The object whose canonical JSON is hashed to give the state hash. */
export function stateHashInput(state: StateDocument, useCache = true): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of JSON_SECTIONS) {
    const v: unknown = state[name as JsonSectionName];
    out[name] = useCache ? sectionHash(v) : digestJson(v);
  }
  out['dedupe'] = state.dedupe.digest();
  return out;
}

const stateHashCache = new WeakMap<StateDocument, Digest>();

export function stateHash(state: StateDocument): Digest {
  const cached = stateHashCache.get(state);
  if (cached !== undefined) return cached;
  const h = digestJson(stateHashInput(state));
  stateHashCache.set(state, h);
  return h;
}
