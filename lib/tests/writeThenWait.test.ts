import { GraphQLError } from 'graphql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { writeThenWait } from '../src/subgraph/index.ts';

/** an informer cache stand-in: a map that announces each change to its listeners (synchronously, as informers do) */
function fakeCache<V>() {
  const items = new Map<string, V>();
  const listeners = new Set<() => void>();
  return {
    get: (key: string) => items.get(key),
    /** sets without announcing, as a cache that does not tell every change */
    setQuietly: (key: string, value: V) => void items.set(key, value),
    set(key: string, value: V) {
      items.set(key, value);
      for (const l of listeners) l();
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    listeners: () => listeners.size,
  };
}

const messages = { done: 'gateway "web" was changed', notSeen: 'the change did not reach fleetgraph' };

describe('writeThenWait', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns at once when the cache already shows the write', async () => {
    const cache = fakeCache<number>();
    const write = vi.fn(async () => {
      cache.set('web', 2);
      return 2;
    });
    const subscribe = vi.fn(cache.subscribe);
    await expect(
      writeThenWait({
        write,
        until: (g) => (cache.get('web') === g ? 'seen' : undefined),
        subscribe,
        ...messages,
      }),
    ).resolves.toBe('seen');
    expect(write).toHaveBeenCalledTimes(1);
    expect(subscribe).not.toHaveBeenCalled();
  });

  it('waits for the change that shows the write (given its result), then unsubscribes', async () => {
    const cache = fakeCache<number>();
    cache.set('web', 1);
    const until = vi.fn((generation: number) => {
      const g = cache.get('web');
      return g !== undefined && g >= generation ? { generation: g } : undefined;
    });
    let result: unknown;
    const waiting = writeThenWait({
      write: async () => 3,
      until,
      subscribe: cache.subscribe,
      ...messages,
    }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    expect(cache.listeners()).toBe(1);
    cache.set('web', 2); // not yet
    await vi.advanceTimersByTimeAsync(100);
    expect(result).toBeUndefined();
    cache.set('web', 3);
    cache.set('web', 4); // a burst is checked once
    const calls = until.mock.calls.length;
    await vi.advanceTimersByTimeAsync(0);
    await waiting;
    expect(result).toEqual({ generation: 4 });
    expect(until.mock.calls.length).toBe(calls + 1);
    expect(until.mock.calls.every(([g]) => g === 3)).toBe(true);
    expect(cache.listeners()).toBe(0);
  });

  it('listens to several caches', async () => {
    const jobs = fakeCache<string>();
    const clusters = fakeCache<string>();
    const waiting = writeThenWait({
      write: async () => undefined,
      until: () => {
        const job = clusters.get('prod');
        return job !== undefined ? jobs.get(job) : undefined;
      },
      subscribe: [jobs.subscribe, clusters.subscribe],
      ...messages,
    });
    await vi.advanceTimersByTimeAsync(0);
    clusters.set('prod', 'job-1');
    await vi.advanceTimersByTimeAsync(0);
    jobs.set('job-1', 'RUNNING');
    await vi.advanceTimersByTimeAsync(0);
    await expect(waiting).resolves.toBe('RUNNING');
    expect(jobs.listeners() + clusters.listeners()).toBe(0);
  });

  it('times out with TIMEOUT saying what was done and what was not seen, and unsubscribes', async () => {
    const cache = fakeCache<number>();
    const waiting = writeThenWait({
      write: async () => 1,
      until: () => undefined,
      subscribe: cache.subscribe,
      timeoutMs: 2_500,
      extensions: { cluster: 'prod', name: 'web' },
      ...messages,
    });
    const failed = expect(waiting).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(GraphQLError);
      const err = e as GraphQLError;
      expect(err.message).toBe(
        'gateway "web" was changed, but the change did not reach fleetgraph within 2.5 s',
      );
      expect(err.extensions).toEqual({
        code: 'TIMEOUT',
        cluster: 'prod',
        name: 'web',
        written: true,
        done: 'gateway "web" was changed',
        notSeen: 'the change did not reach fleetgraph',
        timeoutMs: 2_500,
      });
      return true;
    });
    cache.set('web', 1);
    await vi.advanceTimersByTimeAsync(2_499);
    expect(cache.listeners()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await failed;
    expect(cache.listeners()).toBe(0);
  });

  it('defaults to 10 s', async () => {
    const waiting = writeThenWait({
      write: async () => 1,
      until: () => undefined,
      subscribe: fakeCache().subscribe,
      ...messages,
    });
    const failed = expect(waiting).rejects.toThrow(/within 10 s$/);
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;
  });

  it('takes a last look at the deadline, for a change not announced', async () => {
    const cache = fakeCache<number>();
    const waiting = writeThenWait({
      write: async () => 1,
      until: () => cache.get('web'),
      subscribe: cache.subscribe,
      timeoutMs: 1_000,
      ...messages,
    });
    await vi.advanceTimersByTimeAsync(500);
    cache.setQuietly('web', 7);
    await vi.advanceTimersByTimeAsync(500);
    await expect(waiting).resolves.toBe(7);
  });

  it('with recheckMs, also sees a cache that does not announce the change', async () => {
    const cache = fakeCache<number>();
    let result: unknown;
    const waiting = writeThenWait({
      write: async () => 1,
      until: () => cache.get('web'),
      subscribe: cache.subscribe,
      recheckMs: 50,
      ...messages,
    }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(10);
    cache.setQuietly('web', 7);
    await vi.advanceTimersByTimeAsync(60);
    expect(result).toBe(7);
    await waiting;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throws a failed write as it is, without waiting', async () => {
    const cache = fakeCache<number>();
    const subscribe = vi.fn(cache.subscribe);
    const boom = new Error('409 Conflict');
    await expect(
      writeThenWait({ write: () => Promise.reject(boom), until: () => 1, subscribe, ...messages }),
    ).rejects.toBe(boom);
    expect(subscribe).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with what `until` throws, and cleans up', async () => {
    const cache = fakeCache<number>();
    const bad = new Error('cache gone');
    const waiting = writeThenWait({
      write: async () => 1,
      until: () => {
        if (cache.get('web') !== undefined) throw bad;
        return undefined;
      },
      subscribe: cache.subscribe,
      ...messages,
    });
    const failed = expect(waiting).rejects.toBe(bad);
    await vi.advanceTimersByTimeAsync(0);
    cache.set('web', 1);
    await vi.advanceTimersByTimeAsync(0);
    await failed;
    expect(cache.listeners()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
