// Turns an inlined JSON Schema into a TypeScript type expression; anything it does not model becomes `unknown`.
import { isRecord } from './json-schema.ts';
import { tsKey, tsString } from './ts-literal.ts';

const WIDTH = 110;

/** The TS type for `schema`, laid out for a position at block indent `indent` and column `column`. */
export function schemaToType(schema: unknown, indent = 0, column = indent): string {
  if (schema === true) return 'unknown';
  if (schema === false) return 'never';
  if (!isRecord(schema)) return 'unknown';
  if (Array.isArray(schema['enum'])) return union(schema['enum'].map(literalType));
  if ('const' in schema) return literalType(schema['const']);
  const type = schema['type'];
  if (typeof type === 'string') return typeFor(type, schema, indent, column);
  if (Array.isArray(type)) return union(type.map((t) => (typeof t === 'string' ? typeFor(t, schema, indent, column) : 'unknown')));
  return 'unknown';
}

function typeFor(type: string, schema: Record<string, unknown>, indent: number, column: number): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = schema['items'];
      // Tuple-form `items: [...]` is not modelled.
      const element = isRecord(items) || typeof items === 'boolean' ? schemaToType(items, indent, column + 'readonly '.length) : 'unknown';
      const needsParens = element.startsWith('readonly ') || hasTopLevelUnion(element);
      return `readonly ${needsParens ? `(${element})` : element}[]`;
    }
    case 'object':
      return objectType(schema, indent, column);
    default:
      return 'unknown';
  }
}

function objectType(schema: Record<string, unknown>, indent: number, column: number): string {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = new Set(Array.isArray(schema['required']) ? schema['required'].filter((r) => typeof r === 'string') : []);
  const closed = schema['additionalProperties'] === false;
  const names = Object.keys(properties);
  if (names.length === 0) return closed ? 'Readonly<Record<string, never>>' : 'Readonly<Record<string, unknown>>';

  const member = (name: string, memberIndent: number, memberColumn: number): string => {
    const head = `readonly ${tsKey(name)}${required.has(name) ? '' : '?'}: `;
    return head + schemaToType(properties[name], memberIndent, memberColumn + head.length);
  };
  const members = names.map((name) => member(name, indent, column));
  if (!closed) members.push('readonly [key: string]: unknown');
  const flat = `{ ${members.join('; ')} }`;
  if (column + flat.length <= WIDTH && !flat.includes('\n')) return flat;

  const inner = ' '.repeat(indent + 2);
  const lines = names.map((name) => `${inner}${member(name, indent + 2, inner.length)};\n`);
  if (!closed) lines.push(`${inner}readonly [key: string]: unknown;\n`);
  return `{\n${lines.join('')}${' '.repeat(indent)}}`;
}

function literalType(value: unknown): string {
  if (typeof value === 'string') return tsString(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return 'unknown';
}

function hasTopLevelUnion(type: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < type.length; i++) {
    const ch = type[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === "'") quoted = false;
    } else if (ch === "'") quoted = true;
    else if (ch === '{' || ch === '(' || ch === '[' || ch === '<') depth++;
    else if (ch === '}' || ch === ')' || ch === ']' || ch === '>') depth--;
    else if (ch === '|' && depth === 0) return true;
  }
  return false;
}

function union(members: readonly string[]): string {
  const unique = [...new Set(members)];
  if (unique.length === 0) return 'never';
  return unique.join(' | ');
}
