import { describe, expect, it } from 'vitest';

import { mergeKeysFor, PatchError, strategicMergePatch, type MergeKeys } from '../src/strategicMerge.ts';

type Obj = Record<string, unknown>;

const POD = mergeKeysFor('', 'Pod');
const DEPLOYMENT = mergeKeysFor('apps', 'Deployment');
const CONFIGMAP = mergeKeysFor('', 'ConfigMap');
/** The schema of apimachinery's own fixtures (MergeItem), for cases taken from its patch_test.go. */
const FIXTURE: MergeKeys = new Map([
  ['mergingList', 'name'],
  ['mergingList[].mergingList', 'name'],
  ['mergingIntList', 'primitive-merge'],
  ['retainKeysMergingList', 'name'],
]);

const smp = (original: unknown, patch: unknown, keys: MergeKeys = POD): unknown =>
  strategicMergePatch(original, patch, keys);

/** `keyed('name', 1, {name: 2, value: 'b'})`: list elements, given by merge key value or in full. */
const keyed = (key: string, ...els: unknown[]): Obj[] =>
  els.map((el) => (typeof el === 'object' && el !== null ? (el as Obj) : { [key]: el }));
const names = (...els: unknown[]): Obj[] => keyed('name', ...els);
/** `env('A=1', 'B=2')`. */
const env = (...pairs: string[]): Obj[] =>
  pairs.map((p) => ({ name: p.split('=')[0], value: p.split('=')[1] }));
const pod = (...containers: unknown[]): Obj => ({ spec: { containers } });
const podTemplate = (...containers: unknown[]): Obj => ({ spec: { template: { spec: { containers } } } });
const list = (...els: unknown[]): Obj => ({ mergingList: names(...els) });
const ints = (...els: unknown[]): Obj => ({ mergingIntList: els });
const finalizers = (...f: string[]): Obj => ({ metadata: { finalizers: f } });

function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('mergeKeysFor', () => {
  it('covers pod specs wherever a kind embeds one', () => {
    const pod: Array<[string, string]> = [
      ['spec.containers', 'name'],
      ['spec.containers[].env', 'name'],
      ['spec.initContainers[].ports', 'containerPort'],
      ['spec.ephemeralContainers[].volumeMounts', 'mountPath'],
      ['spec.containers[].volumeDevices', 'devicePath'],
      ['spec.volumes', 'name'],
      ['spec.imagePullSecrets', 'name'],
      ['spec.hostAliases', 'ip'],
      ['status.conditions', 'type'],
    ];
    for (const [path, key] of pod) expect(POD.get(path)).toBe(key);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']) {
      expect(mergeKeysFor('apps', kind).get('spec.template.spec.containers[].env')).toBe('name');
      expect(mergeKeysFor('apps', kind).get('status.conditions')).toBe('type');
    }
    expect(mergeKeysFor('batch', 'Job').get('spec.template.spec.volumes')).toBe('name');
    expect(mergeKeysFor('batch', 'CronJob').get('spec.jobTemplate.spec.template.spec.containers')).toBe(
      'name',
    );
  });

  it('covers services, nodes and the metadata of every kind', () => {
    expect(mergeKeysFor('', 'Service').get('spec.ports')).toBe('port');
    expect(mergeKeysFor('', 'Node').get('status.addresses')).toBe('type');
    expect(mergeKeysFor('', 'Node').get('status.conditions')).toBe('type');
    for (const keys of [CONFIGMAP, mergeKeysFor('example.com', 'Widget'), DEPLOYMENT]) {
      expect(keys.get('metadata.ownerReferences')).toBe('uid');
      expect(keys.get('metadata.finalizers')).toBe('primitive-merge');
    }
  });

  it('leaves replace lists out', () => {
    for (const path of ['spec.tolerations', 'spec.containers[].envFrom', 'status.containerStatuses'])
      expect(POD.has(path)).toBe(false);
    expect(mergeKeysFor('', 'Service').has('status.loadBalancer.ingress')).toBe(false);
    expect(DEPLOYMENT.has('spec.containers')).toBe(false);
  });
});

describe('maps and scalars', () => {
  it('merges maps recursively, replaces scalars and deletes keys set to null', () => {
    const original = { metadata: { name: 'p', labels: { a: '1', b: '2' } }, spec: { nodeName: 'n1' } };
    const patch = { metadata: { labels: { b: null, c: '3' } }, spec: { nodeName: 'n2', priority: 5 } };
    const expected = {
      metadata: { name: 'p', labels: { a: '1', c: '3' } },
      spec: { nodeName: 'n2', priority: 5 },
    };
    expect(smp(original, patch)).toEqual(expected);
  });

  it('ignores nulls for absent keys, also inside new values, and replaces on a type change', () => {
    expect(smp({ a: 1 }, { b: null, c: { d: null, e: 'x' } })).toEqual({ a: 1, c: { e: 'x' } });
    expect(smp({ a: { b: 1 } }, { a: 'flat' })).toEqual({ a: 'flat' });
    expect(smp({ a: [1] }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('keeps a "__proto__" data key as data', () => {
    const out = smp(JSON.parse('{"data":{"a":"1"}}'), JSON.parse('{"data":{"__proto__":"x"}}')) as {
      data: Obj;
    };
    expect(Object.getPrototypeOf(out.data)).toBe(Object.prototype);
    expect(Object.entries(out.data)).toEqual([
      ['a', '1'],
      ['__proto__', 'x'],
    ]);
  });

  it('treats a null patch as empty and never mutates its inputs', () => {
    const original = deepFreeze(pod({ name: 'c', image: 'a', env: env('X=1') }, { name: 'd' }));
    const patch = deepFreeze(pod({ name: 'd', $patch: 'delete' }, { name: 'c', env: env('Y=2') }));
    const before = JSON.stringify([original, patch]);
    expect(smp(original, patch)).toEqual(pod({ name: 'c', image: 'a', env: env('Y=2', 'X=1') }));
    expect(JSON.stringify([original, patch])).toBe(before);
    expect(smp(original, null)).toEqual(original);
    expect(smp(original, null)).not.toBe(original);
  });
});

describe('keyed lists', () => {
  const a = { name: 'a', image: 'a:1', ports: keyed('containerPort', 80), env: env('X=1') };
  const b = { name: 'b', image: 'b:1' };

  it('merges containers by name: patched ones in place, new ones after the patched one', () => {
    const patch = pod({ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' });
    expect(smp(pod(a, b), patch)).toEqual(pod(a, { name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }));
  });

  it('merges env by name and ports by containerPort inside a container', () => {
    const ports = keyed(
      'containerPort',
      { containerPort: 443, name: 'https' },
      { containerPort: 80, protocol: 'TCP' },
    );
    const out = smp(pod(a, b), pod({ name: 'a', env: env('X=2', 'Y=y'), ports })) as {
      spec: { containers: Obj[] };
    };
    expect(out.spec.containers[0]?.['env']).toEqual(env('X=2', 'Y=y'));
    expect(out.spec.containers[0]?.['ports']).toEqual([ports[0], { containerPort: 80, protocol: 'TCP' }]);
    expect(out.spec.containers[1]).toEqual(b);
  });

  // apimachinery puts a new element that no live element anchors ahead of the server-only ones.
  it('merges nested containers[].env in a Deployment pod template, new entries first', () => {
    const deploy = podTemplate({ name: 'web', image: 'w', env: env('A=1') });
    const patch = podTemplate({ name: 'web', env: env('B=2') });
    expect(smp(deploy, patch, DEPLOYMENT)).toEqual(
      podTemplate({ name: 'web', image: 'w', env: env('B=2', 'A=1') }),
    );
  });

  it('keeps the patch order for patched elements (apimachinery: preserve the order from the patch)', () => {
    const patch = list({ name: 3, value: 'c' }, { name: 1, value: 'a' });
    const expected = list({ name: 2, value: 'b' }, { name: 3, value: 'c' }, { name: 1, value: 'a' });
    expect(smp(list(1, { name: 2, value: 'b' }, 3), patch, FIXTURE)).toEqual(expected);
  });

  it('deletes elements by key with $patch: delete, duplicates included', () => {
    const del = (name: number): Obj => ({ name, $patch: 'delete' });
    const original = list(1, 1, { name: 2, value: 'a' }, 3, 3);
    expect(smp(original, list(del(1), del(3), del(9)), FIXTURE)).toEqual(list({ name: 2, value: 'a' }));
  });

  it('replaces the whole list when an element is {$patch: replace}', () => {
    const patch = pod({ $patch: 'replace' }, { name: 'z', image: 'z', env: [{ name: 'E', value: null }] });
    expect(smp(pod(a, b), patch)).toEqual(pod({ name: 'z', image: 'z', env: [{ name: 'E' }] }));
    expect(smp(list(1, 2), list({ $patch: 'replace' }), FIXTURE)).toEqual(list());
  });

  it('replaces lists that have no merge key: tolerations, envFrom, args', () => {
    const spec = (v: string): Obj => ({
      tolerations: [{ key: v }],
      containers: [{ name: 'a', envFrom: [{ prefix: v }], args: [v] }],
    });
    expect(smp({ spec: spec('A') }, { spec: spec('B') })).toEqual({ spec: spec('B') });
  });

  it('merges ownerReferences by uid on any kind; drops $patch elements from lists the original lacks', () => {
    const refs = (...r: unknown[]): Obj => ({ metadata: { ownerReferences: keyed('uid', ...r) } });
    const patch = refs({ uid: 'u2', name: 'two' }, { uid: 'u1', name: 'uno' });
    expect(smp(refs({ uid: 'u1', name: 'one' }), patch, CONFIGMAP)).toEqual(patch);
    expect(smp({}, pod({ name: 'a' }, { name: 'gone', $patch: 'delete' }))).toEqual(pod({ name: 'a' }));
  });

  it('merges node conditions and addresses by type', () => {
    const status = (conditions: Obj[], addresses: Obj[]): Obj => ({ status: { conditions, addresses } });
    const ready = (s: string): Obj[] => [{ type: 'Ready', status: s }];
    const host = { type: 'Hostname', address: 'n' };
    const ip = { type: 'InternalIP', address: '10.0.0.1' };
    const out = smp(status(ready('False'), [host]), status(ready('True'), [ip]), mergeKeysFor('', 'Node'));
    expect(out).toEqual(status(ready('True'), [ip, host]));
  });
});

describe('primitive lists (finalizers)', () => {
  it('unions with the original, without duplicates, in apimachinery order', () => {
    expect(smp(finalizers('a', 'b'), finalizers('b', 'c'), CONFIGMAP)).toEqual(finalizers('a', 'b', 'c'));
    expect(smp(ints(1, 2, 3), ints(3, 1), FIXTURE)).toEqual(ints(2, 3, 1));
    // A value the live list lacks, at the head of the patch, goes first: so does kube-apiserver.
    expect(smp(finalizers('a', 'b'), finalizers('z'), CONFIGMAP)).toEqual(finalizers('z', 'a', 'b'));
  });

  it('removes values with $deleteFromPrimitiveList', () => {
    const patch = { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'x'] } };
    expect(smp(finalizers('a', 'b', 'c'), patch, CONFIGMAP)).toEqual(finalizers('a', 'c'));
    const absent = { '$deleteFromPrimitiveList/mergingIntList': [3] };
    expect(smp({ foo: ['bar'] }, absent, FIXTURE)).toEqual({ foo: ['bar'] });
  });
});

describe('map directives', () => {
  it('$patch: replace replaces the map, $patch: delete empties it (as apimachinery does)', () => {
    const original = { spec: { selector: { a: '1', b: '2' }, other: 1 } };
    const replaced = smp(original, { spec: { selector: { $patch: 'replace', c: '3' } } });
    expect(replaced).toEqual({ spec: { selector: { c: '3' }, other: 1 } });
    const deleted = smp(original, { spec: { selector: { $patch: 'delete' } } });
    expect(deleted).toEqual({ spec: { selector: {}, other: 1 } });
    expect(smp({ name: 1, value: 1 }, { other: 'a', $patch: 'replace' })).toEqual({ other: 'a' });
  });

  it('$retainKeys clears the keys it does not list', () => {
    const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };
    expect(smp(original, patch, DEPLOYMENT)).toEqual({ spec: { strategy: { type: 'Recreate' } } });
    const current = { retainKeysMergingList: names('bar', { name: 'foo', value: 'a', other: 'x' }) };
    const listPatch = { retainKeysMergingList: [{ $retainKeys: ['name', 'value'], name: 'foo' }] };
    const expected = { retainKeysMergingList: names('bar', { name: 'foo', value: 'a' }) };
    expect(smp(current, listPatch, FIXTURE)).toEqual(expected);
  });
});

describe('$setElementOrder', () => {
  const order = (els: Obj[]): Obj => ({ '$setElementOrder/mergingList': els });

  it('orders a list, keeping server-only items near their live neighbours', () => {
    expect(smp(list(1, 2, 7, 9, 8, 3, 4), order(names(2, 1, 4, 3)), FIXTURE)).toEqual(
      list(2, 1, 7, 9, 8, 4, 3),
    );
    const intOrder = { '$setElementOrder/mergingIntList': [2, 1, 4, 3] };
    expect(smp(ints(1, 2, 7, 9, 8, 3, 4), intOrder, FIXTURE)).toEqual(ints(2, 1, 7, 9, 8, 4, 3));
  });

  const del = { name: 1, $patch: 'delete' };
  it.each([
    ['add and delete', [1, 2, 4], [2, 3], [3, del], [2, 4, 3]],
    ['add and delete with conflict', [1, 4], [2, 3], [2, 3, del], [4, 2, 3]],
    ['add in front', [1, 2], [3, 1, 2], [3], [3, 1, 2]],
    ['delete and reorder', [3, 2, 1], [2, 3], [del], [2, 3]],
    ['a list the original lacks', undefined, [2, 1], [2, del, 1], [2, 1]],
  ])('matches apimachinery: %s', (_name, current, orderNames, patchList, expected) => {
    const original = current === undefined ? {} : list(...current);
    const patch = { ...order(names(...orderNames)), ...list(...patchList) };
    expect(smp(original, patch, FIXTURE)).toEqual(list(...expected));
  });

  it('orders primitive lists and applies deletions after', () => {
    const patch = {
      '$setElementOrder/mergingIntList': [4, 2, 1],
      ...ints(4),
      '$deleteFromPrimitiveList/mergingIntList': [3],
    };
    expect(smp(ints(1, 2, 3), patch, FIXTURE)).toEqual(ints(4, 2, 1));
    const front = { '$setElementOrder/mergingIntList': [3, 1, 2], ...ints(3) };
    expect(smp(ints(1, 2), front, FIXTURE)).toEqual(ints(3, 1, 2));
  });

  it('orders nested lists inside merged elements', () => {
    const current = list({ name: 1, other: 'a', ...list({ name: 2, value: 2 }) }, 2);
    const inner = { ...order(names(2, 1)), name: 1, ...list({ name: 1, value: 1 }) };
    const expected = list({ name: 1, other: 'a', ...list({ name: 2, value: 2 }, { name: 1, value: 1 }) }, 2);
    expect(smp(current, { ...order(names(1, 2)), mergingList: [inner] }, FIXTURE)).toEqual(expected);
  });

  it('rejects a patch list in another order', () => {
    const patch = { ...order(names(1, 2, 3)), ...list({ name: 3, value: 3 }, { name: 1, value: 1 }) };
    const err = patchError(() => smp(list(1, 3, 2), patch, FIXTURE));
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toContain("doesn't match $setElementOrder list");
  });
});

describe('what kubectl sends', () => {
  const lastApplied = { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Pod"}' };
  const c = { name: 'c', image: 'nginx:2', ports: keyed('containerPort', 80) };
  const live = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', annotations: { keep: 'me' }, finalizers: ['f'] },
    spec: { containers: [c], restartPolicy: 'Always' },
  };

  it('kubectl 1.20 apply on a Pod', () => {
    const patch = {
      metadata: { annotations: lastApplied },
      spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:3', name: 'c' }] },
    };
    expect(smp(live, patch)).toEqual({
      ...live,
      metadata: { ...live.metadata, annotations: { keep: 'me', ...lastApplied } },
      spec: { containers: [{ ...c, image: 'nginx:3' }], restartPolicy: 'Always' },
    });
  });

  it('kubectl 1.20 apply on a Deployment, adding a sidecar in front', () => {
    const side = { name: 'side', image: 'busybox' };
    const patch = podTemplate(side, { image: 'nginx:3', name: 'c' });
    const template = (patch['spec'] as { template: { spec: Obj } }).template.spec;
    template['$setElementOrder/containers'] = names('side', 'c');
    expect(smp(podTemplate(c), patch, DEPLOYMENT)).toEqual(podTemplate(side, { ...c, image: 'nginx:3' }));
  });
});

describe('errors', () => {
  const live = pod({ name: 'c', image: 'nginx' });

  it('a keyed element without its merge key', () => {
    const err = patchError(() => smp(live, pod({ image: 'httpd' })));
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe('map: map[image:httpd] does not contain declared merge key: name');
    const del = patchError(() => smp(live, pod({ $patch: 'delete' })));
    expect(del.message).toBe('map: map[$patch:delete] does not contain declared merge key: name');
  });

  it('unknown $patch values, in maps and in lists', () => {
    const err = patchError(() => smp({ a: { b: 1 } }, { a: { $patch: 'foo', c: 2 } }));
    expect(err).toMatchObject({
      reason: 'BadRequest',
      message: 'unknown patch type: foo in map: map[$patch:foo c:2]',
    });
    const inList = patchError(() => smp(live, pod({ name: 'c', $patch: 'bar' })));
    expect(inList.message).toBe('unknown patch type: bar in map: map[$patch:bar name:c]');
    const merge = patchError(() => smp(live, pod({ name: 'c', $patch: 'merge' })));
    expect(merge.message).toBe('merging lists cannot yet be specified in the patch');
  });

  it('malformed directives and documents', () => {
    const bad = (patch: unknown): string => patchError(() => smp({ a: [1] }, patch)).message;
    expect(bad({ $deleteFromPrimitiveList: [1] })).toBe('invalid patch format of primitive list');
    expect(bad({ $setElementOrder: [1] })).toBe('invalid patch format of setElementOrder list');
    expect(bad({ $retainKeys: 'a' })).toBe('invalid patch format of retainKeys');
    expect(bad({ $retainKeys: ['a'], b: 1 })).toBe('invalid patch format of retainKeys');
    expect(bad([{ op: 'add' }])).toBe(
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
  });

  it('list element types', () => {
    const nested = patchError(() => smp(ints([1]), ints([2]), FIXTURE));
    expect(nested).toMatchObject({ reason: 'Invalid', message: 'lists of lists are not supported' });
    const mixed = patchError(() => smp(ints(1), ints('a'), FIXTURE));
    expect(mixed.message).toBe('list element types are not identical: [[1] [a]]');
  });
});
