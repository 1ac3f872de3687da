import { describe, expect, it } from 'vitest';

import { EventQueue, QueueOverflowError } from '../src/async/index.ts';
import { Backoff } from '../src/kube/backoff.ts';
import { InformerOverflowError } from '../src/kube/informerOverflowError.ts';

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('spreads each delay by at most ±jitter and never past maxMs', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2 }, () => 0);
    const high = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2 }, () => 0.999);
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1000);
    expect(new Backoff().next()).toBeGreaterThanOrEqual(400);
  });
});

describe('EventQueue', () => {
  it('delivers in order, then ends', async () => {
    let closed = 0;
    const q = new EventQueue<number>(10, () => closed++);
    q.push(1);
    q.push(2);
    expect(await q.next()).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    const waiting = q.next();
    q.push(3);
    expect(await waiting).toEqual({ value: 3, done: false });
    q.push(4);
    q.end();
    expect(await q.next()).toEqual({ value: 4, done: false });
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });

  it('fails a consumer that falls more than bufferSize behind, and unsubscribes it', async () => {
    let closed = 0;
    const q = new EventQueue<number>(2, () => closed++);
    for (let i = 0; i < 5; i++) q.push(i);
    expect(closed).toBe(1);
    await expect(q.next()).rejects.toBeInstanceOf(QueueOverflowError);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('fails an overflowing consumer with the error its producer chose (an informer, for example)', async () => {
    const q = new EventQueue<number>(
      1,
      () => undefined,
      (n) => new InformerOverflowError(n),
    );
    q.push(1);
    q.push(2);
    const failure = q.next();
    await expect(failure).rejects.toBeInstanceOf(InformerOverflowError);
    await expect(failure).rejects.toBeInstanceOf(QueueOverflowError);
    await expect(failure).rejects.toMatchObject({ bufferSize: 1 });
  });

  it('return() ends the stream for a consumer that breaks out of for await', async () => {
    let closed = 0;
    const q = new EventQueue<number>(10, () => closed++);
    q.push(1);
    for await (const v of q) {
      expect(v).toBe(1);
      break;
    }
    expect(closed).toBe(1);
    q.push(2);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });
});
