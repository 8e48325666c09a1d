// The LevelDB key layout (docs/storage.md): fixed-width hex indexes so key order is index order.

const WIDTH = 16;

export function indexKey(prefix: string, index: number): string {
  return `${prefix}${index.toString(16).padStart(WIDTH, '0')}`;
}

export function indexOfKey(prefix: string, key: string): number {
  return parseInt(key.slice(prefix.length), 16);
}

export const KEYS = {
  /** The replicated log: index -> framed LogEntryRecord. */
  log: 'log/',
  /** Apply results: index -> framed DecisionRecord + write time (the brief §7 WAL record fields). */
  decision: 'dr/',
  /** DR content hash -> index, for GET /decisions/{id}. */
  decisionId: 'drid/',
  /** Snapshots, kept outside the log stream: index -> framed Snapshot. */
  snapshot: 'snap/',
  /** Records found torn or corrupt at the log tail, preserved byte for byte before the index is reused. */
  preserved: 'preserved/',
  genesis: 'meta/genesis',
  /** Raft's term, vote and commit index, written with (and synced no later than) the entries they cover. */
  hardState: 'meta/hardstate',
  /** The cluster this replica was created for: id and the bootstrap members. */
  cluster: 'meta/cluster',
} as const;

/** The upper bound for a prefix scan. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
