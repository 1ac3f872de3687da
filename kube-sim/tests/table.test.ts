import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeObject, type KubeSim } from '../src/index.ts';
import { humanDuration } from '../src/table/format.ts';
import { compileJsonPath } from '../src/table/jsonPath.ts';
import { KubectlHarness, kubectlAvailable, query, waitFor } from './kubectlHarness.ts';
import { raw } from './support.ts';

/** Table output (Accept: application/json;as=Table;...): wire shapes, kubectl's columns, watches, CRD printer columns. */

const T0 = Date.parse('2026-11-26T10:00:00Z');
const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const hasKubectl = await kubectlAvailable();

const SEED: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      nodeName: 'sim-node-1',
      containers: [
        { name: 'app', image: 'nginx:1.27' },
        { name: 'side', image: 'envoy:1.30' },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.244.0.7',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 2,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: '2026-11-26T09:58:00Z' } },
        },
        { name: 'side', ready: true, restartCount: 0, state: { running: {} } },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-2', namespace: 'shop', labels: { app: 'web' } },
    spec: { nodeName: 'sim-node-1', containers: [{ name: 'app', image: 'nginx:1.27' }] },
    status: {
      phase: 'Pending',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'shop' },
    data: { a: '1', b: '2' },
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          additionalPrinterColumns: [
            { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
            { name: 'Color', type: 'string', jsonPath: '.spec.color', description: 'the paint' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Owner', type: 'string', jsonPath: '.spec.owner', priority: 1 },
          ],
        },
      ],
    },
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gizmos.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Cluster',
      names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  },
  {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1', namespace: 'shop' },
    spec: { size: 3, color: 'red', owner: 'ann' },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  },
  {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w2', namespace: 'shop' },
    spec: { size: 7 },
  },
  { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g1' } },
];

interface Table {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions:
    { name: string; type: string; format: string; description: string; priority: number }[] | null;
  rows: {
    cells: unknown[];
    object: { kind?: string; apiVersion?: string; metadata?: { name?: string } } | null;
  }[];
}

const header = (out: string): string[] => (out.split('\n')[0] ?? '').trim().split(/\s{2,}/);
/** the row of kubectl's output whose first cell is `name`, split on runs of 2+ spaces */
const row = (out: string, name: string): string[] | undefined =>
  out
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/))
    .find((r) => r[0] === name);

describe('Table output on the wire', () => {
  let sim: KubeSim;
  let now = T0;

  beforeAll(async () => {
    sim = await createKubeSim({ seed: SEED, now: () => now, controllers: false });
    now = T0 + 3 * 60_000 + 2_000;
  });
  afterAll(async () => {
    await sim.close();
  });

  const get = (path: string, accept = TABLE) => raw(sim, 'GET', path, { headers: { Accept: accept } });

  it('answers a list with a meta.k8s.io/v1 Table: columns, cells and PartialObjectMetadata rows', async () => {
    const r = await get('/api/v1/namespaces/shop/pods');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const t = r.json as Table;
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata.resourceVersion).toBe(String(sim.cluster().store.resourceVersion));
    expect(t.columnDefinitions?.map((c) => `${c.name}:${c.type}:${c.priority}`)).toEqual([
      'Name:string:0',
      'Ready:string:0',
      'Status:string:0',
      'Restarts:string:0',
      'Age:string:0',
      'IP:string:1',
      'Node:string:1',
      'Nominated Node:string:1',
      'Readiness Gates:string:1',
    ]);
    expect(t.columnDefinitions?.[0]).toMatchObject({ format: 'name' });
    expect(t.rows.map((x) => x.cells)).toEqual([
      ['web-1', '2/2', 'Running', '2 (5m2s ago)', '3m2s', '10.244.0.7', 'sim-node-1', '<none>', '<none>'],
      ['web-2', '0/1', 'ImagePullBackOff', '0', '3m2s', '<none>', 'sim-node-1', '<none>', '<none>'],
    ]);
    expect(t.rows[0]?.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
    });
    expect(t.rows[0]?.object).not.toHaveProperty('spec');
  });

  it('honours includeObject, meta.k8s.io/v1beta1, and plain JSON when the client prefers it', async () => {
    const full = (await get('/api/v1/namespaces/shop/pods?includeObject=Object')).json as Table;
    expect(full.rows[0]?.object).toMatchObject({
      kind: 'Pod',
      apiVersion: 'v1',
      spec: { nodeName: 'sim-node-1' },
    });
    const none = (await get('/api/v1/namespaces/shop/pods?includeObject=None')).json as Table;
    expect(none.rows[0]?.object).toBeNull();
    const bad = await get('/api/v1/namespaces/shop/pods?includeObject=Everything');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      message: `Unable to convert to Table as requested: includeObject: Invalid value: "Everything": must be 'Metadata', 'Object', 'None', or empty`,
    });
    const beta = (
      await get('/api/v1/namespaces/shop/pods', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io')
    ).json as Table;
    expect(beta.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect((beta.rows[0]?.object as { apiVersion: string }).apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(((await get('/api/v1/namespaces/shop/pods', 'application/json')).json as Table).kind).toBe(
      'PodList',
    );
    // an unknown Table version is skipped in favour of the next acceptable range
    const other = await get(
      '/api/v1/namespaces/shop/pods',
      'application/json;as=Table;v=v9;g=meta.k8s.io,*/*',
    );
    expect((other.json as Table).kind).toBe('PodList');
  });

  it('answers a GET of one object with a one-row Table carrying its resourceVersion', async () => {
    const r = await get('/apis/apps/v1/namespaces/shop/deployments/web');
    const t = r.json as Table;
    expect(t.kind).toBe('Table');
    expect(t.metadata.resourceVersion).toBe(
      sim.cluster().store.get('deployments.apps', 'shop', 'web')?.metadata.resourceVersion,
    );
    expect(t.columnDefinitions?.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(t.rows).toEqual([
      {
        cells: ['web', '2/3', 3, 2, '3m2s', 'app', 'nginx:1.27', 'app=web'],
        object: expect.objectContaining({ kind: 'PartialObjectMetadata' }) as unknown,
      },
    ]);
    expect((await get('/apis/apps/v1/namespaces/shop/deployments/nope')).status).toBe(404);
  });

  it('CRD types print their additionalPrinterColumns; without any, Name and Age; kinds without a printer, Created At', async () => {
    const w = (await get('/apis/example.com/v1/namespaces/shop/widgets')).json as Table;
    expect(w.columnDefinitions).toEqual([
      expect.objectContaining({ name: 'Name', type: 'string', format: 'name' }),
      {
        name: 'Size',
        type: 'integer',
        format: '',
        priority: 0,
        description: expect.stringContaining('.spec.size'),
      },
      { name: 'Color', type: 'string', format: '', priority: 0, description: 'the paint' },
      expect.objectContaining({ name: 'Ready', type: 'string' }),
      expect.objectContaining({ name: 'Age', type: 'date' }),
      expect.objectContaining({ name: 'Owner', priority: 1 }),
    ]);
    expect(w.rows.map((x) => x.cells)).toEqual([
      ['w1', 3, 'red', 'True', '3m2s', 'ann'],
      ['w2', 7, null, null, '3m2s', null],
    ]);
    const g = (await get('/apis/example.com/v1/gizmos')).json as Table;
    expect(g.columnDefinitions?.map((c) => `${c.name}:${c.type}`)).toEqual(['Name:string', 'Age:date']);
    expect(g.rows[0]?.cells).toEqual(['g1', '3m2s']);
    const crds = (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).json as Table;
    expect(crds.columnDefinitions?.map((c) => `${c.name}:${c.type}`)).toEqual([
      'Name:string',
      'Created At:date',
    ]);
    expect(crds.rows.map((x) => x.cells)).toContainEqual(['widgets.example.com', '2026-11-26T10:00:00Z']);
  });

  it('sends each watch event as a one-row Table, with the column definitions on the first event only', async () => {
    const { request } = await import('node:https');
    const c = sim.cluster();
    const rv = c.store.resourceVersion;
    const lines: string[] = [];
    let buf = '';
    const req = request(
      new URL(`/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=${rv}`, c.url),
      { headers: { Authorization: `Bearer ${c.adminToken}`, Accept: TABLE }, ca: sim.caPem },
      (res) =>
        res.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          lines.push(...parts);
        }),
    );
    req.end();
    await waitFor('the watch to start', () => c.store.watcherCount() > 0);
    sim.apply([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'shop' }, data: {} },
    ]);
    await raw(sim, 'DELETE', '/api/v1/namespaces/shop/configmaps/settings');
    await waitFor('two events', () => lines.length >= 2);
    req.destroy();
    const events = lines.map((l) => JSON.parse(l) as { type: string; object: Table });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    expect(events[0]?.object.kind).toBe('Table');
    expect(events[0]?.object.columnDefinitions?.map((d) => d.name)).toEqual(['Name', 'Data', 'Age']);
    expect(events[0]?.object.rows[0]?.cells).toEqual(['new', 0, '0s']);
    expect(events[1]?.object.columnDefinitions).toBeNull();
    expect(events[1]?.object.rows[0]?.cells).toEqual(['settings', 2, '3m2s']);
    expect(events[1]?.object.metadata.resourceVersion).toBe(String(c.store.resourceVersion));
  });

  it('formats ages and evaluates printer-column paths as the apiserver does', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [-1500, '0s'],
      [-3000, '<invalid>'],
      [5 * s, '5s'],
      [119 * s, '119s'],
      [182 * s, '3m2s'],
      [600 * s, '10m'],
      [3 * 3600 * s + 5 * 60 * s, '3h5m'],
      [30 * 3600 * s, '30h'],
      [50 * 3600 * s, '2d2h'],
      [10 * 86400 * s, '10d'],
      [3 * 365 * 86400 * s + 4 * 86400 * s, '3y4d'],
      [9 * 365 * 86400 * s, '9y'],
    ];
    for (const [ms, text] of cases) expect(humanDuration(ms)).toBe(text);
    const obj = {
      spec: {
        items: [
          { name: 'a', n: 1 },
          { name: 'b', n: 2 },
        ],
        'odd-key': { x: true },
      },
    };
    expect(compileJsonPath('.spec.items[*].name')?.(obj)).toEqual(['a', 'b']);
    expect(compileJsonPath('.spec.items[-1].n')?.(obj)).toEqual([2]);
    expect(compileJsonPath(".spec['odd-key'].x")?.(obj)).toEqual([true]);
    expect(compileJsonPath('.spec.items[?(@.n > 1)].name')?.(obj)).toEqual(['b']);
    expect(compileJsonPath('..name')?.(obj)).toEqual(['a', 'b']);
    expect(compileJsonPath('.spec.items[')).toBeUndefined();
  });
});

describe.skipIf(!hasKubectl)('kubectl get prints the server-side columns', () => {
  let h: KubectlHarness;
  let now = T0;

  beforeAll(async () => {
    h = await KubectlHarness.start({ seed: SEED, now: () => now, controllers: false });
    now = T0 + 3 * 60_000 + 2_000;
  });
  afterAll(async () => {
    await h.close();
  });

  it('pods: NAME READY STATUS RESTARTS AGE, and -o wide adds IP NODE NOMINATED NODE READINESS GATES', async () => {
    const mark = h.mark();
    const out = await h.ok(['get', 'pods', '-n', 'shop']);
    expect(header(out)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(row(out, 'web-1')).toEqual(['web-1', '2/2', 'Running', '2 (5m2s ago)', '3m2s']);
    expect(row(out, 'web-2')).toEqual(['web-2', '0/1', 'ImagePullBackOff', '0', '3m2s']);
    const list = h.requestsSince(mark).find((e) => e.path === '/api/v1/namespaces/shop/pods');
    expect(list?.accept).toContain('as=Table');
    const wide = await h.ok(['get', 'pods', '-n', 'shop', '-o', 'wide']);
    expect(header(wide)).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(row(wide, 'web-1')?.slice(5)).toEqual(['10.244.0.7', 'sim-node-1', '<none>', '<none>']);
    const one = await h.ok(['get', 'pod', 'web-2', '-n', 'shop']);
    expect(one.trim().split('\n')).toHaveLength(2);
    expect(row(one, 'web-2')?.[2]).toBe('ImagePullBackOff');
    const all = await h.ok(['get', 'pods', '-A']);
    expect(header(all)).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  });

  it('nodes, deployments and namespaces print their own columns', async () => {
    const nodes = await h.ok(['get', 'nodes']);
    expect(header(nodes)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    const node = row(nodes, 'sim-node-1');
    expect(node?.slice(0, 4)).toEqual(['sim-node-1', 'Ready', '<none>', '3m2s']);
    expect(node?.[4]).toMatch(/^v1\.\d+/);
    const wideNodes = await h.ok(['get', 'nodes', '-o', 'wide']);
    expect(header(wideNodes).slice(5)).toEqual([
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    const deploy = await h.ok(['get', 'deploy', '-n', 'shop']);
    expect(header(deploy)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row(deploy, 'web')).toEqual(['web', '2/3', '3', '2', '3m2s']);
    const wideDeploy = await h.ok(['get', 'deploy', '-n', 'shop', '-o', 'wide']);
    expect(row(wideDeploy, 'web')?.slice(5)).toEqual(['app', 'nginx:1.27', 'app=web']);
    const ns = await h.ok(['get', 'ns']);
    expect(header(ns)).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(row(ns, 'shop')?.slice(0, 2)).toEqual(['shop', 'Active']);
    const cm = await h.ok(['get', 'cm', '-n', 'shop']);
    expect(header(cm)).toEqual(['NAME', 'DATA', 'AGE']);
    expect(row(cm, 'settings')).toEqual(['settings', '2', '3m2s']);
    const roles = await h.ok(['get', 'clusterroles']);
    expect(header(roles)).toEqual(['NAME', 'CREATED AT']);
  });

  it('a CRD with additionalPrinterColumns prints them, -o wide adds the priority ones', async () => {
    const out = await h.ok(['get', 'widgets', '-n', 'shop']);
    expect(header(out)).toEqual(['NAME', 'SIZE', 'COLOR', 'READY', 'AGE']);
    expect(row(out, 'w1')).toEqual(['w1', '3', 'red', 'True', '3m2s']);
    // cells the path finds nothing for are null on the wire, and kubectl leaves them blank
    expect(out.split('\n').find((l) => l.startsWith('w2 '))).toMatch(/^w2\s+7\s+3m2s$/);
    const wide = await h.ok(['get', 'wdg', '-n', 'shop', '-o', 'wide']);
    expect(header(wide)).toEqual(['NAME', 'SIZE', 'COLOR', 'READY', 'AGE', 'OWNER']);
    expect(row(wide, 'w1')?.[5]).toBe('ann');
    const gizmos = await h.ok(['get', 'gizmos']);
    expect(header(gizmos)).toEqual(['NAME', 'AGE']);
    expect(row(gizmos, 'g1')).toEqual(['g1', '3m2s']);
  });

  it('get -w prints each event as a row under the one header', async () => {
    const mark = h.mark();
    const w = h.spawn(['get', 'configmaps', '-n', 'shop', '-w']);
    await w.waitForLine('the listed config map', (l) => l.startsWith('settings '));
    await waitFor('the watch', () =>
      h
        .requestsSince(mark)
        .find((e) => e.path === '/api/v1/namespaces/shop/configmaps' && query(e).get('watch')),
    );
    h.sim.apply([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'fresh', namespace: 'shop' },
        data: { k: 'v' },
      },
    ]);
    await w.waitForLine('the new config map', (l) => l.startsWith('fresh '));
    h.sim.apply([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'fresh', namespace: 'shop' },
        data: { k: 'v', l: 'w' },
      },
    ]);
    await w.waitForLine('the changed config map', (l) => /^fresh\s+2\s/.test(l));
    await w.stop();
    expect(w.lines().filter((l) => l.startsWith('NAME'))).toEqual(['NAME       DATA   AGE']);
    expect(row(w.stdout, 'fresh')).toEqual(['fresh', '1', '0s']);
  });
});
