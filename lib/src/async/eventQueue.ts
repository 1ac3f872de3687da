/**
 * A bounded, single-consumer async queue: one per `events()` consumer of an informer, or per subscriber of a stream.
 * The producer pushes without ever blocking; a consumer that falls more than `bufferSize` items behind fails.
 */

/** the default error of a consumer that fell more than `bufferSize` items behind (lib/kube's informers pass their own) */
export class QueueOverflowError extends Error {
  constructor(
    readonly bufferSize: number,
    message = `queue consumer fell more than ${bufferSize} items behind`,
  ) {
    super(message);
    this.name = 'QueueOverflowError';
  }
}

export class EventQueue<E> implements AsyncIterableIterator<E> {
  private readonly items: E[] = [];
  private waiter: ((r: IteratorResult<E>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private ended = false;
  private error: Error | undefined;

  /**
   * @param bufferSize items kept for a slow consumer before it fails
   * @param onClose called once when the stream ends (by end(), return() or overflow)
   * @param overflowError the error the consumer gets on overflow @default QueueOverflowError
   */
  constructor(
    private readonly bufferSize: number,
    private readonly onClose: () => void,
    private readonly overflowError: (bufferSize: number) => Error = (n) => new QueueOverflowError(n),
  ) {}

  /** called by the producer; never throws, never blocks */
  push(item: E): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiters();
      w({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.bufferSize) {
      this.fail(this.overflowError(this.bufferSize));
      return;
    }
    this.items.push(item);
  }

  /** end the stream after the buffered items (the producer stopped) */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiters();
      w({ value: undefined, done: true });
    }
  }

  private fail(error: Error): void {
    this.items.length = 0;
    this.error = error;
    this.end();
    if (this.failWaiter) {
      const f = this.failWaiter;
      this.clearWaiters();
      f(error);
    }
  }

  private clearWaiters(): void {
    this.waiter = undefined;
    this.failWaiter = undefined;
  }

  next(): Promise<IteratorResult<E>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.error) {
      const e = this.error;
      this.error = undefined;
      return Promise.reject(e);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  return(): Promise<IteratorResult<E>> {
    this.items.length = 0;
    this.error = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }
}
