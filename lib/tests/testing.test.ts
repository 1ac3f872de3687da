import { createLeftovers, waitFor } from '@fleetgraph/lib/testing';
import { describe, expect, it } from 'vitest';

describe('waitFor', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const v = await waitFor(
      () => (++calls >= 3 ? { calls } : calls === 1 ? undefined : false),
      'three calls',
    );
    expect(v).toEqual({ calls: 3 });
  });

  it('treats a throwing check as not yet, and quotes its last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still starting');
        },
        'the server',
        60,
      ),
    ).rejects.toThrow(/timed out waiting for the server after 60 ms: Error: still starting/);
  });

  it('gives up at the deadline on a check that never settles', async () => {
    const started = Date.now();
    await expect(waitFor(() => new Promise<never>(() => undefined), 'a hung check', 50)).rejects.toThrow(
      'timed out waiting for a hung check after 50 ms',
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('createLeftovers', () => {
  it('disposes the last registered first, unshifted ones after all others, and empties itself', async () => {
    const order: string[] = [];
    const leftovers = createLeftovers();
    leftovers.unshift(() => order.push('sim'));
    leftovers.push(() => order.push('subgraph'));
    leftovers.push(async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('client');
    });
    expect(leftovers.size).toBe(3);
    await leftovers.dispose();
    expect(order).toEqual(['client', 'subgraph', 'sim']);
    expect(leftovers.size).toBe(0);
    await leftovers.dispose();
    expect(order).toHaveLength(3);
  });

  it('runs every dispose function even when some fail, then throws', async () => {
    const ran: number[] = [];
    const one = createLeftovers();
    one.push(() => ran.push(1));
    one.push(() => {
      throw new Error('boom');
    });
    one.push(() => ran.push(3));
    await expect(one.dispose()).rejects.toThrow('boom');
    expect(ran).toEqual([3, 1]);

    const two = createLeftovers();
    two.push(() => Promise.reject(new Error('a')));
    two.push(() => Promise.reject(new Error('b')));
    await expect(two.dispose()).rejects.toBeInstanceOf(AggregateError);
  });

  it('use() registers a disposable resource and returns it; await using disposes the stack', async () => {
    const disposed: string[] = [];
    {
      await using leftovers = createLeftovers();
      const server = leftovers.use({
        name: 'server',
        [Symbol.asyncDispose]: async () => void disposed.push('server'),
      });
      leftovers.use({ [Symbol.dispose]: () => void disposed.push('timer') });
      expect(server.name).toBe('server');
    }
    expect(disposed).toEqual(['timer', 'server']);
  });
});
