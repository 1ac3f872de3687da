import type { SimClock, TimerId } from '../clock.ts';

/**
 * client-go's rate-limited work queue, in small: a key is queued at most once however often it is added, work
 * runs on a clock timer (never inside a store commit, so a controller's writes never interleave with the fan-out
 * of the change that woke it), keys run in the order they were first added, and a key added while it runs is run
 * again afterwards. One queue serves every controller of a cluster, so work happens in one global order.
 */

const BATCH = 2_000;

export class WorkQueue {
  private readonly pending = new Map<string, () => void>();
  private readonly delayed = new Map<string, { id: TimerId; due: number }>();
  private readonly failures = new Map<string, number>();
  private flushTimer: TimerId | undefined;
  private flushing = false;
  private stopped = false;

  constructor(
    private readonly clock: SimClock,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
  ) {}

  /** run `work` for this key soon (once, even if added again before it runs) */
  add(key: string, work: () => void): void {
    if (this.stopped || this.pending.has(key)) return;
    this.pending.set(key, work);
    if (this.flushTimer === undefined && !this.flushing)
      this.flushTimer = this.clock.setTimeout(() => this.flush(), 0);
  }

  /** run `work` for this key after ms of clock time (the earliest of several requests wins) */
  addAfter(key: string, ms: number, work: () => void): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key, work);
    const due = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.id);
    const id = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key, work);
    }, ms);
    this.delayed.set(key, { id, due });
  }

  get length(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const { id } of this.delayed.values()) this.clock.clearTimeout(id);
    this.delayed.clear();
  }

  private flush(): void {
    this.flushTimer = undefined;
    this.flushing = true;
    try {
      this.drain();
    } finally {
      this.flushing = false;
    }
  }

  private drain(): void {
    let n = 0;
    for (const [key, work] of this.pending) {
      if (this.stopped) return;
      this.pending.delete(key);
      try {
        work();
        this.failures.delete(key);
      } catch (err) {
        // Retry with exponential backoff (5 ms doubling to 10 s of clock time), as the rate-limited queue does.
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        this.onError(key, err);
        this.addAfter(key, Math.min(10_000, 5 * 2 ** failures), work);
      }
      // Yield between batches so that a burst of work never starves HTTP requests.
      if (++n >= BATCH && this.pending.size > 0) {
        this.flushTimer = this.clock.setTimeout(() => this.flush(), 0);
        return;
      }
    }
  }
}
