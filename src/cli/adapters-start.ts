// Starts the adapter host of a serving replica from an adapters.json; a bad config stops `serve` with its code.
import { AdapterHost } from '../adapters/adapter-host.ts';
import { AdaptersConfigError, loadAdapters } from '../adapters/adapters-config.ts';
import type { ReplicaService } from '../api/replica-service.ts';
import type { Logger } from '../node/logger.ts';
import { SecretsError } from '../secrets/age-secrets.ts';
import { UsageError } from './cli-io.ts';

export async function startAdapterHost(path: string, service: ReplicaService, isLeader: () => boolean, clusterId: string, log: Logger): Promise<AdapterHost> {
  try {
    const { adapters } = await loadAdapters(path, clusterId);
    const host = new AdapterHost({ service, isLeader, adapters, log: log.child({ component: 'adapters' }) });
    host.start();
    return host;
  } catch (e) {
    if (e instanceof AdaptersConfigError || e instanceof SecretsError) throw new UsageError(`--adapters ${path}: ${e.code}: ${e.message}`);
    throw e;
  }
}
