// Inputs schemas: $ref inlining, the integer-only rule, and compilation with Ajv in strict mode.
import { Ajv } from 'ajv';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import type { Diagnostics } from './diagnostics.ts';
import type { JsonSchema } from './model.ts';

export const REF_PREFIX = '#/definitions/';

// Keywords whose values are schemas (or maps/lists of schemas); only these are walked for $ref and
// `type`, so a property that happens to be called `type` or `$ref` is not mistaken for a keyword.
const SCHEMA_VALUED = new Set([
  'additionalProperties',
  'additionalItems',
  'items',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
const SCHEMA_MAP_VALUED = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs']);
const SCHEMA_LIST_VALUED = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

export interface SchemaContext {
  readonly doc: Document;
  readonly diagnostics: Diagnostics;
  /** The value nodes of the top-level `definitions:` map. */
  readonly definitions: ReadonlyMap<string, Node>;
}

/**
 * Converts a schema node to plain JSON with every `$ref: '#/definitions/X'` replaced by a copy of X,
 * reporting unresolvable or circular refs and any use of type `number` along the way.
 * `stack` holds the definitions being inlined, to detect cycles.
 */
export function inlineSchema(node: Node, ctx: SchemaContext, stack: readonly string[] = []): unknown {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  if (!isMap(node)) {
    ctx.diagnostics.at(node, 'a schema must be a mapping');
    return {};
  }
  const ref = node.items.find((pair) => isScalar(pair.key) && pair.key.value === '$ref');
  if (ref !== undefined) return inlineRef(node, ref.value as Node | null, ctx, stack);

  const out: Record<string, unknown> = {};
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const value = pair.value as Node | null;
    if (key === 'type') checkType(value, ctx);
    if (SCHEMA_VALUED.has(key)) {
      // An empty value (`items:`) is reported at its key.
      out[key] = isSeq(value)
        ? value.items.map((item) => inlineSchema(item as Node, ctx, stack))
        : inlineSchema(value ?? keyNode, ctx, stack);
    } else if (SCHEMA_MAP_VALUED.has(key) && isMap(value)) {
      const sub: Record<string, unknown> = {};
      for (const subPair of value.items) {
        const subKey = subPair.key as Node;
        sub[String(isScalar(subKey) ? subKey.value : '')] = inlineSchema((subPair.value as Node | null) ?? subKey, ctx, stack);
      }
      out[key] = sub;
    } else if (SCHEMA_LIST_VALUED.has(key) && isSeq(value)) {
      out[key] = value.items.map((item) => inlineSchema(item as Node, ctx, stack));
    } else {
      out[key] = value === null ? null : value.toJS(ctx.doc);
    }
  }
  return out;
}

function inlineRef(map: YAMLMap, target: Node | null, ctx: SchemaContext, stack: readonly string[]): unknown {
  // Siblings of $ref are ignored by draft-07 validators; forbidding them avoids silently dropped keywords.
  if (map.items.length !== 1) ctx.diagnostics.at(map, '$ref must be the only key in its schema');
  const value = isScalar(target) ? target.value : null;
  if (typeof value !== 'string' || !value.startsWith(REF_PREFIX)) {
    ctx.diagnostics.at(target ?? map, `unresolvable $ref ${JSON.stringify(value)}: only '${REF_PREFIX}NAME' is supported`);
    return {};
  }
  const name = value.slice(REF_PREFIX.length);
  const definition = ctx.definitions.get(name);
  if (definition === undefined) {
    ctx.diagnostics.at(target, `unresolvable $ref '${value}': no definition '${name}'`);
    return {};
  }
  if (stack.includes(name)) {
    const cycle = [...stack.slice(stack.indexOf(name)), name].map((n) => REF_PREFIX + n).join(' -> ');
    ctx.diagnostics.at(target, `circular $ref: ${cycle}`);
    return {};
  }
  return inlineSchema(definition, ctx, [...stack, name]);
}

function checkType(value: Node | null, ctx: SchemaContext): void {
  const message = "type 'number' is not allowed (floats are banned from state); use 'integer'";
  if (isScalar(value) && value.value === 'number') ctx.diagnostics.at(value, message);
  if (isSeq(value)) {
    for (const item of value.items) {
      if (isScalar(item) && item.value === 'number') ctx.diagnostics.at(item, message);
    }
  }
}

export type SchemaCompiler = (schema: JsonSchema) => string | null;

/**
 * Compiles with Ajv in strict mode and returns the error message, or null when the schema is usable.
 * allowUnionTypes: strict mode otherwise rejects `type: [string, integer]`, which the format allows.
 */
export function createSchemaCompiler(): SchemaCompiler {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return (schema) => {
    try {
      ajv.compile(schema);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
}

/**
 * Best-effort position for an Ajv message: the first key or scalar under `root` equal to the first
 * quoted word in the message (Ajv quotes the offending keyword or property name), else `root`.
 */
export function locateInSchema(root: Node, message: string): Node {
  const word = /"([^"]+)"/.exec(message)?.[1];
  if (word === undefined) return root;
  const search = (node: Node | null): Node | null => {
    if (node === null) return null;
    if (isScalar(node)) return node.value === word ? node : null;
    if (isMap(node)) {
      for (const pair of node.items) {
        const found = search(pair.key as Node) ?? search(pair.value as Node | null);
        if (found !== null) return found;
      }
    }
    if (isSeq(node)) {
      for (const item of node.items) {
        const found = search(item as Node);
        if (found !== null) return found;
      }
    }
    return null;
  };
  return search(root) ?? root;
}

/** Whether a dotted path (`a.b.c`) names a property of an inlined object schema, looking through arrays. */
export function schemaHasPath(schema: unknown, path: string): boolean {
  let current: unknown = schema;
  for (const segment of path.split('.')) {
    current = unwrapArrays(current);
    if (!isRecord(current) || !isRecord(current['properties'])) return false;
    current = current['properties'][segment];
    if (current === undefined) return false;
  }
  return true;
}

function unwrapArrays(schema: unknown): unknown {
  let current = schema;
  while (isRecord(current) && current['type'] === 'array' && isRecord(current['items'])) current = current['items'];
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
