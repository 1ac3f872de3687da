import { describe, expect, it } from 'vitest';

import { ObjectStore, type WatchSink } from '../src/store.ts';
import type { StoredObject, WatchEventType } from '../src/types.ts';

/** The object store on its own: key order, namespace ranges, history window, owner index, fault hooks. */

let uid = 0;
function obj(namespace: string, name: string, extra: Partial<StoredObject['metadata']> = {}): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      uid: `uid-${++uid}`,
      resourceVersion: '',
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...extra,
    },
  };
}

function sink(gr: string): WatchSink & { got: string[] } {
  const got: string[] = [];
  return {
    gr,
    got,
    matches: () => true,
    send: (type: WatchEventType, o: StoredObject) =>
      got.push(`${type} ${o.metadata.name} ${o.metadata.resourceVersion}`),
    close: () => undefined,
  };
}

describe('ObjectStore', () => {
  it('lists in etcd key order and finds one namespace among similar names', () => {
    const s = new ObjectStore();
    for (const [ns, n] of [
      ['ab', 'x'],
      ['a', 'z'],
      ['a-b', 'y'],
      ['a', 'b'],
      ['b', 'a'],
    ] as const)
      s.commit('ADDED', 'configmaps', obj(ns, n));
    expect(s.list('configmaps').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'a-b/y',
      'a/b',
      'a/z',
      'ab/x',
      'b/a',
    ]);
    expect(s.list('configmaps', 'a').map((o) => o.metadata.name)).toEqual(['b', 'z']);
    expect(s.list('configmaps', 'a-b').map((o) => o.metadata.name)).toEqual(['y']);
    expect(s.list('configmaps', 'c')).toEqual([]);
  });

  it('keeps a bounded history: watches resume inside it and are refused before it', () => {
    const s = new ObjectStore({ historySize: 3 });
    const start = s.resourceVersion;
    for (let i = 0; i < 5; i++) s.commit('ADDED', 'configmaps', obj('n', `c${i}`));
    expect(s.oldestResumableRv).toBe(start + 2);
    expect(s.watch(sink('configmaps'), start + 1)).toBe(false);
    const w = sink('configmaps');
    expect(s.watch(w, start + 2)).toBe(true);
    expect(w.got).toEqual([`ADDED c2 ${start + 3}`, `ADDED c3 ${start + 4}`, `ADDED c4 ${start + 5}`]);
  });

  it('indexes owners by uid, and forgets them when the dependent changes', () => {
    const s = new ObjectStore();
    const owner = s.commit('ADDED', 'configmaps', obj('n', 'owner'));
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }];
    const dep = s.commit('ADDED', 'secrets', obj('n', 'dep', { ownerReferences: ref }));
    expect(s.dependentsOf(owner.metadata.uid).map((d) => `${d.gr} ${d.object.metadata.name}`)).toEqual([
      'secrets dep',
    ]);
    expect(s.getByUid(dep.metadata.uid)?.metadata.name).toBe('dep');
    s.commit('MODIFIED', 'secrets', { ...dep, metadata: { ...dep.metadata, ownerReferences: [] } });
    expect(s.dependentsOf(owner.metadata.uid)).toEqual([]);
    s.commit('DELETED', 'secrets', dep);
    expect(s.getByUid(dep.metadata.uid)).toBeUndefined();
  });

  it('dropNextEvents hides changes from watchers but keeps them in history', () => {
    const s = new ObjectStore();
    const rv = s.resourceVersion;
    const live = sink('configmaps');
    s.watch(live, rv);
    s.dropNextEvents(1);
    s.commit('ADDED', 'configmaps', obj('n', 'hidden'));
    s.commit('ADDED', 'configmaps', obj('n', 'seen'));
    expect(live.got).toEqual([`ADDED seen ${rv + 2}`]);
    const late = sink('configmaps');
    s.watch(late, rv);
    expect(late.got).toHaveLength(2);
  });

  it('expires list snapshots after their time to live and on compaction', () => {
    let now = 0;
    const s = new ObjectStore({ snapshotTtlMs: 1000, now: () => now });
    const snap = s.saveSnapshot([], 1);
    expect(s.getSnapshot(snap.id)).toBe(snap);
    now = 2000;
    expect(s.getSnapshot(snap.id)).toBeUndefined();
    const again = s.saveSnapshot([], 2);
    s.compact();
    expect(s.getSnapshot(again.id)).toBeUndefined();
  });
});
