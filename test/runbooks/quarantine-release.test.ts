// Walks runbooks/quarantine-release.md against a real 3-replica cluster running the adapters next to the leader,
// with the fake KACHING (the license) and the fake SHHH (the policy). The machine is quarantined four times, and
// left each of the four ways the runbook lists: a human release, a newer policy published in SHHH (the adapter
// proposes Policy_UpdateRelease), a Policy_UpdateRelease proposed by hand, and a confirmed block.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFake } from '../../chaos/fakes/index.ts';
import { defaultPolicy } from '../../chaos/fakes/shhh-fake.ts';
import { digestJson } from '../../src/core/digest.ts';
import { LocalCluster } from '../../src/node/cluster-process.ts';
import { freePortRange } from '../../src/node/free-ports.ts';
import { propose } from '../../src/sdk/client.ts';
import { parseKeyFile } from '../../src/sdk/proposal-signer.ts';
import { loadSecrets } from '../../src/secrets/age-secrets.ts';
import { hashesIn, Runbook, sample, type StepResult } from './runbook-steps.ts';

interface StateView {
  readonly index: number;
  readonly projection: {
    readonly configuration: { readonly top: string; readonly history: readonly unknown[] };
    readonly policy: { readonly version: number; readonly rule_id: string | null; readonly rationale: string | null; readonly quarantines: number };
  };
}

interface Feed {
  readonly items: readonly { readonly index: number; readonly decision: { readonly outcome: string; readonly transition: string; readonly code: string | null; readonly failing_guard: string | null; readonly justification: string } }[];
}

const RULE = { id: 'no-untrusted-sources', when: { transition: 'Ingestion_SourcesResolved', input: 'sources.0', matches: '^https://untrusted\\.' }, rationale: 'sources outside the trusted mirrors need a human review' };

test('quarantine-release.md: see why, then human release, SHHH release, update release and confirmed block', { timeout: 120_000 }, async () => {
  const book = Runbook.load('quarantine-release.md');
  assert.deepEqual(book.undeclared(), [], 'every variable a step uses is declared in the vars block');
  const root = mkdtempSync(join(tmpdir(), 'swoosh-runbook-quarantine-'));
  const dir = join(root, 'c');
  const fakeBase = await freePortRange(6);
  const cluster = await LocalCluster.create(dir, 3, ['--log-level', 'warn', '--adapters', join(dir, 'adapters.json')], undefined, fakeBase);
  const secrets = await loadSecrets(join(dir, 'secrets.age'), join(dir, 'age.key'));
  // Only the systems this runbook needs; the other adapters find nobody and retry quietly.
  const kaching = await startFake('kaching', { port: fakeBase, licenses: { [secrets.kaching!.license_key.reveal()]: 'lic-runbook' } });
  const shhh = await startFake('shhh', { port: fakeBase + 4 });
  try {
    const key = (name: string) => {
      const k = parseKeyFile(JSON.parse(readFileSync(join(dir, 'keys', `${name}.key`), 'utf8')));
      assert.ok(k.ok, `${name} key parses`);
      return k.secret;
    };
    const url = cluster.urls[1]!;
    let n = 0;
    const send = (signer: string, transition: string, inputs: Record<string, unknown>) =>
      propose({ url, secretKey: key(signer), transition, inputs: inputs as never, evidence: [`ucxl://${signer}:agent@swoosh:${transition}/*^/runbook`], idemKey: `qr:${n++}` });
    const state = async (): Promise<StateView> => (await (await fetch(`${url}/state?projection=configuration,policy`)).json()) as StateView;
    const until = async (what: string, f: (s: StateView) => boolean, ms = 30_000): Promise<StateView> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await state();
        if (f(s)) return s;
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(s.projection)}`);
        await sleep(200);
      }
    };

    // --- The state: booted and licensed (the KACHING adapter), an SHHH rule in force (the SHHH adapter), and an
    // ingestion worker's proposal that breaches it.
    await cluster.leader();
    const boot = await send('operator', 'Boot_ConfigOk', { config_hash: digestJson({ runbook: 'quarantine' }) });
    assert.equal(boot.status, 202, `Boot_ConfigOk: ${JSON.stringify(boot.body)}`);
    await until('Boot_Licensed by the KACHING adapter', (s) => s.projection.configuration.top === 'PROJECT_LIFECYCLE');
    const published = await fetch(`${shhh.url}/_fake/policy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...defaultPolicy(), version: 2, rules: [RULE] }) });
    assert.equal(published.status, 200, 'SHHH publishes the rule');
    await until('the SHHH adapter records policy v2', (s) => s.projection.policy.version === 2);
    const breach = async (): Promise<number> => {
      const r = await send('ingestion-worker', 'Ingestion_SourcesResolved', { sources: ['https://untrusted.example/corpus'] });
      assert.equal(r.status, 202, `the breaching proposal is answered: ${JSON.stringify(r.body)}`);
      assert.equal(r.body['status'], 'quarantined', 'and quarantines the machine');
      return r.body['index'] as number;
    };

    const vars: Record<string, string> = {
      DIR: dir,
      SWOOSH_ENDPOINTS: cluster.urls.join(','),
      URL: url,
      AFTER: '0',
      SHHH_URL: shhh.url,
      SHHH_POLICY: join(root, 'policy-shhh.json'),
      POLICY: join(root, 'policy-inputs.json'),
    };
    const run = (step: string) => book.run(step, vars, { cwd: root });

    // 1. Breach, see why, human release.
    const at = await breach();
    const refused = await send('ingestion-worker', 'Ingestion_SourcesResolved', { sources: ['https://mirror.example/corpus'] });
    assert.equal(refused.body['reason'], 'quarantined', `while QUARANTINED a lifecycle proposal is rejected: ${JSON.stringify(refused.body)}`);
    const why = await run('why');
    assert.equal((JSON.parse(why.of(/\/health/).stdout) as { configuration: string }).configuration, 'QUARANTINED', `/health says QUARANTINED\n${why}`);
    const s1 = JSON.parse(why.of(/\/state/).stdout) as StateView;
    assert.equal(s1.projection.configuration.top, 'QUARANTINED', `the state is QUARANTINED\n${why}`);
    assert.equal(s1.projection.configuration.history.length, 1, `the configuration before is saved\n${why}`);
    assert.equal(s1.projection.policy.rule_id, RULE.id, `the state names the rule\n${why}`);
    assert.equal(s1.projection.policy.rationale, RULE.rationale, `and its rationale\n${why}`);
    const dr = (JSON.parse(why.of(/\/decisions/).stdout) as Feed).items.find((i) => i.index === at)?.decision;
    assert.ok(dr !== undefined, `the feed holds the quarantining record at ${at}\n${why}`);
    assert.equal(dr.outcome, 'quarantined', `its outcome is quarantined\n${why}`);
    assert.deepEqual([dr.transition, dr.code, dr.failing_guard], ['Ingestion_SourcesResolved', 'policy_breach', 'policy'], `it names the breaching transition and guard\n${why}`);
    assert.match(dr.justification, new RegExp(`quarantined by policy rule ${RULE.id}`), `its justification names the rule\n${why}`);
    assert.ok(sample(why.of(/metrics/).stdout, 'swoosh_quarantine_total') >= 1, `the breach is counted\n${why}`);

    const human = await run('human-release');
    assert.equal(human.of(/Policy_HumanRelease/).code, 0, `the human release is accepted\n${human}`);
    await verify(run, 'PROJECT_LIFECYCLE', 2);

    // 2. Breach again; SHHH publishes a policy without the rule, and its adapter releases.
    await breach();
    writeFileSync(vars['SHHH_POLICY']!, JSON.stringify({ ...defaultPolicy(), version: 3, rules: [] }));
    const shhhRelease = await run('shhh-release');
    assert.equal(shhhRelease.of(/_fake\/policy/).code, 0, `SHHH takes the new policy\n${shhhRelease}`);
    assert.equal((JSON.parse(shhhRelease.of(/_fake\/policy/).stdout) as { version: number }).version, 3, `SHHH serves version 3\n${shhhRelease}`);
    await until('the SHHH adapter proposes Policy_UpdateRelease', (s) => s.projection.policy.version === 3);
    await verify(run, 'PROJECT_LIFECYCLE', 3);
    const allowed = await send('ingestion-worker', 'Ingestion_SourcesResolved', { sources: ['https://untrusted.example/corpus'] });
    assert.equal(allowed.body['status'], 'accepted', `without the rule the same sources are accepted: ${JSON.stringify(allowed.body)}`);

    // 3. SHHH quarantines explicitly; an admin proposes a newer policy by hand.
    const before = (await state()).index;
    const hold = await send('policy-engine', 'Policy_Quarantine', { rule_id: 'manual-hold', rationale: 'SHHH flagged the corpus for legal review' });
    assert.equal(hold.body['status'], 'accepted', `Policy_Quarantine is accepted: ${JSON.stringify(hold.body)}`);
    vars['AFTER'] = String(before);
    const why2 = await run('why');
    const s3 = JSON.parse(why2.of(/\/state/).stdout) as StateView;
    assert.deepEqual([s3.projection.configuration.top, s3.projection.policy.rule_id], ['QUARANTINED', 'manual-hold'], `the state names SHHH's hold\n${why2}`);
    const holdDr = (JSON.parse(why2.of(/\/decisions/).stdout) as Feed).items.find((i) => i.decision.transition === 'Policy_Quarantine');
    assert.equal(holdDr?.decision.outcome, 'accepted', `a Policy_Quarantine is an accepted record\n${why2}`);
    writeFileSync(vars['POLICY']!, JSON.stringify({ version: 4, rules: [], redact_fields: ['comment'] }));
    const update = await run('update-release');
    assert.equal(update.of(/Policy_UpdateRelease/).code, 0, `the update release is accepted\n${update}`);
    await verify(run, 'PROJECT_LIFECYCLE', 4);

    // 4. Quarantined again, and the block is confirmed: TERMINATED.
    await send('policy-engine', 'Policy_Quarantine', { rule_id: 'manual-hold', rationale: 'SHHH confirmed a licence breach in the corpus' });
    assert.equal((await state()).projection.configuration.top, 'QUARANTINED', 'quarantined again');
    const block = await run('confirm-block');
    assert.equal(block.of(/Policy_ConfirmBlock/).code, 0, `the block is confirmed\n${block}`);
    await verify(run, 'TERMINATED', 4);
    const after = await send('operator', 'Control_Pause', { reason: 'after the block' });
    assert.equal(after.body['reason'], 'terminated', `nothing leaves TERMINATED: ${JSON.stringify(after.body)}`);
    assert.deepEqual(book.unwalked(), [], 'every step of the runbook was walked');
  } finally {
    await cluster.stop();
    await kaching.close();
    await shhh.close();
  }
  rmSync(root, { recursive: true, force: true });
});

/** The verify step: the expected top state and policy version, and one state hash (repeated while a fact lands). */
async function verify(run: (step: string) => Promise<StepResult>, top: string, version: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const v = await run('verify');
    const s = JSON.parse(v.of(/\/state/).stdout) as StateView;
    assert.equal(s.projection.configuration.top, top, `the machine is in ${top}\n${v}`);
    assert.equal(s.projection.policy.version, version, `policy version ${version}\n${v}`);
    const hash = v.of(/endpoint hash/);
    const hashes = hashesIn(hash.stdout);
    if (hash.code === 0 && hashes.length === 3 && new Set(hashes).size === 1) return;
    assert.ok(attempt < 3, `every replica reports one state hash\n${v}`);
  }
}
