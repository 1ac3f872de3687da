import type { ExecutionResult } from 'graphql';

import type { SubgraphMetrics } from './metrics.ts';

type SubscribeResult =
  AsyncGenerator<ExecutionResult> | AsyncIterableIterator<ExecutionResult> | ExecutionResult;

function isAsyncIterator(v: SubscribeResult): v is AsyncIterableIterator<ExecutionResult> {
  return typeof (v as Partial<AsyncIterableIterator<unknown>>)[Symbol.asyncIterator] === 'function';
}

/**
 * Keeps every open subscription's iterator, so shutdown can complete them (graphql-ws then sends `complete` to each
 * client) and the active-subscriptions gauge stays exact.
 */
export class SubscriptionTracker {
  /** each open subscription's shutdown: ends its pending next() and asks its source to return */
  private readonly open = new Map<AsyncIterableIterator<ExecutionResult>, () => Promise<unknown>>();

  constructor(private readonly metrics: SubgraphMetrics) {}

  get size(): number {
    return this.open.size;
  }

  track(result: SubscribeResult): SubscribeResult {
    if (!isAsyncIterator(result)) return result;
    const inner = result;
    this.metrics.subscriptionsActive.inc();
    this.metrics.subscriptionsTotal.inc();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.open.delete(inner);
      this.metrics.subscriptionsActive.dec();
    };
    // Shutdown must not wait for the source: an async generator suspended in an `await` queues return() until it
    // yields again, which may be never. So the pending next() is ended here, and graphql-ws sends `complete`.
    let stop: () => void = () => undefined;
    const stopped = new Promise<IteratorResult<ExecutionResult>>((resolve) => {
      stop = () => resolve({ done: true, value: undefined });
    });
    const wrapped: AsyncGenerator<ExecutionResult> = {
      async next() {
        if (done) return { done: true, value: undefined };
        const r = await Promise.race([inner.next(), stopped]);
        if (r.done) finish();
        return r;
      },
      async return(value?: unknown) {
        finish();
        return inner.return ? inner.return(value) : { done: true, value: undefined };
      },
      async throw(err?: unknown) {
        finish();
        if (inner.throw) return inner.throw(err);
        throw err;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      async [Symbol.asyncDispose]() {
        await this.return(undefined);
      },
    };
    this.open.set(inner, async () => {
      finish();
      stop();
      return inner.return?.(undefined);
    });
    return wrapped;
  }

  /**
   * ends every open subscription at once (each client gets `complete`), then waits up to `graceMs` for their
   * sources to release what they hold
   */
  async completeAll(graceMs: number): Promise<void> {
    const returned = Promise.allSettled([...this.open.values()].map((end) => end()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, graceMs);
      timer.unref();
    });
    await Promise.race([returned, grace]);
    clearTimeout(timer);
  }
}
