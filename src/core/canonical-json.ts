// Canonical JSON (RFC 8785, JCS) over the JSON data model SWOOSH uses: the one byte form that is hashed and signed.

/** A JSON value as SWOOSH stores it: no undefined, no functions, numbers finite. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Serializes `value` per RFC 8785: object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers in ECMAScript JSON.stringify form (which is what RFC 8785 specifies).
 * Throws on values outside the JSON data model; callers validate at the boundary first.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, exactly RFC 8785 §3.2.3.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
  }
}

/** The UTF-8 bytes of the canonical form. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
