import { describe, expect, it } from 'vitest';

import { type ChangeEvent, changeStream, type ObjectChange, objectsOf } from '../src/subgraph/index.ts';

interface Obj {
  name: string;
  v: number;
}

function source(initial: Obj[]) {
  const objects = new Map(initial.map((o) => [o.name, o]));
  const listeners = new Set<(c: ObjectChange<Obj>) => void>();
  return {
    list: () => [...objects.values()],
    subscribe(l: (c: ObjectChange<Obj>) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    listeners,
    set(o: Obj) {
      const type = objects.has(o.name) ? 'UPDATED' : 'ADDED';
      objects.set(o.name, o);
      for (const l of listeners) l({ type, object: o });
    },
    remove(name: string) {
      const o = objects.get(name);
      if (!o) return;
      objects.delete(name);
      for (const l of listeners) l({ type: 'REMOVED', object: o });
    },
  };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const brief = (e: ChangeEvent<Obj>): string => `${e.type} ${e.key}${e.object ? ` v${e.object.v}` : ''}`;

describe('changeStream', () => {
  it('sends the current objects, then additions, updates and removals, each with its key', async () => {
    const s = source([
      { name: 'a', v: 1 },
      { name: 'b', v: 1 },
    ]);
    const events = changeStream(s, { key: (o) => o.name, visible: () => true });
    s.set({ name: 'c', v: 1 });
    s.set({ name: 'a', v: 2 });
    s.remove('b');
    expect((await take(events, 5)).map(brief)).toEqual([
      'INITIAL a v1',
      'INITIAL b v1',
      'ADDED c v1',
      'UPDATED a v2',
      'REMOVED b',
    ]);
    await events.return?.();
    expect(s.listeners.size).toBe(0);
  });

  it('judges visibility at each event and when access changes: hiding is a REMOVED, showing an ADDED', async () => {
    const s = source([{ name: 'a', v: 1 }]);
    let allowed = new Set(['a']);
    const accessListeners = new Set<() => void>();
    const events = changeStream(s, {
      key: (o) => o.name,
      visible: (o) => allowed.has(o.name),
      accessChanged: (l) => {
        accessListeners.add(l);
        return () => accessListeners.delete(l);
      },
    });
    s.set({ name: 'hidden', v: 1 }); // not visible: nothing
    allowed = new Set(['hidden']);
    for (const l of accessListeners) l();
    s.remove('a'); // already hidden from this subscriber: nothing more
    expect((await take(events, 3)).map(brief)).toEqual(['INITIAL a v1', 'REMOVED a', 'ADDED hidden v1']);
    await events.return?.();
    expect(accessListeners.size).toBe(0);
  });

  it('filters by what the subscriber asked for; objectsOf drops the removals', async () => {
    const s = source([
      { name: 'a', v: 1 },
      { name: 'b', v: 1 },
    ]);
    const objects = objectsOf(
      changeStream(s, { key: (o) => o.name, wanted: (o) => o.name === 'b', visible: () => true }),
    );
    s.remove('b');
    s.set({ name: 'b', v: 3 });
    s.set({ name: 'a', v: 9 });
    expect(await take(objects, 2)).toEqual([
      { name: 'b', v: 1 },
      { name: 'b', v: 3 },
    ]);
    const pending = objects.next();
    await objects.return?.();
    expect(s.listeners.size).toBe(0);
    await expect(pending).resolves.toMatchObject({ done: true });
  });

  it('ends with SUBSCRIPTION_OVERFLOW when the subscriber falls too far behind', async () => {
    const s = source([]);
    const events = changeStream(s, { key: (o) => o.name, visible: () => true, bufferSize: 3 });
    for (let i = 0; i < 5; i++) s.set({ name: `o${i}`, v: 1 });
    await expect(take(events, 5)).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
  });
});
