// Test harness: a replica on a fresh data directory (real LevelDB), optionally behind a real HTTP server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { Genesis } from '../../src/core/genesis.ts';
import { startHttpServer, type RunningServer } from '../../src/api/http-server.ts';
import { createLogger } from '../../src/node/logger.ts';
import { Replica, type ReplicaConfig } from '../../src/node/replica.ts';
import { storeDir } from '../../src/storage/data-dir.ts';
import { ReplicaStore } from '../../src/storage/replica-store.ts';
import { T0, testGenesis } from './fixtures.ts';

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `swoosh-${label}-`));
}

export async function initDataDir(dir: string, genesis: Genesis = testGenesis()): Promise<void> {
  const store = await ReplicaStore.open(storeDir(dir));
  await store.writeGenesis(genesis);
  await store.close();
}

/** A controllable wall clock for replicas under test: starts at the test genesis time. */
export class TestClock {
  ms = T0;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function openReplica(dir: string, clock: TestClock, config: Partial<ReplicaConfig> = {}): Promise<Replica> {
  return Replica.open({ dataDir: dir, now: clock.now, logger: createLogger({ level: 'silent' }), ...config });
}

export async function serveReplica(replica: Replica): Promise<RunningServer> {
  return startHttpServer(replica, '127.0.0.1', 0);
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ OpenAPI response validation

const spec = parse(readFileSync(join(import.meta.dirname, '..', '..', 'openapi.yaml'), 'utf8')) as Record<string, unknown> & {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }> }>>;
  components: { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...spec, $id: 'openapi' });
const validators = new Map<string, ValidateFunction>();

/** Asserts a response matches the schema openapi.yaml declares for (path, method, status); returns the body. */
export function assertMatchesSpec(path: string, method: string, status: number, body: unknown): void {
  const op = spec.paths[path]?.[method];
  if (op === undefined) throw new Error(`openapi.yaml has no ${method.toUpperCase()} ${path}`);
  let response = op.responses[String(status)];
  if (response === undefined) throw new Error(`openapi.yaml declares no ${status} for ${method.toUpperCase()} ${path}`);
  if (response.$ref !== undefined) response = spec.components.responses[response.$ref.split('/').pop()!]!;
  const media = response.content?.['application/json'];
  if (media === undefined) return;
  const key = `${method} ${path} ${status}`;
  let validate = validators.get(key);
  if (validate === undefined) {
    // Point local refs at the registered spec so components resolve.
    validate = ajv.compile(JSON.parse(JSON.stringify(media.schema).replaceAll('"#/', '"openapi#/')) as object);
    validators.set(key, validate);
  }
  if (!validate(body)) throw new Error(`${method.toUpperCase()} ${path} ${status} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 400)}`);
}
