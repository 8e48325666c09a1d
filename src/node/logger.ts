// Structured JSON logs (pino). Keys, tokens and signatures are redacted wherever they appear.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = ['secret_key', '*.secret_key', 'token', '*.token', '*.*.token', 'signature', '*.signature', 'authorization', '*.authorization'];

export function createLogger(options: { level?: string; destination?: DestinationStream; name?: string } = {}): Logger {
  const opts = { level: options.level ?? 'info', base: { name: options.name ?? 'swoosh' }, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } };
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}
