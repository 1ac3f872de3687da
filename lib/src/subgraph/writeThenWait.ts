import { TIMEOUT } from '../errors/index.ts';

/**
 * "Write, then wait until the cache shows it": how a mutation answers with the state its write led to. Resolvers
 * read only informer caches, so a mutation that returned as soon as the API server accepted its write would show
 * the state before it (and a subscriber could see the two out of order). The wait is bounded: past the timeout
 * the mutation fails with TIMEOUT, saying that the write WAS made and what the cache has not shown yet, so a
 * client knows not to simply repeat it.
 */

/** registers a listener called after a cache changed; returns its unsubscribe function */
export type CacheSubscribe = (listener: () => void) => () => void;

export interface WriteThenWaitOptions<W, T> {
  /** the write (as the end user); a failure is thrown as it is, without waiting */
  write: () => Promise<W>;
  /** what the cache shows once it holds the write (given the write's result); undefined until then */
  until: (written: W) => T | undefined;
  /** how to be told that a cache `until` reads changed (one, or one per cache); `until` runs again after each */
  subscribe: CacheSubscribe | readonly CacheSubscribe[];
  /** @default 10_000 */
  timeoutMs?: number;
  /**
   * also run `until` this often, for a cache that does not announce every change `until` reads (the
   * ClusterRegistry announces a Cluster object only when its kubeconfig, server, role or labels change)
   * @default never: only `subscribe` wakes `until`
   */
  recheckMs?: number;
  /** what the write did, for the TIMEOUT error: `the upgrade of "prod" was requested` */
  done: string;
  /** what the cache has not shown in time, for the TIMEOUT error: `the host's controller did not start its job` */
  notSeen: string;
  /** more `extensions` of the TIMEOUT error, e.g. the object's coordinates */
  extensions?: Record<string, unknown>;
}

/** @default timeout of writeThenWait */
export const WRITE_WAIT_MS = 10_000;

/**
 * Runs `write`, then resolves with `until(result)` as soon as it is defined: at once, or after a change the
 * subscriptions announce. Past `timeoutMs` it throws TIMEOUT `<done>, but <notSeen> within <n> s` with extensions
 * `{ written: true, done, notSeen, timeoutMs, ...extensions }`. Listeners only schedule the check (informer
 * handlers must not do work); a burst of changes is checked once.
 */
export async function writeThenWait<W, T>(options: WriteThenWaitOptions<W, T>): Promise<T> {
  const written = await options.write();
  const now = options.until(written);
  if (now !== undefined) return now;
  const timeoutMs = options.timeoutMs ?? WRITE_WAIT_MS;
  const subscribes: readonly CacheSubscribe[] =
    typeof options.subscribe === 'function' ? [options.subscribe] : options.subscribe;

  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let pending: NodeJS.Immediate | undefined;
    const unsubscribes: Array<() => void> = [];
    const finish = (): void => {
      finished = true;
      clearTimeout(timer);
      if (recheck) clearInterval(recheck);
      if (pending) clearImmediate(pending);
      for (const u of unsubscribes.splice(0)) u();
    };
    /** runs `until`; settles and returns true once it holds (or throws) */
    const check = (): boolean => {
      pending = undefined;
      if (finished) return true;
      try {
        const value = options.until(written);
        if (value === undefined) return false;
        finish();
        resolve(value);
      } catch (e) {
        finish();
        reject(e);
      }
      return true;
    };
    const wake = (): void => {
      if (!finished && !pending) pending = setImmediate(check);
    };
    const timer = setTimeout(() => {
      if (check()) return; // a last look: the change may have landed since the last announcement
      finish();
      const { done, notSeen } = options;
      reject(
        TIMEOUT.err(`${done}, but ${notSeen} within ${timeoutMs / 1000} s`, {
          extensions: { ...options.extensions, written: true, done, notSeen, timeoutMs },
        }),
      );
    }, timeoutMs);
    const recheck = options.recheckMs ? setInterval(wake, options.recheckMs) : undefined;
    for (const subscribe of subscribes) unsubscribes.push(subscribe(wake));
    // a change between `write` resolving and the subscriptions above was not announced to them
    check();
  });
}
