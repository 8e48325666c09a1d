// SHHH secret detectors: regex rules whose every match is replaced by [REDACTED] in decision records and logs.
// Pure: the same text and rules give the same output on every replica (docs/policy.md, docs/decision-records.md).
import type { Json } from './canonical-json.ts';
import type { RedactionRule } from './state.ts';

export type { RedactionRule };

export const REDACTED = '[REDACTED]';

/**
 * The detectors in force when genesis names none. SHHH replaces them with `Policy_Update.redaction_rules`;
 * an update that omits the field keeps the current ones.
 */
export const DEFAULT_REDACTION_RULES: readonly RedactionRule[] = Object.freeze([
  // Generic API keys: `sk-…` secret keys (OpenAI, Stripe and similar) and `api_key=…` / `API-Key: …` assignments.
  { id: 'api-key-sk', pattern: '\\bsk-[A-Za-z0-9_-]{16,}', flags: '', severity: 'high' },
  { id: 'api-key-assignment', pattern: 'api[_-]?key\\s*[:=]\\s*\\S+', flags: 'i', severity: 'high' },
  // AWS access key ids.
  { id: 'aws-access-key-id', pattern: '\\bAKIA[0-9A-Z]{16}', flags: '', severity: 'critical' },
  // HTTP bearer tokens (an `Authorization: Bearer …` value); 8+ token characters, so prose like "bearer of" is spared.
  { id: 'bearer-token', pattern: '\\bbearer\\s+[A-Za-z0-9._~+/-]{8,}=*', flags: 'i', severity: 'high' },
  // OAuth access tokens: Google (`ya29.`) and GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`).
  { id: 'oauth-google-access-token', pattern: '\\bya29\\.[0-9A-Za-z_-]+', flags: '', severity: 'high' },
  { id: 'oauth-github-token', pattern: '\\bgh[pousr]_[A-Za-z0-9]{36,}', flags: '', severity: 'high' },
  // PEM private keys: whole blocks, then a header whose END line was cut off (its base64 body goes with it).
  {
    id: 'pem-private-key',
    pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----',
    flags: '',
    severity: 'critical',
  },
  { id: 'pem-private-key-unterminated', pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\\s]*', flags: '', severity: 'critical' },
] satisfies RedactionRule[]);

// Compiled forms, by rule object (rules are immutable values in the state).
const compiled = new WeakMap<RedactionRule, RegExp | null>();

/** The rule's global regex (Unicode mode plus the rule's flags), or null if the pattern does not compile. */
export function compileRedactionRule(rule: RedactionRule): RegExp | null {
  const hit = compiled.get(rule);
  if (hit !== undefined) return hit;
  let re: RegExp | null;
  try {
    re = new RegExp(rule.pattern, 'gu' + (rule.flags ?? ''));
  } catch {
    re = null;
  }
  compiled.set(rule, re);
  return re;
}

/** One reason per rule whose pattern does not compile with flags `u` + its flags (empty when all do). */
export function invalidRedactionPatterns(rules: readonly RedactionRule[]): string[] {
  const bad: string[] = [];
  for (const r of rules) {
    try {
      new RegExp(r.pattern, 'u' + (r.flags ?? ''));
    } catch {
      bad.push(`redaction rule ${r.id}: invalid regular expression`);
    }
  }
  return bad;
}

/** Replaces every match of every rule (in rule order) by [REDACTED]. Empty matches are left alone. */
export function redactText(text: string, rules: readonly RedactionRule[]): string {
  let out = text;
  for (const rule of rules) {
    const re = compileRedactionRule(rule);
    if (re === null) continue; // refused at update; never in a state built by the reducer
    out = out.replace(re, (m) => (m === '' ? m : REDACTED));
  }
  return out;
}

/**
 * Redacts every string in a JSON value (object values and array elements, at any depth; keys are kept).
 * Returns the value itself when nothing matched, otherwise a copy.
 */
export function redactJson<T extends Json>(value: T, rules: readonly RedactionRule[]): T;
export function redactJson(value: Json, rules: readonly RedactionRule[]): Json {
  if (rules.length === 0) return value;
  if (typeof value === 'string') return redactText(value, rules);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = redactJson(v, rules);
      if (r !== v) changed = true;
      return r;
    });
    return changed ? out : value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([k, v]): [string, Json] => {
    const r = redactJson(v, rules);
    if (r !== v) changed = true;
    return [k, r];
  });
  // fromEntries defines properties, so a `__proto__` key stays a key.
  return changed ? (Object.fromEntries(entries) as { [key: string]: Json }) : value;
}
