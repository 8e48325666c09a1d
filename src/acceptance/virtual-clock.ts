// The wall clock the acceptance cluster runs on: a constant-rate virtual clock shared by the harness and every
// replica process (Date.now() is patched in the replicas by virtual-clock-preload.mjs).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const PRELOAD = pathToFileURL(join(import.meta.dirname, 'virtual-clock-preload.mjs')).href;

export class VirtualClock {
  private constructor(
    readonly startMs: number,
    private readonly realStartMs: number,
    readonly rate: number,
  ) {}

  /** A clock that reads `startMs` now and then runs `rate` times as fast as real time. */
  static startingAt(startMs: number, rate: number): VirtualClock {
    if (!(rate > 0)) throw new RangeError(`clock rate must be positive, got ${rate}`);
    return new VirtualClock(startMs, Date.now(), rate);
  }

  /** The same reading the replicas' Date.now() gives. */
  now(): number {
    return Math.floor(this.startMs + (Date.now() - this.realStartMs) * this.rate);
  }

  /** Real milliseconds until the clock reads `virtualMs` (0 if it already has). */
  realMsUntil(virtualMs: number): number {
    return Math.max(0, Math.ceil((virtualMs - this.now()) / this.rate));
  }

  /**
   * Runs `f` with an environment under which child processes started meanwhile read this clock.
   * LocalCluster spawns replicas with the inherited environment, so this is how they get it.
   */
  async forChildren<T>(f: () => Promise<T>): Promise<T> {
    const saved = { options: process.env['NODE_OPTIONS'], clock: process.env['SWOOSH_VIRTUAL_CLOCK'] };
    process.env['NODE_OPTIONS'] = [saved.options, `--import=${PRELOAD}`].filter((s) => s !== undefined && s !== '').join(' ');
    process.env['SWOOSH_VIRTUAL_CLOCK'] = `${this.startMs},${this.realStartMs},${this.rate}`;
    try {
      return await f();
    } finally {
      restore('NODE_OPTIONS', saved.options);
      restore('SWOOSH_VIRTUAL_CLOCK', saved.clock);
    }
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
