// The chaos harness's recorded history and what the checkers return: shared types and small helpers.
import type { DecisionEntryRecord } from '../../src/storage/records.ts';

/** One client request as the history-recording client saw it. */
export interface HistoryOp {
  /** Unique per run. */
  readonly id: number;
  /** Which client sent it. */
  readonly client: string;
  readonly transition: string;
  readonly signer: string;
  readonly idem_key: string;
  /** The proposal's current_state_hash: the CAS "expected" value. */
  readonly expected_hash: string;
  /** Wall clock when sent (real-time lower bound). */
  readonly invoke_ms: number;
  /** Wall clock when the answer came; null if none (unknown). */
  readonly complete_ms: number | null;
  /**
   * ok: 202 with outcome accepted|quarantined (incl. duplicate: true); fail: a definite refusal (4xx or a rejected
   * outcome); unknown: timeout, network error or 5xx, it may or may not have been applied.
   */
  readonly result: 'ok' | 'fail' | 'unknown';
  readonly status: number | null;
  readonly outcome: 'accepted' | 'quarantined' | 'rejected' | null;
  readonly duplicate: boolean;
  /** Log index from the answer, when given. */
  readonly index: number | null;
  readonly state_post_hash: string | null;
  /** Reason code. */
  readonly code: string | null;
}

/** One replica's final state after the run has healed and quiesced. */
export interface ReplicaFinal {
  readonly id: string;
  readonly applied_index: number;
  readonly state_hash: string;
  /** GET /decisions from index 0, all of them. */
  readonly decisions: readonly DecisionEntryRecord[];
}

export interface CheckResult {
  readonly checker: string;
  readonly ok: boolean;
  /** At most MAX_PROBLEMS, each concrete: which op, index or replica. `stats.problems` has the total. */
  readonly problems: readonly string[];
  readonly stats: Record<string, number>;
}

export const MAX_PROBLEMS = 50;

/** Collects problems up to MAX_PROBLEMS and counts all of them. */
export class Problems {
  readonly list: string[] = [];
  total = 0;

  add(problem: string): void {
    this.total++;
    if (this.list.length < MAX_PROBLEMS) this.list.push(problem);
  }

  result(checker: string, stats: Record<string, number>): CheckResult {
    const problems = this.total > this.list.length ? [...this.list, `... and ${this.total - this.list.length} more`] : this.list;
    return { checker, ok: this.total === 0, problems, stats: { ...stats, problems: this.total } };
  }
}

/** The exactly-once identity of an operation: (signer, idem_key). */
export function opKey(signer: string | null, idemKey: string | null): string {
  return `${signer ?? ''}\u0000${idemKey ?? ''}`;
}

/** A short, readable name for an operation in a problem message. */
export function describeOp(op: HistoryOp): string {
  return `op #${op.id} (${op.client}, ${op.transition}, idem_key ${op.idem_key})`;
}

export function describeKey(signer: string | null, idemKey: string | null): string {
  return `${shortSigner(signer)}/${idemKey ?? 'null'}`;
}

export function shortSigner(signer: string | null): string {
  if (signer === null) return 'null';
  return signer.startsWith('hmmm:pubkey:') ? `${signer.slice('hmmm:pubkey:'.length, 'hmmm:pubkey:'.length + 8)}…` : signer;
}

/** A decision record that applied its operation (changed the state): accepted or quarantined. */
export function applied(d: DecisionEntryRecord): boolean {
  return d.decision.outcome !== 'rejected';
}

export function sortedByIndex(decisions: readonly DecisionEntryRecord[]): DecisionEntryRecord[] {
  return [...decisions].sort((a, b) => a.index - b.index);
}
