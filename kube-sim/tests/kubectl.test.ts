import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeObject, RequestLogEntry } from '../src/index.ts';
import {
  column,
  KubectlHarness,
  kubectlAvailable,
  only,
  query,
  requestsTo,
  waitFor,
} from './kubectlHarness.ts';

/**
 * The real kubectl (v1.20 to v1.32) against kube-sim: reads, discovery, watches and bad input.
 * Writes are in kubectlWrites.test.ts.
 */

const hasKubectl = await kubectlAvailable();

const pod = (namespace: string, name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

const SEED: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch-a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch-b' } },
  pod('default', 'web-1', { app: 'web', tier: 'front' }),
  pod('default', 'web-2', { app: 'web' }),
  pod('default', 'db-1', { app: 'db' }),
  pod('other', 'job-1', { app: 'batch' }),
  pod('watch-a', 'watch-0', { app: 'watched' }),
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'default' },
    data: { a: '1' },
  },
];

/**
 * Discovery as either kubectl does it: /api and /apis, then every group-version when the server answers with
 * plain (non-aggregated) discovery, which is what kube-sim serves.
 */
function expectDiscovery(entries: RequestLogEntry[]): void {
  const api = requestsTo(entries, 'GET', '/api');
  const apis = requestsTo(entries, 'GET', '/apis');
  expect(api.length).toBeGreaterThan(0);
  expect(apis.length).toBeGreaterThan(0);
  for (const e of [...api, ...apis]) {
    expect(e.status).toBe(200);
    expect(e.accept).toContain('application/json');
  }
  const perGroupVersion = requestsTo(entries, 'GET', '/api/v1');
  if (perGroupVersion.length === 0) {
    // Only a client that asked for aggregated discovery may skip the per-group-version requests.
    expect(api[0]?.accept).toContain('as=APIGroupDiscoveryList');
  } else {
    expect(requestsTo(entries, 'GET', '/apis/apps/v1').length).toBeGreaterThan(0);
  }
}

describe.skipIf(!hasKubectl)('kubectl against kube-sim: reads', () => {
  let h: KubectlHarness;

  beforeAll(async () => {
    // API semantics only: no controllers, so the seeded Deployment makes no pods and nothing writes behind kubectl
    h = await KubectlHarness.start({ seed: SEED, controllers: false });
  });

  afterAll(async () => {
    await h.close();
  });

  describe('kubectl get', () => {
    it('lists the pods of the default namespace, asking for a Table with limit=500', async () => {
      const mark = h.mark();
      const out = await h.ok(['get', 'pods']);
      expect(column(out).sort()).toEqual(['db-1', 'web-1', 'web-2']);
      expect(out.split('\n')[0]).toMatch(/^NAME\s/);
      const log = h.requestsSince(mark);
      expectDiscovery(log);
      const list = only(log, 'GET', '/api/v1/namespaces/default/pods');
      expect(list.status).toBe(200);
      expect(query(list).get('limit')).toBe('500');
      expect(list.accept).toContain('as=Table');
      expect(list.user).toBe('kube-sim-admin');
    });

    it('lists cluster-scoped nodes', async () => {
      const mark = h.mark();
      const out = await h.ok(['get', 'nodes']);
      expect(column(out)).toEqual(['sim-node-1']);
      expect(requestsTo(h.requestsSince(mark), 'GET', '/api/v1/nodes')).toHaveLength(1);
    });

    it('lists another namespace with -n, and all namespaces with -A', async () => {
      let mark = h.mark();
      expect(column(await h.ok(['get', 'pods', '-n', 'other']))).toEqual(['job-1']);
      expect(requestsTo(h.requestsSince(mark), 'GET', '/api/v1/namespaces/other/pods')).toHaveLength(1);

      mark = h.mark();
      const out = await h.ok(['get', 'pods', '-A']);
      expect(out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s/);
      const rows = column(out, 0).map((ns, i) => `${ns}/${column(out, 1)[i] ?? ''}`);
      expect(rows).toEqual(
        expect.arrayContaining([
          'default/web-1',
          'default/web-2',
          'default/db-1',
          'other/job-1',
          'watch-a/watch-0',
        ]),
      );
      const all = only(h.requestsSince(mark), 'GET', '/api/v1/pods');
      expect(all.status).toBe(200);
      expect(query(all).get('limit')).toBe('500');
    });

    it('filters with -l: equality and set-based selectors are sent as labelSelector', async () => {
      let mark = h.mark();
      expect(column(await h.ok(['get', 'pods', '-l', 'app=web'])).sort()).toEqual(['web-1', 'web-2']);
      let list = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(query(list).get('labelSelector')).toBe('app=web');

      mark = h.mark();
      const out = await h.ok(['get', 'pods', '-l', 'app in (web, db),tier!=front']);
      expect(column(out).sort()).toEqual(['db-1', 'web-2']);
      list = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(query(list).get('labelSelector')).toBe('app in (web, db),tier!=front');

      const none = await h.run(['get', 'pods', '-l', 'app=nothing']);
      expect(none.code).toBe(0);
      expect(none.stdout).toBe('');
      expect(none.stderr).toContain('No resources found in default namespace.');
    });

    it('prints -o json, -o jsonpath and -o name', async () => {
      const mark = h.mark();
      const json = JSON.parse(await h.ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
        kind: string;
        items: KubeObject[];
      };
      expect(json.kind).toBe('List');
      expect(json.items.map((p) => `${String(p.kind)}/${p.metadata.name ?? ''}`).sort()).toEqual([
        'Pod/web-1',
        'Pod/web-2',
      ]);
      const stored = h.stored('pods', 'default', 'web-1');
      const web1 = json.items.find((p) => p.metadata.name === 'web-1');
      expect(web1?.metadata.uid).toBe(stored?.metadata.uid);
      expect(web1?.metadata.resourceVersion).toBe(stored?.metadata.resourceVersion);
      // -o json asks for plain objects, not a Table
      const list = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(list.accept).not.toContain('as=Table');

      const names = await h.ok(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}']);
      expect(names.split(' ').sort()).toEqual(['db-1', 'web-1', 'web-2']);
      const image = await h.ok(['get', 'pod', 'web-1', '-o', 'jsonpath={.spec.containers[0].image}']);
      expect(image).toBe('nginx:1.25');
      expect((await h.ok(['get', 'pods', '-n', 'other', '-o', 'name'])).trim()).toBe('pod/job-1');
    });

    it('filters with --field-selector, and pages with --chunk-size (limit and continue)', async () => {
      let mark = h.mark();
      expect(column(await h.ok(['get', 'pods', '--field-selector', 'metadata.name=db-1']))).toEqual(['db-1']);
      const list = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(query(list).get('fieldSelector')).toBe('metadata.name=db-1');

      const bad = await h.run(['get', 'pods', '--field-selector', 'spec.bogus=x']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('field label not supported: spec.bogus');

      mark = h.mark();
      const out = await h.ok(['get', 'pods', '--chunk-size=1', '-o', 'name']);
      expect(out.trim().split('\n')).toEqual(['pod/db-1', 'pod/web-1', 'pod/web-2']);
      const pages = requestsTo(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(pages.map((e) => query(e).get('limit'))).toEqual(['1', '1', '1']);
      expect(pages[0] && query(pages[0]).get('continue')).toBeNull();
      for (const page of pages.slice(1)) expect(query(page).get('continue')).toMatch(/^[A-Za-z0-9_-]+$/);
    });

    it('gets one object by name, and a missing one is NotFound', async () => {
      const mark = h.mark();
      expect(await h.ok(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.labels.tier}'])).toBe('front');
      expect(only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods/web-1').status).toBe(200);

      const missing = await h.run(['get', 'pod', 'nope']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
    });

    it('resolves short names: po, deploy, cm', async () => {
      const mark = h.mark();
      expect(column(await h.ok(['get', 'po'])).sort()).toEqual(['db-1', 'web-1', 'web-2']);
      expect(column(await h.ok(['get', 'deploy']))).toEqual(['web']);
      expect(column(await h.ok(['get', 'cm']))).toEqual(['settings']);
      const log = h.requestsSince(mark);
      expect(requestsTo(log, 'GET', '/api/v1/namespaces/default/pods')).toHaveLength(1);
      expect(requestsTo(log, 'GET', '/apis/apps/v1/namespaces/default/deployments')).toHaveLength(1);
      expect(requestsTo(log, 'GET', '/api/v1/namespaces/default/configmaps')).toHaveLength(1);
    });

    it('get all lists the types in the "all" category, and nothing else', async () => {
      const mark = h.mark();
      const out = await h.ok(['get', 'all']);
      const names = column(out);
      expect(names).toEqual(
        expect.arrayContaining([
          'pod/web-1',
          'pod/web-2',
          'pod/db-1',
          'service/kubernetes',
          'deployment.apps/web',
        ]),
      );
      expect(names.some((n) => n.startsWith('configmap'))).toBe(false);
      const paths = h
        .requestsSince(mark)
        .filter(
          (e) => e.method === 'GET' && e.path.startsWith('/api') && e.path.includes('/namespaces/default/'),
        )
        .map((e) => e.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/v1/namespaces/default/pods',
          '/api/v1/namespaces/default/services',
          '/apis/apps/v1/namespaces/default/deployments',
        ]),
      );
      expect(paths).not.toContain('/api/v1/namespaces/default/configmaps');
      expect(paths).not.toContain('/api/v1/namespaces/default/secrets');
    });
  });

  describe('kubectl api-resources', () => {
    const row = (out: string, name: string): string[] | undefined =>
      out
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((r) => r[0] === name);

    it('lists built-in resources with short names, group-versions and kinds, without subresources', async () => {
      const mark = h.mark();
      const out = await h.ok(['api-resources']);
      expect(out.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
      expect(row(out, 'pods')).toEqual(['pods', 'po', 'v1', 'true', 'Pod']);
      expect(row(out, 'deployments')).toEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
      expect(row(out, 'nodes')).toEqual(['nodes', 'no', 'v1', 'false', 'Node']);
      expect(out).not.toContain('pods/log');
      expect(out).not.toContain('deployments/scale');
      expectDiscovery(h.requestsSince(mark));
    });

    it('shows a CRD-served kind once it is registered (with a fresh discovery cache)', async () => {
      const before = await h.ok(['api-resources']);
      expect(row(before, 'gadgets')).toBeUndefined();

      await h.ok([
        'apply',
        '--validate=false',
        '-f',
        await h.manifest('gadget-crd.yaml', {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'gadgets.example.com' },
          spec: {
            group: 'example.com',
            scope: 'Cluster',
            names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', shortNames: ['gdt'] },
            versions: [
              {
                name: 'v1alpha1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            ],
          },
        }),
      ]);

      const mark = h.mark();
      const after = await h.ok(['api-resources']);
      expect(row(after, 'gadgets')).toEqual(['gadgets', 'gdt', 'example.com/v1alpha1', 'false', 'Gadget']);
      const log = h.requestsSince(mark);
      if (requestsTo(log, 'GET', '/api/v1').length > 0) {
        expect(requestsTo(log, 'GET', '/apis/example.com/v1alpha1')[0]?.status).toBe(200);
      }
      const groups = await h.ok(['api-resources', '--api-group=example.com', '-o', 'name']);
      expect(groups.trim()).toBe('gadgets.example.com');
      const none = await h.run(['get', 'gdt']);
      expect(none.code).toBe(0);
      expect(none.stderr).toContain('No resources found');
    });
  });

  describe('kubectl get -w', () => {
    /** wait until the simulator has logged a watch request on `path` after `mark` */
    const watchStarted = (mark: number, path: string): Promise<RequestLogEntry> =>
      waitFor(`a watch on ${path}`, () =>
        h.requestsSince(mark).find((e) => e.path === path && query(e).get('watch') === 'true'),
      );

    it('prints the initial list, then every matching object that is added or changed', async () => {
      const mark = h.mark();
      const w = h.spawn(['get', 'pods', '-n', 'watch-a', '-l', 'app=watched', '-w']);
      await w.waitForLine('the initial pod', (l) => l.startsWith('watch-0 '));
      const watch = await watchStarted(mark, '/api/v1/namespaces/watch-a/pods');
      expect(watch.status).toBe(200);
      expect(query(watch).get('labelSelector')).toBe('app=watched');
      // listed first, then watched from the list's resourceVersion (nothing was written in between)
      const list = h
        .requestsSince(mark)
        .find((e) => e.path === '/api/v1/namespaces/watch-a/pods' && query(e).get('watch') === null);
      expect(list?.seq).toBeLessThan(watch.seq);
      expect(query(watch).get('resourceVersion')).toBe(String(h.cluster.store.resourceVersion));

      h.sim.apply([
        pod('watch-a', 'ignored-1', { app: 'other' }),
        pod('watch-a', 'watch-1', { app: 'watched' }),
      ]);
      await w.waitForLine('the new pod', (l) => l.startsWith('watch-1 '));

      // a label change that makes a pod match shows it; kubectl itself patches it
      await h.ok(['label', 'pod', 'ignored-1', '-n', 'watch-a', 'app=watched', '--overwrite']);
      await w.waitForLine('the relabelled pod', (l) => l.startsWith('ignored-1 '));
      expect(w.running).toBe(true);
      await w.stop();
      // each pod shows up once; the non-matching pod only after it was relabelled
      const names = column(w.stdout);
      expect(names.filter((n) => n === 'watch-1')).toHaveLength(1);
      expect(names.filter((n) => n === 'ignored-1')).toHaveLength(1);
      expect(names.indexOf('ignored-1')).toBeGreaterThan(names.indexOf('watch-1'));
    });

    it('--output-watch-events shows ADDED, MODIFIED and DELETED for creates, patches and deletes', async () => {
      const mark = h.mark();
      const w = h.spawn(['get', 'configmaps', '-n', 'watch-b', '-w', '--output-watch-events']);
      await watchStarted(mark, '/api/v1/namespaces/watch-b/configmaps');

      h.sim.apply([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'live', namespace: 'watch-b' },
          data: { v: '1' },
        },
      ]);
      await w.waitForLine('ADDED live', (l) => /^ADDED\s+live\s/.test(l));
      await h.ok(['patch', 'configmap', 'live', '-n', 'watch-b', '--type=merge', '-p', '{"data":{"v":"2"}}']);
      await w.waitForLine('MODIFIED live', (l) => /^MODIFIED\s+live\s/.test(l));
      await h.ok(['delete', 'configmap', 'live', '-n', 'watch-b']);
      await w.waitForLine('DELETED live', (l) => /^DELETED\s+live\s/.test(l));
      await w.stop();

      const events = w
        .lines()
        .map((l) => l.split(/\s+/))
        .filter((r) => r[1] === 'live')
        .map((r) => r[0]);
      expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    });
  });

  describe('bad input', () => {
    it('a malformed label selector is a 400 from the server, and kubectl fails', async () => {
      const mark = h.mark();
      const r = await h.run(['get', 'pods', '-l', 'a in (b']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('unable to parse requirement');
      const list = only(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(list.status).toBe(400);
      expect(query(list).get('labelSelector')).toBe('a in (b');
    });

    it('a kubeconfig with a wrong token is Unauthorized', async () => {
      const bad = await h.kubeconfigWithToken('bad.kubeconfig', 'not-a-valid-token');
      const mark = h.mark();
      const raw = await h.run(['get', '--raw', '/api/v1/namespaces/default/pods'], { kubeconfig: bad });
      expect(raw.code).toBe(1);
      expect(raw.stderr).toContain('Unauthorized');
      const [get] = requestsTo(h.requestsSince(mark), 'GET', '/api/v1/namespaces/default/pods');
      expect(get?.status).toBe(401);
      expect(get?.user).toBe('');

      // Discovery fails first; kubectl 1.20 prints "(Unauthorized)", newer ones the client-go wording of a 401.
      const r = await h.run(['get', 'pods'], { kubeconfig: bad });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/,
      );
      const log = h.requestsSince(mark);
      expect(log.filter((e) => e.path === '/api' || e.path === '/apis').every((e) => e.status === 401)).toBe(
        true,
      );
      expect(log.some((e) => e.status === 200 && e.path.startsWith('/api'))).toBe(false);
    });
  });
});
