// The adapter configuration file (`swoosh.adapters.v1`, docs/adapters.md): where each external system is, and
// where the age-encrypted secrets (license key, adapter signing keys) are.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { Ajv } from 'ajv';
import type { RoleName } from '../generated/statechart.ts';
import { loadSecrets, type IdentitySource, type LoadedSecrets } from '../secrets/age-secrets.ts';
import { SigningKey } from '../workload/signing-key.ts';
import type { Adapter } from './adapter.ts';
import type { HostedAdapter } from './adapter-host.ts';
import { BackbeatAdapter } from './backbeat-adapter.ts';
import { HmmmAdapter } from './hmmm-adapter.ts';
import { KachingAdapter } from './kaching-adapter.ts';
import { McpAdapter } from './mcp-adapter.ts';
import type { ExternalSystem } from './outbound-gate.ts';
import { ShhhAdapter } from './shhh-adapter.ts';

export const ADAPTERS_CONFIG_TYPE = 'swoosh.adapters.v1';

type AdapterSystem = Exclude<ExternalSystem, 'environment'>;

/** The role each adapter's key must hold in the state, and its key's name in the secrets file. */
export const ADAPTER_ROLES: Readonly<Record<AdapterSystem, RoleName>> = {
  kaching: 'license_adapter',
  backbeat: 'window_adapter',
  hmmm: 'council_agent',
  mcp: 'mcp_adapter',
  shhh: 'policy_engine',
};

export interface AdaptersConfig {
  readonly type: typeof ADAPTERS_CONFIG_TYPE;
  /** The age-encrypted secrets file, relative to this file. */
  readonly secrets: string;
  /** The age identity file, relative to this file; else SWOOSH_AGE_IDENTITY or SWOOSH_AGE_IDENTITY_FILE. */
  readonly age_identity?: string;
  readonly timeout_ms?: number;
  readonly kaching?: { url: string; interval_ms?: number; grace_ms?: number; refresh_max_ms?: number; failures_for_outage?: number };
  readonly backbeat?: { url: string; interval_ms?: number };
  readonly hmmm?: { url: string; interval_ms?: number };
  readonly mcp?: { url: string; pins: Record<string, string>; registry?: string; probe_ms?: number; hysteresis_ms?: number; refresh_ms?: number };
  readonly shhh?: { url: string; interval_ms?: number };
  /** The environment provisioner: no adapter; the environment agent (the demo's) asks it for capacity. */
  readonly environment?: { url: string };
}

const ms = { type: 'integer', minimum: 1, maximum: 86_400_000 } as const;
const url = { type: 'string', pattern: '^https?://' } as const;
const section = (extra: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required: ['url', ...required],
  properties: { url, interval_ms: ms, ...extra },
});

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'secrets'],
  properties: {
    type: { const: ADAPTERS_CONFIG_TYPE },
    secrets: { type: 'string', minLength: 1 },
    age_identity: { type: 'string', minLength: 1 },
    timeout_ms: ms,
    kaching: section({ grace_ms: { type: 'integer', minimum: 0 }, refresh_max_ms: ms, failures_for_outage: { type: 'integer', minimum: 1, maximum: 100 } }),
    backbeat: section(),
    hmmm: section(),
    mcp: section(
      { pins: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } }, registry: { type: 'string', minLength: 1 }, probe_ms: ms, hysteresis_ms: { type: 'integer', minimum: 0 }, refresh_ms: ms },
      ['pins'],
    ),
    shhh: section(),
    environment: { type: 'object', additionalProperties: false, required: ['url'], properties: { url } },
  },
};

const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

export class AdaptersConfigError extends Error {
  constructor(
    readonly code: 'adapters_config_invalid' | 'adapters_key_missing',
    message: string,
  ) {
    super(message);
  }
}

export function parseAdaptersConfig(value: unknown, origin: string): AdaptersConfig {
  if (!validate(value)) {
    const reasons = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new AdaptersConfigError('adapters_config_invalid', `${origin}: ${reasons.join('; ')}`);
  }
  return value as unknown as AdaptersConfig;
}

export interface LoadedAdapters {
  readonly config: AdaptersConfig;
  readonly adapters: HostedAdapter[];
}

/** Builds the configured adapters with their keys from the secrets file; `clusterId` goes to KACHING. */
export function buildAdapters(config: AdaptersConfig, secrets: LoadedSecrets, clusterId: string): HostedAdapter[] {
  const out: HostedAdapter[] = [];
  const add = (system: AdapterSystem, sectionUrl: string, adapter: Adapter) => {
    const key = secrets.adapterKeys.get(system);
    if (key === undefined) throw new AdaptersConfigError('adapters_key_missing', `the secrets file has no adapter_keys.${system} (role ${ADAPTER_ROLES[system]})`);
    out.push({ adapter, url: sectionUrl, timeoutMs: config.timeout_ms, identity: { name: system, role: ADAPTER_ROLES[system], key: new SigningKey(key.secret.reveal()) } });
  };
  const k = config.kaching;
  if (k !== undefined) {
    if (secrets.kaching === null) throw new AdaptersConfigError('adapters_key_missing', 'the secrets file has no kaching.license_key');
    add('kaching', k.url, new KachingAdapter({ clusterId, licenseKey: secrets.kaching.license_key, intervalMs: k.interval_ms, graceMs: k.grace_ms, refreshMaxMs: k.refresh_max_ms, failuresForOutage: k.failures_for_outage }));
  }
  if (config.backbeat !== undefined) add('backbeat', config.backbeat.url, new BackbeatAdapter({ intervalMs: config.backbeat.interval_ms }));
  if (config.hmmm !== undefined) add('hmmm', config.hmmm.url, new HmmmAdapter({ intervalMs: config.hmmm.interval_ms }));
  const m = config.mcp;
  if (m !== undefined) add('mcp', m.url, new McpAdapter({ pins: m.pins, registry: m.registry, probeMs: m.probe_ms, hysteresisMs: m.hysteresis_ms, refreshMs: m.refresh_ms }));
  if (config.shhh !== undefined) add('shhh', config.shhh.url, new ShhhAdapter({ intervalMs: config.shhh.interval_ms }));
  return out;
}

/** Reads the config file and its secrets; relative paths are relative to the config file. */
export async function loadAdapters(path: string, clusterId: string, identity: IdentitySource = {}): Promise<LoadedAdapters> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new AdaptersConfigError('adapters_config_invalid', `${path}: ${(e as Error).message}`);
  }
  const config = parseAdaptersConfig(raw, path);
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const id: IdentitySource = config.age_identity !== undefined ? rel(config.age_identity) : identity;
  const secrets = await loadSecrets(rel(config.secrets), id);
  return { config, adapters: buildAdapters(config, secrets, clusterId) };
}
