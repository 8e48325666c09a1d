// Reading a replica's decision feed (GET /decisions, docs/api.md): one page, or every record to the end.
import type { DecisionEntryRecord } from '../storage/records.ts';

export interface DecisionsPage {
  readonly items: DecisionEntryRecord[];
  /** Pass as `after` for the next page; null when this page reached the end. */
  readonly next_after: number | null;
}

/** The records after index `after` (at most `limit`); throws when the replica does not answer or answers non-2xx. */
export async function decisionsPage(url: string, after: number, limit: number, timeoutMs: number): Promise<DecisionsPage> {
  const res = await fetch(`${url}/decisions?after=${after}&limit=${limit}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}/decisions: HTTP ${res.status}`);
  return (await res.json()) as DecisionsPage;
}

/** Every decision record the replica holds, in index order. */
export async function allDecisions(url: string, timeoutMs = 10_000): Promise<DecisionEntryRecord[]> {
  const out: DecisionEntryRecord[] = [];
  for (let after = 0; ; ) {
    const page = await decisionsPage(url, after, 1000, timeoutMs);
    out.push(...page.items);
    if (page.next_after === null) return out;
    after = page.next_after;
  }
}
