/** something to undo after a test: close a server, dispose a client, unsubscribe */
export type Dispose = () => unknown;

/**
 * A fallback cleanup stack for a test file: everything a test starts is pushed here as it is created, and the file's
 * `afterAll(() => leftovers.dispose())` undoes whatever a failed or forgetful test left behind.
 */
export interface Leftovers extends AsyncDisposable {
  /** registers `dispose`; dispose() runs the last registered first */
  push(dispose: Dispose): void;
  /** registers `dispose` to run after every other one (the kube-sim the rest talk to, for example) */
  unshift(dispose: Dispose): void;
  /** registers an `AsyncDisposable` or `Disposable` and returns it, so `const sim = leftovers.use(await createX())` */
  use<R extends AsyncDisposable | Disposable>(resource: R): R;
  /** how many dispose functions are waiting */
  readonly size: number;
  /**
   * Runs and forgets every registered dispose function, the last registered first, one at a time. All of them run
   * even if some fail; then the failure is thrown (an AggregateError when several failed).
   */
  dispose(): Promise<void>;
}

export function createLeftovers(): Leftovers {
  const stack: Dispose[] = [];
  const dispose = async (): Promise<void> => {
    const errors: unknown[] = [];
    // a dispose function may register more leftovers (a client's close releasing a subscription): run those too
    for (let d = stack.pop(); d; d = stack.pop()) {
      try {
        await d();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} leftovers failed to dispose`);
  };
  return {
    push: (d) => void stack.push(d),
    unshift: (d) => void stack.unshift(d),
    use(resource) {
      stack.push(() =>
        Symbol.asyncDispose in resource ? resource[Symbol.asyncDispose]() : resource[Symbol.dispose](),
      );
      return resource;
    },
    get size() {
      return stack.length;
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
