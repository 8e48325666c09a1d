// A secret that cannot reach a log line by accident: every way a value is turned into text
// (String(), template literals, JSON.stringify, pino, util.inspect / console.log) gives '[REDACTED]'.
// The value lives in a private field, so it is not an enumerable property either; only reveal() returns it.
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The secret itself. Call it at the point of use (a header, a signature), never to build a message. */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
