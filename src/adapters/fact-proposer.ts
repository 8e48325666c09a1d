// Adapters propose facts in-process: signed like any client's proposal, decided by the same reducer path.
import type { ReplicaService } from '../api/replica-service.ts';
import type { Json } from '../core/canonical-json.ts';
import { digestJson, type Digest } from '../core/digest.ts';
import { ClientClock } from '../sdk/client.ts';
import type { SigningKey } from '../workload/signing-key.ts';

/** An adapter's signing identity; its roles are granted in the genesis (or by Governance_AddSigner). */
export interface AdapterIdentity {
  readonly name: string;
  readonly role: string;
  readonly key: SigningKey;
}

export interface FactRequest {
  readonly transition: string;
  readonly inputs: Json;
  readonly windowId?: string | null;
  /** The UCXL task segment of the evidence link, e.g. `license`, `window`. */
  readonly topic: string;
  /** Free path after the temporal segment; defaults to the inputs hash. */
  readonly evidencePath?: string;
}

export type FactResult =
  | { readonly kind: 'accepted' | 'quarantined' | 'rejected' | 'duplicate'; readonly code: string | null; readonly reasons: readonly string[]; readonly index: number }
  | { readonly kind: 'not_leader' | 'refused' | 'suppressed' | 'gave_up'; readonly code: string | null; readonly reasons: readonly string[] };

const RETRY_AT_ONCE = new Set(['stale_state_hash', 'hlc_time_travel']);
const MAX_ATTEMPTS = 20;
/** A fact the reducer refused is not proposed again, unchanged, for this long (no DR spam from a stuck adapter). */
export const REJECTION_QUIET_MS = 30_000;

function component(s: string): string {
  const c = s.replace(/[^A-Za-z0-9_-]/g, '-');
  return c === '' ? 'any' : c;
}

export class FactProposer {
  private readonly clock: ClientClock;
  private readonly quiet = new Map<string, number>();

  constructor(
    private readonly service: ReplicaService,
    private readonly project: string,
    private readonly now: () => number = Date.now,
  ) {
    this.clock = new ClientClock(now);
  }

  async propose(id: AdapterIdentity, req: FactRequest): Promise<FactResult> {
    const inputsHash = digestJson(req.inputs);
    const quietKey = `${id.name}|${req.transition}|${inputsHash}`;
    const until = this.quiet.get(quietKey);
    if (until !== undefined && this.now() < until) return { kind: 'suppressed', code: null, reasons: ['the same fact was refused recently'] };
    const evidence = [`ucxl://${component(id.name)}:${component(id.role)}@${component(this.project)}:${component(req.topic)}/*^/${req.evidencePath ?? inputsHash}`];
    let idemKey: string | null = null;
    let head: Digest | null = null;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (head === null) {
        const read = await this.service.read('stale');
        if (!read.ok) return { kind: 'refused', code: read.code, reasons: read.reasons };
        this.clock.observe(read.view.hlc);
        head = read.view.hash;
      }
      // Content plus the HEAD of the first attempt: a retry after a lost answer is a duplicate, never a second fact.
      idemKey ??= `${component(id.name)}:${req.transition}:${inputsHash.slice(7, 23)}:${head.slice(7, 23)}`;
      const proposal = id.key.signProposal({
        current_state_hash: head,
        transition: req.transition,
        inputs_hash: inputsHash,
        signer: id.key.signer,
        idem_key: idemKey,
        hlc: this.clock.tick(),
        window_id: req.windowId ?? null,
        evidence,
        inputs: req.inputs,
      });
      const admission = await this.service.submit(proposal);
      if (admission.kind === 'not-leader') return { kind: 'not_leader', code: 'not_leader', reasons: [] };
      if (admission.kind === 'refused') return { kind: 'refused', code: admission.code, reasons: admission.reasons };
      const o = admission.outcome;
      if (o.status === 'rejected' && o.code !== null && RETRY_AT_ONCE.has(o.code)) {
        // The rejection names the HEAD it was checked against (the leader's, with entries still in flight).
        this.clock.observe(o.hlc);
        head = o.state_post_hash;
        if (attempt % 5 === 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      if (o.status === 'rejected') this.quiet.set(quietKey, this.now() + REJECTION_QUIET_MS);
      return { kind: o.duplicate ? 'duplicate' : o.status, code: o.code, reasons: o.reasons, index: o.index };
    }
    return { kind: 'gave_up', code: 'stale_state_hash', reasons: ['HEAD kept moving'] };
  }
}
