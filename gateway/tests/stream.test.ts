import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';

import { type RunEvent, SharedStream, type StreamHooks } from '../src/subscriptions/stream.ts';

/** a controllable upstream and SharedStream hooks around it */
function fakeUpstream(identity: (e: ExecutionResult) => string | undefined = entityId) {
  const state = {
    opened: 0,
    closed: 0,
    ended: 0,
    sink: undefined as Parameters<StreamHooks['open']>[0] | undefined,
  };
  const hooks: StreamHooks = {
    identity,
    open(sink) {
      state.opened++;
      state.sink = sink;
      return () => {
        state.closed++;
      };
    },
    failure: (e) => ({ data: null, errors: [{ message: `failed: ${String(e)}` }] as never }),
    onEnd: () => {
      state.ended++;
    },
  };
  const emit = (id: string, v: number): void => state.sink?.next({ data: { changed: { id, v } } });
  return { state, hooks, emit };
}

function entityId(e: ExecutionResult): string | undefined {
  const v = (e.data as { changed?: { id?: string } } | null)?.changed;
  return v?.id ? `Thing:${v.id}` : undefined;
}

/** a run whose completion the test controls, event by event */
function manualRun() {
  const pending: { event: ExecutionResult; resolve: () => void }[] = [];
  const calls: ExecutionResult[] = [];
  const run: RunEvent = (event) => {
    calls.push(event);
    return new Promise((resolve) =>
      pending.push({ event, resolve: () => resolve({ data: { ran: event.data } }) }),
    );
  };
  return { run, calls, pending };
}

const echo: RunEvent = (event) => Promise.resolve({ data: { ran: event.data } });
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function take(q: AsyncIterator<ExecutionResult>, n: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const r = await q.next();
    if (r.done) throw new Error(`ended after ${i} of ${n}`);
    out.push(r.value.data);
  }
  return out;
}

const ran = (id: string, v: number): unknown => ({ ran: { changed: { id, v } } });

describe('SharedStream', () => {
  it('opens the upstream with the first subscriber and shares it', () => {
    const { state, hooks } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    expect(state.opened).toBe(0);
    stream.join('g', echo);
    stream.join('g', echo);
    stream.join('other', echo);
    expect(state.opened).toBe(1);
    expect(stream.subscriberCount).toBe(3);
  });

  it('keeps upstream order per subscriber even when run is slow and finishes out of order', async () => {
    const { hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const { run, pending, calls } = manualRun();
    const q = stream.join('g', run);
    emit('a', 1);
    emit('b', 1);
    emit('a', 2);
    await flush();
    // one event at a time per group: the second run starts only after the first finished
    expect(calls).toHaveLength(1);
    const got = take(q, 3);
    for (let i = 0; i < 3; i++) {
      await flush();
      expect(pending).toHaveLength(i + 1);
      pending[i]!.resolve();
    }
    expect(await got).toEqual([ran('a', 1), ran('b', 1), ran('a', 2)]);
  });

  it('runs rest once per event per group, for all of its subscribers', async () => {
    const { hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    let runs = 0;
    const counting: RunEvent = (e) => {
      runs++;
      return echo(e);
    };
    const qs = Array.from({ length: 10 }, () => stream.join('g', counting));
    const other = stream.join('h', counting);
    emit('a', 1);
    emit('a', 2);
    for (const q of qs) expect(await take(q, 2)).toEqual([ran('a', 1), ran('a', 2)]);
    expect(await take(other, 2)).toEqual([ran('a', 1), ran('a', 2)]);
    expect(runs).toBe(4);
  });

  it('replays the latest event per entity to a late joiner, then live events, with no duplicates', async () => {
    const { state, hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const first = stream.join('g', echo);
    emit('a', 1);
    emit('b', 1);
    emit('a', 2);
    expect(await take(first, 3)).toEqual([ran('a', 1), ran('b', 1), ran('a', 2)]);
    expect(stream.joinable()).toBe(true);

    const late = stream.join('g', echo);
    expect(state.opened).toBe(1);
    emit('b', 2);
    // the latest state of each entity (most recently changed last), then the live event
    expect(await take(late, 3)).toEqual([ran('b', 1), ran('a', 2), ran('b', 2)]);
    expect(await take(first, 1)).toEqual([ran('b', 2)]);
    const none = await Promise.race([late.next(), flush().then(() => 'nothing')]);
    expect(none).toBe('nothing');
  });

  it('delivers a live event that arrives during a slow replay after the replay, once', async () => {
    const { hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const { run, pending } = manualRun();
    const first = stream.join('g', run);
    emit('a', 1);
    await flush();
    pending[0]!.resolve();
    expect(await take(first, 1)).toEqual([ran('a', 1)]);

    const late = stream.join('g', run);
    await flush();
    emit('a', 2); // arrives while the replay of a:1 is in flight
    pending[1]!.resolve(); // the replay
    await flush();
    pending[2]!.resolve(); // the live event, run once for both
    expect(await take(late, 2)).toEqual([ran('a', 1), ran('a', 2)]);
    expect(await take(first, 1)).toEqual([ran('a', 2)]);
    expect(pending).toHaveLength(3);
  });

  it('stops taking newcomers after the first event of a non-entity stream', async () => {
    const { state, hooks } = fakeUpstream(() => undefined);
    const stream = new SharedStream(hooks, 100);
    const q = stream.join('g', echo);
    expect(stream.joinable()).toBe(true);
    state.sink?.next({ data: { ticks: 1 } });
    expect(await take(q, 1)).toEqual([{ ran: { ticks: 1 } }]);
    expect(stream.joinable()).toBe(false);
  });

  it('closes the upstream as soon as the last subscriber leaves, even while a run is in flight', async () => {
    const { state, hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const { run, pending } = manualRun();
    const a = stream.join('g', run);
    const b = stream.join('h', run);
    emit('a', 1);
    await flush();
    expect(pending).toHaveLength(2);
    await a.return?.();
    expect(state.closed).toBe(0);
    await b.return?.();
    expect(state.closed).toBe(1);
    expect(state.ended).toBe(1);
    expect(stream.joinable()).toBe(false);
    // the in-flight runs finish into nothing; later upstream events are ignored
    for (const p of pending) p.resolve();
    emit('a', 2);
    await flush();
    expect(pending).toHaveLength(2);
    expect(await a.next()).toEqual({ done: true, value: undefined });
    expect(await b.next()).toEqual({ done: true, value: undefined });
  });

  it('fails a subscriber that falls too far behind with SUBSCRIPTION_OVERFLOW, and keeps the others', async () => {
    const { state, hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 3);
    const slow = stream.join('g', echo);
    const fast = stream.join('h', echo);
    const fastGot: unknown[] = [];
    const reading = (async () => {
      for await (const e of fast) {
        fastGot.push(e.data);
        if (fastGot.length === 5) break;
      }
    })();
    for (let v = 1; v <= 5; v++) emit('a', v);
    await reading;
    expect(fastGot).toHaveLength(5);
    await expect(slow.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
    // both gone now (fast left by break): the upstream is closed
    expect(state.closed).toBe(1);
  });

  it('on upstream failure delivers queued events, then the failure, then completes every subscriber', async () => {
    const { state, hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const a = stream.join('g', echo);
    const b = stream.join('h', echo);
    emit('a', 1);
    state.sink?.error(new Error('boom'));
    for (const q of [a, b]) {
      expect(await take(q, 1)).toEqual([ran('a', 1)]);
      const failure = await q.next();
      expect(failure.value).toEqual({ data: null, errors: [{ message: 'failed: Error: boom' }] });
      expect(await q.next()).toEqual({ done: true, value: undefined });
    }
    expect(state.ended).toBe(1);
    expect(stream.joinable()).toBe(false);
    emit('a', 2);
    await flush();
    expect(state.ended).toBe(1);
  });

  it('on upstream completion delivers queued events then completes, with no error', async () => {
    const { state, hooks, emit } = fakeUpstream();
    const stream = new SharedStream(hooks, 100);
    const a = stream.join('g', echo);
    emit('a', 1);
    state.sink?.complete();
    expect(await take(a, 1)).toEqual([ran('a', 1)]);
    expect(await a.next()).toEqual({ done: true, value: undefined });
    expect(state.ended).toBe(1);
    expect(state.closed).toBe(0);
  });
});
