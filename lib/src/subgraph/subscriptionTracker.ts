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
  private readonly open = new Map<AsyncIterableIterator<ExecutionResult>, AsyncGenerator<ExecutionResult>>();

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
    const wrapped: AsyncGenerator<ExecutionResult> = {
      async next() {
        const r = await inner.next();
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
    this.open.set(inner, wrapped);
    return wrapped;
  }

  /** ends every open subscription */
  async completeAll(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((w) => w.return(undefined)));
  }
}
