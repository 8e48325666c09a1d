// Structured JSON logs (pino). Keys, tokens and signatures are redacted wherever they appear: by path (REDACT_PATHS),
// and by content: every string value, the message and child bindings are scrubbed with SHHH's default secret
// detectors (DEFAULT_REDACTION_RULES), so a secret pasted into any field never reaches a log line.
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { DEFAULT_REDACTION_RULES, redactText, type RedactionRule } from '../core/redaction.ts';

export type { Logger };

export const REDACT_PATHS = ['secret_key', '*.secret_key', 'token', '*.token', '*.*.token', 'signature', '*.signature', 'authorization', '*.authorization'];

/** Deeper structures are logged as this marker rather than walked. */
const MAX_DEPTH = 32;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with every string scrubbed: plain objects and arrays are walked (cycles are kept as pino's
 * `[Circular]`), errors become pino's serialized form first so their message and stack are scrubbed too.
 * Other objects (Buffers, Dates, class instances) are left to pino as they are.
 */
export function scrubLogValue(value: unknown, rules: readonly RedactionRule[] = DEFAULT_REDACTION_RULES, seen: Set<object> = new Set(), depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, rules);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  // pino's error form ({type, message, stack, ...}, causes folded into message and stack), as own enumerable fields.
  const target: object = value instanceof Error ? { ...(stdSerializers.err(value) as object) } : value;
  if (!Array.isArray(target) && !isPlainObject(target)) return value;
  seen.add(value);
  try {
    if (Array.isArray(target)) return target.map((v) => scrubLogValue(v, rules, seen, depth + 1));
    return Object.fromEntries(Object.entries(target).map(([k, v]) => [k, scrubLogValue(v, rules, seen, depth + 1)]));
  } finally {
    seen.delete(value);
  }
}

export function createLogger(options: { level?: string; destination?: DestinationStream; name?: string } = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: options.name ?? 'swoosh' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // An error under `err` is serialized and scrubbed like any other value (its message and stack may quote secrets).
    serializers: { err: (e: unknown) => (e instanceof Error ? scrubLogValue(e) : e) },
    formatters: {
      // The merging object (and a `msg` inside it) and child bindings.
      log: (object) => scrubLogValue(object) as Record<string, unknown>,
      bindings: (bindings) => scrubLogValue(bindings) as Record<string, unknown>, // the base; children below
    },
    hooks: {
      // The message and format arguments. An error logged on its own becomes {err} so pino takes the (scrubbed)
      // message from it rather than from the raw error.
      logMethod(args, method) {
        const scrubbed = (args as unknown[]).map((a, i) => (i === 0 && a !== null && typeof a === 'object' && !(a instanceof Error) ? a : scrubLogValue(a)));
        if (args[0] instanceof Error) scrubbed[0] = { err: scrubbed[0] };
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const logger = options.destination === undefined ? pino(opts) : pino(opts, options.destination);
  // pino applies formatters.bindings to the base only; child loggers inherit this `child`, so every level of
  // bindings is scrubbed too.
  const child = logger.child;
  Object.defineProperty(logger, 'child', {
    value: function (this: Logger, bindings: Record<string, unknown>, childOptions?: Parameters<Logger['child']>[1]) {
      return child.call(this, scrubLogValue(bindings) as Record<string, unknown>, childOptions);
    },
    writable: true,
    configurable: true,
  });
  return logger;
}
