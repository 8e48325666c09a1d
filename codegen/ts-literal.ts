// Prints JSON-like values as TypeScript source: stable key order, single quotes, wrapped at a fixed width.

const WIDTH = 110;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function tsString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (code < 0x20 || code === 0x2028 || code === 0x2029 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + "'";
}

export function tsKey(key: string): string {
  return IDENTIFIER.test(key) ? key : tsString(key);
}

/**
 * `value` as a TS expression starting at column `column` with the enclosing block at `indent`:
 * on one line when it fits, otherwise one element or property per line.
 */
export function tsLiteral(value: unknown, indent = 0, column = indent): string {
  const flat = flatLiteral(value);
  if (column + flat.length <= WIDTH || !isContainer(value)) return flat;
  const inner = ' '.repeat(indent + 2);
  const close = ' '.repeat(indent);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => `${inner}${tsLiteral(item, indent + 2)},\n`);
    return `[\n${items.join('')}${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const prefix = `${inner}${tsKey(k)}: `;
    return `${prefix}${tsLiteral(v, indent + 2, prefix.length)},\n`;
  });
  return `{\n${entries.join('')}${close}}`;
}

function isContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function flatLiteral(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return tsString(value);
    case 'boolean':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('tsLiteral: non-finite number');
      return String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => flatLiteral(item)).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) return '{}';
      return `{ ${entries.map(([k, v]) => `${tsKey(k)}: ${flatLiteral(v)}`).join(', ')} }`;
    }
    default:
      throw new TypeError(`tsLiteral: cannot print ${typeof value}`);
  }
}
