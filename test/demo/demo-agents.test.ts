// The demo's environment agent keeps the capacity it was given until CapacityOk is recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFake } from '../../chaos/fakes/index.ts';
import { genesisState } from '../../src/core/genesis.ts';
import type { StateDocument } from '../../src/core/state.ts';
import { DemoAgents, type DemoKeys } from '../../src/demo/demo-agents.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { testGenesis } from '../support/fixtures.ts';

const key = (n: string) => SigningKey.derive(`demo-agents-test|${n}`);
const keys: DemoKeys = { operator: key('op'), ingestion: key('in'), council: key('co'), voters: [key('v1')], environment: key('env'), executor: key('ex'), reviewers: [key('r1')] };

function allocating(epoch: number): StateDocument {
  const s = genesisState(testGenesis());
  return { ...s, configuration: { ...s.configuration, top: 'PROJECT_LIFECYCLE' }, environment: { ...s.environment, phase: 'ALLOCATE' }, epoch: { ...s.epoch, environment: epoch } } as StateDocument;
}

test('a lost CapacityOk does not leak capacity: the allocation is reused in its epoch and released for the next', async () => {
  // Room for exactly one allocation of what the agent asks (4 GPU, 16 CPU).
  const env = await startFake('environment', { capacity: { gpu: 4, cpu: 16 } });
  try {
    const agents = new DemoAgents({ endpoints: ['http://127.0.0.1:1'], keys, hmmmUrl: 'http://127.0.0.1:1', environmentUrl: env.url, project: 'p', configHash: `sha256-${'0'.repeat(64)}`, say: () => {} });
    const capacityOk = (steps: { transition: string }[]) => steps.some((x) => x.transition === 'Environment_CapacityOk');
    assert.ok(capacityOk(await agents.steps(allocating(0))), 'the first round allocates and proposes CapacityOk');
    // The proposal's answer was lost; the state is still ALLOCATE in the same epoch.
    assert.ok(capacityOk(await agents.steps(allocating(0))), 'the next round proposes again with the capacity it holds');
    assert.equal((await env.stats()).requests['POST /v1/allocations'], 1, 'one allocation, not one per round');
    // A later epoch (the environment re-allocates): the old allocation is released first, so there is room.
    assert.ok(capacityOk(await agents.steps(allocating(1))), 'a new epoch gets a new allocation');
    assert.equal((await env.stats()).requests['DELETE /v1/allocations/:allocation_id'], 1, 'the old allocation was released');
  } finally {
    await env.close();
  }
});
