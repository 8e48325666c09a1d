// The replicated dedupe table: idem_key -> the original outcome, expiring by HLC, hashed incrementally.
import { OrderedMap } from 'immutable';
import { canonicalJson } from './canonical-json.ts';
import type { Digest } from './digest.ts';
import { SetHash } from './set-hash.ts';

/** What a repeat of the same operation gets back. */
export interface DedupeRow {
  readonly idem_key: string;
  /** Log index of the original entry. */
  readonly index: number;
  readonly transition: string;
  readonly signer: string;
  readonly inputs_hash: Digest;
  readonly outcome: 'accepted' | 'quarantined';
  /** The original entry's stamp, i.e. when the key was first seen; rows expire from it. */
  readonly first_seen: string;
  readonly first_seen_ms: number;
  /** Annotations: functions of the row's own entry, so left out of the row hash (including them would be circular). */
  readonly state_post_hash: Digest;
  readonly decision_record_id: string;
}

/** The part of a row that the state hash covers (docs/hashing.md). */
export function hashedRow(row: DedupeRow): Record<string, string | number> {
  return {
    idem_key: row.idem_key,
    index: row.index,
    transition: row.transition,
    signer: row.signer,
    inputs_hash: row.inputs_hash,
    outcome: row.outcome,
    first_seen: row.first_seen,
  };
}

/**
 * Immutable. Rows are kept in insertion order, which is first_seen order because accepted stamps strictly
 * increase; expiry therefore pops from the front and costs amortized O(1) per transition.
 */
export class DedupeTable {
  private constructor(
    private readonly rows: OrderedMap<string, DedupeRow>,
    private readonly setHash: SetHash,
  ) {}

  static empty(): DedupeTable {
    return new DedupeTable(OrderedMap(), SetHash.empty());
  }

  static fromRows(rows: readonly DedupeRow[]): DedupeTable {
    let t = DedupeTable.empty();
    for (const r of rows) t = t.insert(r);
    return t;
  }

  get size(): number {
    return this.rows.size;
  }

  /** The live row for `key` at `nowMs`, or undefined if absent or expired (expired rows may not be swept yet). */
  lookup(key: string, nowMs: number, retentionMs: number): DedupeRow | undefined {
    const row = this.rows.get(key);
    return row !== undefined && row.first_seen_ms + retentionMs > nowMs ? row : undefined;
  }

  insert(row: DedupeRow): DedupeTable {
    const old = this.rows.get(row.idem_key);
    const base = old === undefined ? this.setHash : this.setHash.remove(canonicalJson(hashedRow(old)));
    // Delete first so a re-used (expired) key moves to the back and insertion order stays time order.
    return new DedupeTable(this.rows.delete(row.idem_key).set(row.idem_key, row), base.add(canonicalJson(hashedRow(row))));
  }

  /** Sets a row's annotations; they are outside the row hash, so the set hash is unchanged. */
  annotate(key: string, statePostHash: Digest, decisionRecordId: string): DedupeTable {
    const row = this.rows.get(key);
    if (row === undefined) return this;
    return new DedupeTable(this.rows.set(key, { ...row, state_post_hash: statePostHash, decision_record_id: decisionRecordId }), this.setHash);
  }

  /** Removes every row with first_seen_ms + retentionMs <= nowMs. */
  expire(nowMs: number, retentionMs: number): DedupeTable {
    let rows = this.rows;
    let hash = this.setHash;
    for (;;) {
      const first = rows.first();
      if (first === undefined || first.first_seen_ms + retentionMs > nowMs) break;
      rows = rows.delete(first.idem_key);
      hash = hash.remove(canonicalJson(hashedRow(first)));
    }
    return rows === this.rows ? this : new DedupeTable(rows, hash);
  }

  digest(): string {
    return this.setHash.digest();
  }

  toArray(): DedupeRow[] {
    return [...this.rows.values()];
  }
}
