/**
 * A watchdog for reads that must end: a stream pipeline that stops making progress (a parser
 * stuck in a state it never leaves, a file or socket that stops delivering bytes) fails with an
 * error naming what was being read, instead of waiting forever.
 *
 * "Progress" is whatever the caller marks: bytes read, an archive entry reached, a chunk
 * delivered. The guard fails only after `ms` without a mark, and only after giving pending I/O
 * one more turn of the event loop: a process that was starved of CPU wakes with its timers and
 * its I/O both due, and must not mistake its own pause for a stall.
 */

/** How long a local read may go without progress by default. */
export const DEFAULT_STALL_MS = 30_000;

export class StallGuard {
  private marks = 0;
  private lastMark = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * @param ms time without progress after which `onStall` is called once.
   * @param describe builds the error at that moment (so it can say where the read stopped).
   * @param onStall receives the error; it must end the read (destroy the streams).
   */
  constructor(
    readonly ms: number,
    private readonly describe: (ms: number) => Error,
    private readonly onStall: (e: Error) => void,
  ) {
    if (!(ms > 0)) throw new Error(`StallGuard: the time without progress must be a positive number of ms, received ${ms}`);
    this.arm(ms);
  }

  /** Records progress. */
  mark(): void {
    this.marks++;
    this.lastMark = Date.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.check(), Math.max(1, delay));
  }

  private check(): void {
    if (this.stopped) return;
    const idle = Date.now() - this.lastMark;
    if (idle < this.ms) return this.arm(this.ms - idle);
    const marks = this.marks;
    // The check phase runs after the poll phase: I/O that was due gets its turn first.
    setImmediate(() => {
      if (this.stopped) return;
      if (this.marks !== marks) return this.arm(this.ms);
      this.stop();
      this.onStall(this.describe(Date.now() - this.lastMark));
    });
  }
}
