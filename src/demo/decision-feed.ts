// A tail of GET /decisions across a cluster's endpoints: one line per decision record, with every guard's verdict.
import { decisionsPage } from '../sdk/decisions.ts';
import type { DecisionEntryRecord } from '../storage/records.ts';

export function formatDecision(e: DecisionEntryRecord): string {
  const d = e.decision;
  const guards = d.guard_outcomes.map((g) => `${g.guard} ${g.ok ? 'ok' : 'FAILED'}: ${g.reasons.join('; ')}`);
  const head = `#${String(d.index).padStart(4)} ${d.outcome.padEnd(11)} ${(d.transition ?? '?').padEnd(26)}${d.code === null ? '' : ` ${d.code}`}`;
  const why = d.outcome === 'rejected' && guards.length === 0 ? [`  ${d.reasons.join('; ')}`] : [];
  return [head, ...guards.map((g) => `        ${g}`), ...why].join('\n');
}

export class DecisionFeed {
  private after = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private endpoint = 0;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly print: (text: string) => void,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const url = this.endpoints[this.endpoint % this.endpoints.length]!;
      const page = await decisionsPage(url, this.after, 100, 2000).catch(() => null);
      if (page === null) {
        this.endpoint++;
        return;
      }
      const { items } = page;
      for (const e of items) {
        this.print(formatDecision(e));
        this.after = Math.max(this.after, e.index);
      }
    } finally {
      this.busy = false;
    }
  }
}
