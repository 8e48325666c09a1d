// Secrets (the KACHING license key, adapter signing keys, adapter credentials) live in one age-encrypted
// JSON file, `swoosh.secrets.v1` (docs/secrets.md). This module generates age identities, encrypts and
// decrypts that file with the age-encryption package (typage), validates it strictly, and loads it with
// the identity taken from a file or the environment.
//
// No error raised here ever carries secret material: messages name fields, line numbers and file paths,
// never values, and errors from the age library are never passed through where they could quote an
// identity (its bech32 decoder puts the whole string in "Invalid checksum in ..." messages).
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { parseKeyFile, type KeyFile } from '../sdk/proposal-signer.ts';
import { REDACTED, Secret } from './secret-value.ts';

export const SECRETS_FILE_TYPE = 'swoosh.secrets.v1';

/** The decrypted secrets file. Plain data (it is the file format); hand `openSecrets` output to running code. */
export interface SecretsFile {
  readonly type: typeof SECRETS_FILE_TYPE;
  /** The KACHING license key, sent only to the license server; never proposed, never in the replicated log. */
  readonly kaching?: { readonly license_key: string };
  /** Adapter name → its Ed25519 signing key (the `swoosh keygen` key file, verbatim). */
  readonly adapter_keys?: Readonly<Record<string, KeyFile>>;
  /** Credential name → opaque secret string (API tokens, passwords). */
  readonly credentials?: Readonly<Record<string, string>>;
}

export type SecretsErrorCode =
  | 'secrets_file_missing' // the encrypted file cannot be read
  | 'secrets_identity_missing' // no identity was given, or the identity file cannot be read / holds none
  | 'secrets_identity_invalid' // an identity is not a well-formed AGE-SECRET-KEY-1... string
  | 'secrets_identity_permissions' // the identity file is readable or writable by group or others
  | 'secrets_recipient_invalid' // encrypt: no recipients, or one is not an age1... recipient
  | 'secrets_decrypt_failed' // not an age file, tampered with, or no identity matches its recipients
  | 'secrets_malformed'; // decrypted (or to-be-encrypted) content is not a valid swoosh.secrets.v1 document

/** Every failure of this module. `code` is stable and machine-readable; `message` never holds secret material. */
export class SecretsError extends Error {
  readonly code: SecretsErrorCode;

  constructor(code: SecretsErrorCode, message: string) {
    super(message);
    this.name = 'SecretsError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------------
// Validation

const TOP_LEVEL_FIELDS = new Set(['type', 'kaching', 'adapter_keys', 'credentials']);
const KACHING_FIELDS = new Set(['license_key']);
const KEY_FILE_FIELDS = new Set(['type', 'signer', 'secret_key']);
/** Adapter and credential names: they appear in messages and summaries, so they are kept plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function malformed(message: string): SecretsError {
  return new SecretsError('secrets_malformed', message);
}

/** A field name for a message: quoted, control characters escaped, long names cut. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? name.slice(0, 64) + '…' : name);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkFields(obj: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) throw malformed(`unknown field ${quoteName(k)} ${where}`);
  }
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/**
 * Strict validation of a decoded `swoosh.secrets.v1` document: unknown fields at any level, wrong types,
 * empty values, odd names and key files that fail `parseKeyFile` are all `secrets_malformed`.
 * Returns a fresh copy holding only the validated fields.
 */
export function parseSecretsFile(value: unknown): SecretsFile {
  if (!isObject(value)) throw malformed('the secrets file must hold a JSON object');
  checkFields(value, TOP_LEVEL_FIELDS, 'at the top level');
  if (value['type'] !== SECRETS_FILE_TYPE) throw malformed(`"type" must be "${SECRETS_FILE_TYPE}"`);
  const out: { type: typeof SECRETS_FILE_TYPE; kaching?: { license_key: string }; adapter_keys?: Record<string, KeyFile>; credentials?: Record<string, string> } = {
    type: SECRETS_FILE_TYPE,
  };

  if ('kaching' in value) {
    const k = value['kaching'];
    if (!isObject(k)) throw malformed('"kaching" must be an object');
    checkFields(k, KACHING_FIELDS, 'in "kaching"');
    if (!nonEmptyString(k['license_key'])) throw malformed('"kaching.license_key" must be a non-empty string');
    out.kaching = { license_key: k['license_key'] };
  }

  if ('adapter_keys' in value) {
    const keys = value['adapter_keys'];
    if (!isObject(keys)) throw malformed('"adapter_keys" must be an object of adapter name → key file');
    const entries: [string, KeyFile][] = [];
    for (const [name, entry] of Object.entries(keys)) {
      if (!NAME.test(name)) throw malformed(`adapter name ${quoteName(name)} must match ${NAME.source}`);
      if (!isObject(entry)) throw malformed(`"adapter_keys.${name}" must be a key file object`);
      checkFields(entry, KEY_FILE_FIELDS, `in "adapter_keys.${name}"`);
      let parsed: ReturnType<typeof parseKeyFile>;
      try {
        parsed = parseKeyFile(entry);
      } catch {
        parsed = { ok: false, reason: 'not a valid key file' };
      }
      // parseKeyFile's reasons name the rule broken, never the key.
      if (!parsed.ok) throw malformed(`"adapter_keys.${name}": ${parsed.reason}`);
      entries.push([name, { type: parsed.key.type, signer: parsed.key.signer, secret_key: parsed.key.secret_key }]);
    }
    out.adapter_keys = Object.fromEntries(entries);
  }

  if ('credentials' in value) {
    const creds = value['credentials'];
    if (!isObject(creds)) throw malformed('"credentials" must be an object of name → string');
    const entries: [string, string][] = [];
    for (const [name, secret] of Object.entries(creds)) {
      if (!NAME.test(name)) throw malformed(`credential name ${quoteName(name)} must match ${NAME.source}`);
      if (!nonEmptyString(secret)) throw malformed(`"credentials.${name}" must be a non-empty string`);
      entries.push([name, secret]);
    }
    out.credentials = Object.fromEntries(entries);
  }
  return out;
}

/** The same shape with every secret value replaced by '[REDACTED]'; names and signers stay visible. */
export function redactSecretsForDisplay(s: SecretsFile): SecretsFile {
  const out: { type: typeof SECRETS_FILE_TYPE; kaching?: { license_key: string }; adapter_keys?: Record<string, KeyFile>; credentials?: Record<string, string> } = {
    type: s.type,
  };
  if (s.kaching !== undefined) out.kaching = { license_key: REDACTED };
  if (s.adapter_keys !== undefined) {
    out.adapter_keys = Object.fromEntries(Object.entries(s.adapter_keys).map(([name, k]) => [name, { type: k.type, signer: k.signer, secret_key: REDACTED }]));
  }
  if (s.credentials !== undefined) out.credentials = Object.fromEntries(Object.keys(s.credentials).map((name) => [name, REDACTED]));
  return out;
}

/** Names only (no values): what `secrets check` and `secrets encrypt` print. */
export function summarizeSecrets(s: SecretsFile): { kaching: boolean; adapter_keys: { name: string; signer: string }[]; credentials: string[] } {
  return {
    kaching: s.kaching !== undefined,
    adapter_keys: Object.entries(s.adapter_keys ?? {}).map(([name, k]) => ({ name, signer: k.signer })),
    credentials: Object.keys(s.credentials ?? {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Identities

/** A new X25519 age identity (not the post-quantum hybrid kind, so age ≥ 1.0 and rage can read the files). */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The identity file text in age-keygen's format, so `age -d -i FILE` reads it too. */
export function formatIdentityFile(identity: string, recipient: string, created: Date = new Date()): string {
  return `# created: ${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
}

const IDENTITY_LINE = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/** Checks an identity fully (bech32 checksum, key length) without letting the library's message out. */
async function checkIdentity(identity: string, where: string): Promise<void> {
  if (!IDENTITY_LINE.test(identity)) throw new SecretsError('secrets_identity_invalid', `${where} is not an age identity (AGE-SECRET-KEY-1...)`);
  try {
    await identityToRecipient(identity);
  } catch {
    throw new SecretsError('secrets_identity_invalid', `${where} is not a valid age identity (bad checksum or length)`);
  }
}

/**
 * Parses identity-file text (age-keygen format): one identity per line, blank lines and `#` comments
 * ignored. `origin` names where the text came from, for messages.
 */
export async function parseIdentityText(text: string, origin: string): Promise<string[]> {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    await checkIdentity(line, `${origin} line ${i + 1}`);
    identities.push(line);
  }
  if (identities.length === 0) throw new SecretsError('secrets_identity_missing', `${origin} holds no age identity`);
  return identities;
}

/**
 * Reads an identity file, refusing one that group or others can access (mode & 0o077), as ssh does for
 * private keys. The mode is checked on the opened handle, so the file checked is the file read.
 */
export async function readIdentityFile(path: string): Promise<string[]> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecretsError('secrets_identity_missing', code === 'ENOENT' ? `identity file ${path} does not exist` : `cannot read identity file ${path}: ${code ?? 'error'}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SecretsError('secrets_identity_missing', `identity file ${path} is not a regular file`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new SecretsError(
        'secrets_identity_permissions',
        `identity file ${path} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must not be accessible by group or others (chmod 600 ${path})`,
      );
    }
    return await parseIdentityText(await fh.readFile('utf8'), `identity file ${path}`);
  } finally {
    await fh.close();
  }
}

/** Where identities come from. A plain string is an identity file path. */
export type IdentitySource = string | { readonly identityFile?: string | undefined; readonly env?: Readonly<Record<string, string | undefined>> };

/**
 * Resolves identities: an explicit identity file first, then SWOOSH_AGE_IDENTITY (the identity text
 * itself, one or more lines), then SWOOSH_AGE_IDENTITY_FILE (a path, permission-checked).
 */
export async function resolveIdentities(source: IdentitySource = {}): Promise<string[]> {
  const { identityFile, env = process.env } = typeof source === 'string' ? { identityFile: source } : source;
  if (identityFile !== undefined && identityFile !== '') return readIdentityFile(identityFile);
  const inline = env['SWOOSH_AGE_IDENTITY'];
  if (inline !== undefined && inline.trim() !== '') return parseIdentityText(inline, 'SWOOSH_AGE_IDENTITY');
  const file = env['SWOOSH_AGE_IDENTITY_FILE'];
  if (file !== undefined && file !== '') return readIdentityFile(file);
  throw new SecretsError('secrets_identity_missing', 'no age identity: pass --identity FILE, or set SWOOSH_AGE_IDENTITY or SWOOSH_AGE_IDENTITY_FILE');
}

// ---------------------------------------------------------------------------------------------------
// Encrypt / decrypt

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/**
 * Encrypts a secrets file to one or more age recipients (age1...). The output is ASCII-armored age
 * (`-----BEGIN AGE ENCRYPTED FILE-----`, PEM-like, UTF-8 bytes): diffable in review, inspectable with
 * `head`, and decrypted by `age -d` as is. The document is validated before it is encrypted.
 */
export async function encryptSecrets(secrets: SecretsFile, recipients: readonly string[]): Promise<Uint8Array> {
  const valid = parseSecretsFile(secrets);
  if (recipients.length === 0) throw new SecretsError('secrets_recipient_invalid', 'at least one age recipient (age1...) is required');
  const e = new Encrypter();
  recipients.forEach((r, i) => {
    if (/^AGE-SECRET-KEY-/i.test(r.trim())) {
      throw new SecretsError('secrets_recipient_invalid', `recipient #${i + 1} is an age identity (a secret key); pass its public age1... recipient`);
    }
    try {
      e.addRecipient(r.trim());
    } catch {
      const shown = /^age1[0-9a-z]{1,200}$/.test(r.trim()) ? ` (${r.trim()})` : '';
      throw new SecretsError('secrets_recipient_invalid', `recipient #${i + 1}${shown} is not a valid age recipient`);
    }
  });
  const ciphertext = await e.encrypt(JSON.stringify(valid, null, 2) + '\n');
  return new TextEncoder().encode(armor.encode(ciphertext));
}

function toBinaryAge(ciphertext: Uint8Array | string): Uint8Array {
  if (typeof ciphertext === 'string') {
    if (!ciphertext.trimStart().startsWith(ARMOR_BEGIN)) {
      throw new SecretsError('secrets_decrypt_failed', 'a string must hold an ASCII-armored age file (-----BEGIN AGE ENCRYPTED FILE-----)');
    }
    return dearmor(ciphertext);
  }
  const head = new TextDecoder().decode(ciphertext.subarray(0, 64 + ARMOR_BEGIN.length));
  return head.trimStart().startsWith(ARMOR_BEGIN) ? dearmor(new TextDecoder().decode(ciphertext)) : ciphertext;
}

function dearmor(text: string): Uint8Array {
  try {
    return armor.decode(text);
  } catch {
    throw new SecretsError('secrets_decrypt_failed', 'the ASCII armor of the age file is damaged');
  }
}

/** Library failure reasons are passed on only when they cannot be quoting key material. */
function safeReason(e: unknown): string {
  const m = e instanceof Error ? e.message : '';
  return m.length > 0 && m.length <= 120 && !/AGE-SECRET-KEY|age1/i.test(m) && /^[\w .,:'"()/-]+$/.test(m) ? ` (${m})` : '';
}

/**
 * Decrypts an age file (binary, or ASCII-armored as bytes or string) with the given identities and
 * validates it as `swoosh.secrets.v1`.
 */
export async function decryptSecrets(ciphertext: Uint8Array | string, identities: readonly string[]): Promise<SecretsFile> {
  if (identities.length === 0) throw new SecretsError('secrets_identity_missing', 'no age identity to decrypt with');
  for (let i = 0; i < identities.length; i++) await checkIdentity((identities[i] ?? '').trim(), `identity #${i + 1}`);
  const file = toBinaryAge(ciphertext);
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id.trim());
  let plaintext: Uint8Array;
  try {
    plaintext = await d.decrypt(file);
  } catch (e) {
    if (e instanceof Error && /no identity matched/.test(e.message)) {
      throw new SecretsError('secrets_decrypt_failed', `none of the ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'} given can decrypt this file (it was encrypted to other recipients)`);
    }
    throw new SecretsError('secrets_decrypt_failed', `not a valid age file, or it was modified${safeReason(e)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw malformed('the decrypted content is not UTF-8 text');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Never the parser's message: V8 quotes the text around the error, which is secret.
    throw malformed('the decrypted content is not valid JSON');
  }
  return parseSecretsFile(doc);
}

/** Reads, decrypts and validates a secrets file; identities from `resolveIdentities(identity)`. */
export async function loadSecretsFile(path: string, identity: IdentitySource = {}): Promise<SecretsFile> {
  let ciphertext: Uint8Array;
  try {
    ciphertext = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecretsError('secrets_file_missing', code === 'ENOENT' ? `secrets file ${path} does not exist` : `cannot read secrets file ${path}: ${code ?? 'error'}`);
  }
  return decryptSecrets(ciphertext, await resolveIdentities(identity));
}

// ---------------------------------------------------------------------------------------------------
// Runtime form

/** The secrets as running code should hold them: every value behind a `Secret`, which prints as '[REDACTED]'. */
export interface LoadedSecrets {
  readonly kaching: { readonly license_key: Secret<string> } | null;
  readonly adapterKeys: ReadonlyMap<string, { readonly signer: string; readonly secret: Secret<Uint8Array> }>;
  readonly credentials: ReadonlyMap<string, Secret<string>>;
}

/** Wraps a validated secrets file for use at runtime. Adapter secrets are the 32-byte Ed25519 seeds. */
export function openSecrets(s: SecretsFile): LoadedSecrets {
  const valid = parseSecretsFile(s);
  const adapterKeys = new Map<string, { signer: string; secret: Secret<Uint8Array> }>();
  for (const [name, key] of Object.entries(valid.adapter_keys ?? {})) {
    const parsed = parseKeyFile(key);
    if (!parsed.ok) throw malformed(`"adapter_keys.${name}": ${parsed.reason}`);
    adapterKeys.set(name, { signer: parsed.key.signer, secret: new Secret(parsed.secret) });
  }
  return {
    kaching: valid.kaching === undefined ? null : { license_key: new Secret(valid.kaching.license_key) },
    adapterKeys,
    credentials: new Map(Object.entries(valid.credentials ?? {}).map(([name, v]) => [name, new Secret(v)])),
  };
}

/** `loadSecretsFile` then `openSecrets`. */
export async function loadSecrets(path: string, identity: IdentitySource = {}): Promise<LoadedSecrets> {
  return openSecrets(await loadSecretsFile(path, identity));
}
