// `swoosh doctor`: rebuild the state two ways in a scratch copy and compare both with what the replica acknowledged.
import { genesisState, parseGenesis } from '../core/genesis.ts';
import { diffJson, stateToJson, type StateDifference } from '../core/state-json.ts';
import { stateHash } from '../core/state-hash.ts';
import { withScratchCopy } from '../storage/scratch-copy.ts';
import { KEYS } from '../storage/storage-keys.ts';
import { CorruptLogError, recover, type Recovered } from './recovery.ts';

export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DoctorReport {
  readonly verdict: 'healthy' | 'unhealthy';
  readonly live: { readonly index: number; readonly state_hash: string };
  readonly from_snapshot: { readonly base: string; readonly index: number; readonly state_hash: string } | { readonly error: string };
  readonly from_genesis: { readonly index: number; readonly state_hash: string } | { readonly error: string } | { readonly skipped: string };
  readonly checks: readonly DoctorCheck[];
  readonly differences: readonly StateDifference[];
  readonly preserved_records: readonly string[];
}

async function attempt(f: () => Promise<Recovered>): Promise<Recovered | CorruptLogError> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CorruptLogError) return e;
    throw e;
  }
}

export async function runDoctor(dataDir: string): Promise<DoctorReport> {
  // Work on a copy: the live directory is never opened for writing (and may be locked by a running replica).
  return withScratchCopy(dataDir, async (store) => {
    const raw = await store.readGenesis();
    const g = parseGenesis(raw);
    if (!g.ok) throw new Error(`genesis: ${g.reasons.join('; ')}`);
    let liveIndex = await store.lastDecisionIndex();
    let liveHash = liveIndex === 0 ? stateHash(genesisState(g.genesis)) : (await store.readDecision(liveIndex))!.decision.state_post_hash;
    // A cluster replica's log can run past what it applied (uncommitted entries, or committed ones whose
    // decision records were not yet written): rebuild exactly up to the live index.
    const clustered = (await store.readMeta(KEYS.hardState)) !== null;
    const upTo = clustered ? liveIndex : undefined;
    const a = await attempt(() => recover(store, g.genesis, { readOnly: true, upTo }));
    // A replica that installed a snapshot (a learner catching up, a restored cluster) has no decision records for
    // the entries it covers: there the verified snapshot recovery started from is what it acknowledged.
    const base = a instanceof CorruptLogError ? null : a.report.snapshot;
    if (base !== null && base.index > liveIndex) {
      liveIndex = base.index;
      liveHash = base.state_hash;
    }
    const first = await store.firstLogIndex();
    // Genesis + WAL is possible only while the log reaches back to index 1 (an empty log covers nothing past genesis).
    const compacted = first !== null ? first > 1 : liveIndex > 0;
    const b = compacted ? null : await attempt(() => recover(store, g.genesis, { readOnly: true, fromGenesis: true, upTo }));
    const checks: DoctorCheck[] = [];
    const describe = (r: Recovered | CorruptLogError) => (r instanceof CorruptLogError ? { error: r.message } : { index: r.lastIndex, state_hash: r.report.state_hash });
    if (a instanceof CorruptLogError) checks.push({ name: 'snapshot+WAL replay', ok: false, detail: a.message });
    else {
      checks.push({ name: 'snapshot+WAL replay', ok: true, detail: `replayed ${a.report.replayed} entries onto ${a.report.snapshot === null ? 'genesis' : `snapshot ${a.report.snapshot.index}`}` });
      checks.push({ name: 'snapshot+WAL equals live', ok: a.lastIndex === liveIndex && a.report.state_hash === liveHash, detail: `rebuilt index ${a.lastIndex} ${a.report.state_hash}; live index ${liveIndex} ${liveHash}` });
      if (a.report.torn_tail !== null) checks.push({ name: 'WAL tail intact', ok: false, detail: `record ${a.report.torn_tail.index} is ${a.report.torn_tail.reason}` });
      for (const s of a.report.skipped_snapshots) checks.push({ name: `snapshot ${s.index}`, ok: false, detail: s.reason });
    }
    if (b === null) checks.push({ name: 'genesis+WAL replay', ok: true, detail: first === null ? 'skipped: the log is empty, the state starts at a snapshot' : `skipped: the log is compacted below index ${first}` });
    else if (b instanceof CorruptLogError) checks.push({ name: 'genesis+WAL replay', ok: false, detail: b.message });
    else checks.push({ name: 'genesis+WAL equals live', ok: b.lastIndex === liveIndex && b.report.state_hash === liveHash, detail: `rebuilt index ${b.lastIndex} ${b.report.state_hash}; live index ${liveIndex} ${liveHash}` });
    const differences = a instanceof CorruptLogError || b === null || b instanceof CorruptLogError || a.report.state_hash === b.report.state_hash ? [] : diffJson(stateToJson(a.state), stateToJson(b.state));
    const preserved = await store.preservedKeys();
    return {
      verdict: checks.every((c) => c.ok) ? 'healthy' : 'unhealthy',
      live: { index: liveIndex, state_hash: liveHash },
      from_snapshot: a instanceof CorruptLogError ? { error: a.message } : { base: a.report.snapshot === null ? 'genesis' : `snapshot ${a.report.snapshot.index}`, index: a.lastIndex, state_hash: a.report.state_hash },
      from_genesis: b === null ? { skipped: first === null ? 'the log is empty; the state starts at a snapshot' : `log compacted below ${first}` } : describe(b),
      checks,
      differences,
      preserved_records: preserved,
    };
  });
}
