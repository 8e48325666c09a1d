// KACHING fake (docs/integrations/kaching.md): license verdicts for known keys, with seeded opaque tokens.
import { derivedPrng, isInt, requireMessage, rfc3339, startFakeServer, type CommonControls, type CommonOptions, type RunningFake } from './fake-server.ts';

export interface KachingFakeOptions extends CommonOptions {
  /** license_key → license_id; default one demo key. */
  licenses?: Record<string, string>;
  /** Lifetime of a valid verdict (valid_until - issued_at). */
  valid_for_ms?: number;
}

export interface KachingControls extends CommonControls {
  valid_for_ms: number;
}

export const DEMO_LICENSE_KEY = 'demo-license-key';
export const DEFAULT_VALID_FOR_MS = 3_600_000;

export function startKachingFake(options: KachingFakeOptions = {}): Promise<RunningFake<KachingControls>> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const licenses = options.licenses ?? { [DEMO_LICENSE_KEY]: 'lic-demo' };
  let tokens = derivedPrng(seed, 'kaching-token');
  let validForMs = options.valid_for_ms ?? DEFAULT_VALID_FOR_MS;

  return startFakeServer<{ valid_for_ms: number }>(
    {
      kind: 'kaching',
      system: 'kaching',
      handlesDeny: true,
      controls: { defaults: { valid_for_ms: validForMs }, checks: { valid_for_ms: isInt(1, 31_622_400_000) } },
      onControl: (_prev, next) => {
        validForMs = next.valid_for_ms;
      },
      reset: () => {
        tokens = derivedPrng(seed, 'kaching-token');
      },
      routes: [
        {
          method: 'POST',
          pattern: '/v1/license/verify',
          handler: (req) => {
            requireMessage('kaching.verify.v1', req.body);
            const body = req.body as { license_key: string; cluster_id: string };
            const issued = now();
            // Own-property lookup only: a key like "__proto__" must not find Object.prototype.
            const licenseId = Object.hasOwn(licenses, body.license_key) ? licenses[body.license_key]! : null;
            const reason = licenseId === null ? 'unknown license key' : req.denied ? 'license revoked' : null;
            const valid = reason === null;
            return {
              status: 200,
              body: {
                type: 'kaching.verdict.v1',
                verdict: valid ? 'valid' : 'invalid',
                license_id: licenseId,
                cluster_id: body.cluster_id,
                issued_at: rfc3339(issued),
                valid_until: rfc3339(valid ? issued + validForMs : issued),
                token: valid ? `kt_${tokens.hex(40)}` : null,
                reason,
              },
            };
          },
        },
      ],
    },
    options,
  );
}
