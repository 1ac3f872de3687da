/** Capped exponential backoff with jitter for the informer's restart loop. */

/** How an informer waits before restarting after an error. */
export interface BackoffOptions {
  /**
   * first delay after an error, in ms
   * @default 500
   */
  initialMs?: number;
  /**
   * the delay never grows past this, in ms
   * @default 30_000
   */
  maxMs?: number;
  /**
   * each delay is randomly spread by ± this fraction of itself (0 = no jitter)
   * @default 0.2
   */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
    this.random = random;
  }

  private readonly random: () => number;

  /** the next delay in ms; each call doubles the base until maxMs */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.min(this.maxMs, Math.round(base + spread)));
  }

  /** back to initialMs, after something worked */
  reset(): void {
    this.attempt = 0;
  }
}

/** a setTimeout-based delay that ends early (resolving) when `signal` aborts */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
