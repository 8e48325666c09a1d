// Drives an in-process replica with simple, always-enabled fact transitions (license verdicts).
import { digestJson } from '../../src/core/digest.ts';
import { formatHlc } from '../../src/core/hlc.ts';
import type { Proposal } from '../../src/core/proposal.ts';
import type { Admission, Replica } from '../../src/node/replica.ts';
import { keys } from './fixtures.ts';
import type { TestClock } from './replica-harness.ts';

let seq = 0;

export function verdictProposal(replica: Replica, clock: TestClock, head = replica.head().hash, hlc = formatHlc({ ms: clock.ms, logical: 0 })): Proposal {
  const inputs = { verdict: 'valid', verdict_hash: digestJson({ n: ++seq }), valid_until: formatHlc({ ms: clock.ms + 1e9, logical: 0 }), grace_ms: 1000 };
  return keys.lic.signProposal({
    current_state_hash: head as Proposal['current_state_hash'],
    transition: 'License_RecordVerdict',
    inputs_hash: digestJson(inputs),
    signer: keys.lic.signer,
    idem_key: `drv:${seq}`,
    hlc,
    window_id: null,
    evidence: ['ucxl://kaching:license_adapter@test:license/*^/verdict'],
    inputs,
  });
}

/** Submits `n` verdicts one after another; each must be accepted. */
export async function acceptMany(replica: Replica, clock: TestClock, n: number): Promise<Admission[]> {
  const out: Admission[] = [];
  for (let i = 0; i < n; i++) {
    clock.advance(1000);
    const a = await replica.submit(verdictProposal(replica, clock));
    if (a.kind !== 'decided' || a.outcome.status !== 'accepted') throw new Error(`verdict ${i} not accepted: ${JSON.stringify(a)}`);
    out.push(a);
  }
  return out;
}
