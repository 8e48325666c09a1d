// Network faults on directed replica links, as the chaos scenarios ask for them; each backend implements them
// its own way (the process backend with a fault proxy per link, netns with routes and qdiscs).

/** Faults on the link from one replica to another (the traffic `from` sends). `{}` is a healthy link. */
export interface LinkFaults {
  /** Nothing passes: a partition. Open connections go silent, new ones never complete a handshake. */
  readonly cut?: boolean;
  /** Every frame is held this long, ± jitter (jitter alone reorders nothing: frames keep their order). */
  readonly delay_ms?: number;
  readonly jitter_ms?: number;
  /** Per-frame probabilities in ‰: lose it, send it twice, or swap it with the next one. */
  readonly drop_permille?: number;
  readonly duplicate_permille?: number;
  readonly reorder_permille?: number;
  /** A slow link: at most this many bytes per second. */
  readonly bytes_per_second?: number;
}

/** What a backend offers the scenarios for the network between replicas. */
export interface NetworkFaults {
  /** Which faults this backend can apply; a scenario skips (and says so) what is not supported. */
  readonly supports: ReadonlySet<keyof LinkFaults>;
  /** Replaces the faults on the directed link from → to (replica ids). */
  set(from: string, to: string, faults: LinkFaults): Promise<void>;
  /** Every link healthy again. */
  healAll(): Promise<void>;
  /** Frames (or packets) seen, dropped, duplicated, reordered, per directed link, for the report. */
  stats(): Readonly<Record<string, Readonly<Record<string, number>>>>;
  close(): Promise<void>;
}
