// What `cluster init` adds for the adapters: one signing identity per adapter (in the genesis, its key only in the
// age-encrypted secrets file), the age identity that opens it, a license key, and adapters.json pointing at the
// fake external systems on loopback (docs/adapters.md).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADAPTER_ROLES, ADAPTERS_CONFIG_TYPE, type AdaptersConfig } from '../adapters/adapters-config.ts';
import type { RoleName } from '../generated/statechart.ts';
import { encryptSecrets, formatIdentityFile, generateAgeIdentity, type SecretsFile } from '../secrets/age-secrets.ts';
import { generateKeyFile, type KeyFile } from '../sdk/proposal-signer.ts';
import { FAKE_KINDS, type FakeKind } from '../../chaos/fakes/index.ts';

export const ADAPTERS_FILE = 'adapters.json';
export const SECRETS_FILE = 'secrets.age';
export const AGE_IDENTITY_FILE = 'age.key';
export const DEFAULT_FAKE_PORT_BASE = 7300;

/** The fakes' URLs when kind i listens on `base + i` (the order of FAKE_KINDS). */
export function fakeUrls(host: string, base: number): Record<FakeKind, string> {
  return Object.fromEntries(FAKE_KINDS.map((k, i) => [k, `http://${host}:${base + i}`])) as Record<FakeKind, string>;
}

/** The tool versions adapters.json pins; the MCP fake publishes them unless told otherwise. */
export const DEMO_PINS: Readonly<Record<string, string>> = { 'fs.read': '1.2.0', git: '2.4.1' };

export interface AdapterKit {
  readonly identities: { signer: string; roles: RoleName[]; label: string }[];
  write(dir: string, host: string, fakePortBase: number): Promise<void>;
}

export function makeAdapterKit(): AdapterKit {
  const keys = Object.fromEntries(Object.keys(ADAPTER_ROLES).map((name) => [name, generateKeyFile()])) as Record<keyof typeof ADAPTER_ROLES, KeyFile>;
  return {
    identities: Object.entries(keys).map(([name, k]) => ({ signer: k.signer, roles: [ADAPTER_ROLES[name as keyof typeof ADAPTER_ROLES]], label: `adapter:${name}` })),
    async write(dir, host, fakePortBase) {
      const age = await generateAgeIdentity();
      await writeFile(join(dir, AGE_IDENTITY_FILE), formatIdentityFile(age.identity, age.recipient), { mode: 0o600, flag: 'wx' });
      const secrets: SecretsFile = { type: 'swoosh.secrets.v1', kaching: { license_key: `lic-${randomBytes(16).toString('hex')}` }, adapter_keys: keys };
      await writeFile(join(dir, SECRETS_FILE), await encryptSecrets(secrets, [age.recipient]), { mode: 0o600, flag: 'wx' });
      const urls = fakeUrls(host, fakePortBase);
      const config: AdaptersConfig = {
        type: ADAPTERS_CONFIG_TYPE,
        secrets: SECRETS_FILE,
        age_identity: AGE_IDENTITY_FILE,
        // Short for a local demo, so an outage shows within seconds and the hard stop within minutes.
        kaching: { url: urls.kaching, refresh_max_ms: 10_000, grace_ms: 60_000 },
        backbeat: { url: urls.backbeat },
        hmmm: { url: urls.hmmm },
        mcp: { url: urls.mcp, pins: { ...DEMO_PINS } },
        shhh: { url: urls.shhh },
        environment: { url: urls.environment },
      };
      await writeFile(join(dir, ADAPTERS_FILE), JSON.stringify(config, null, 2) + '\n');
    },
  };
}
