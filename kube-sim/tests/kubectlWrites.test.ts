import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeObject, RequestLogEntry, StoredObject } from '../src/index.ts';
import type { OwnerReference } from '../src/types.ts';
import { column, KubectlHarness, kubectlAvailable, only, query, waitFor } from './kubectlHarness.ts';

/** The real kubectl against kube-sim: apply, patch, delete, replace, CRDs, scale and namespaces. */

const hasKubectl = await kubectlAvailable();

const deployment = (name: string, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image }] },
    },
    ...extra,
  },
});

const configMap = (
  name: string,
  namespace = 'default',
  metadata: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...metadata },
  data: { a: '1' },
});

const WIDGET_CRD: KubeObject = {
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
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.selector',
          },
        },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer' },
                  replicas: { type: 'integer' },
                  color: { type: 'string', enum: ['red', 'green', 'blue'] },
                },
              },
              status: {
                type: 'object',
                properties: { replicas: { type: 'integer' }, selector: { type: 'string' } },
              },
            },
          },
        },
      },
    ],
  },
};

const widget = (
  name: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'default' },
  spec,
  ...extra,
});

/** kubectl 1.20 does GET then PUT on /scale; newer versions PATCH it with a merge patch */
function expectScaleWrite(entries: RequestLogEntry[], path: string): void {
  const writes = entries.filter((e) => e.path === path && (e.method === 'PATCH' || e.method === 'PUT'));
  expect(writes).toHaveLength(1);
  const [write] = writes;
  expect(write?.status).toBe(200);
  if (write?.method === 'PATCH') expect(write.contentType).toBe('application/merge-patch+json');
  else expect(entries.some((e) => e.method === 'GET' && e.path === path && e.status === 200)).toBe(true);
}

describe.skipIf(!hasKubectl)('kubectl against kube-sim: writes', () => {
  let h: KubectlHarness;

  beforeAll(async () => {
    // API semantics only: no controllers, so hand-made ReplicaSets and pods stay as written
    h = await KubectlHarness.start({ controllers: false });
  });

  afterAll(async () => {
    await h.close();
  });

  const storedDeployment = (name: string): KubeObject | undefined =>
    h.stored('deployments.apps', 'default', name);
  const imageOf = (d: KubeObject | undefined): unknown =>
    (d?.['spec'] as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec
      .containers[0]?.image;

  describe('kubectl apply', () => {
    it('creates, then sends a strategic merge patch for a changed Deployment, then does nothing', async () => {
      const path = '/apis/apps/v1/namespaces/default/deployments';
      let mark = h.mark();
      const file = await h.manifest('api.yaml', deployment('api', 'nginx:1'));
      expect((await h.ok(['apply', '--validate=false', '-f', file])).trim()).toBe(
        'deployment.apps/api created',
      );
      const post = only(h.requestsSince(mark), 'POST', path);
      expect(post.status).toBe(201);
      expect(post.contentType).toBe('application/json');
      expect(query(post).get('fieldManager')).toBe('kubectl-client-side-apply');
      const created = storedDeployment('api');
      expect(created?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
        'nginx:1',
      );
      expect(created?.metadata.generation).toBe(1);

      mark = h.mark();
      await h.manifest('api.yaml', deployment('api', 'nginx:2'));
      expect((await h.ok(['apply', '--validate=false', '-f', file])).trim()).toBe(
        'deployment.apps/api configured',
      );
      const patch = only(h.requestsSince(mark), 'PATCH', `${path}/api`);
      expect(patch.status).toBe(200);
      expect(patch.contentType).toBe('application/strategic-merge-patch+json');
      expect(query(patch).get('fieldManager')).toBe('kubectl-client-side-apply');
      const changed = storedDeployment('api');
      expect(imageOf(changed)).toBe('nginx:2');
      expect(changed?.metadata.generation).toBe(2);
      expect(changed?.metadata.uid).toBe(created?.metadata.uid);

      mark = h.mark();
      expect((await h.ok(['apply', '--validate=false', '-f', file])).trim()).toBe(
        'deployment.apps/api unchanged',
      );
      expect(h.requestsSince(mark).filter((e) => e.method !== 'GET')).toEqual([]);
      expect(storedDeployment('api')?.metadata.resourceVersion).toBe(changed?.metadata.resourceVersion);
    });

    it('a re-apply that drops a container, an env var and a label removes them', async () => {
      const full = deployment('trim', 'nginx:1');
      full.metadata.labels = { app: 'trim', drop: 'me' };
      const tpl = (full['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template;
      tpl.spec.containers = [
        {
          name: 'c',
          image: 'nginx:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'sidecar', image: 'envoy:1' },
      ];
      const file = await h.manifest('trim.yaml', full);
      await h.ok(['apply', '--validate=false', '-f', file]);
      tpl.spec.containers = [{ name: 'c', image: 'nginx:1', env: [{ name: 'B', value: '2' }] }];
      full.metadata.labels = { app: 'trim' };
      await h.manifest('trim.yaml', full);
      expect((await h.ok(['apply', '--validate=false', '-f', file])).trim()).toBe(
        'deployment.apps/trim configured',
      );
      const live = storedDeployment('trim');
      expect(live?.metadata.labels).toEqual({ app: 'trim' });
      expect((live?.['spec'] as { template: unknown }).template).toEqual({
        metadata: { labels: { app: 'trim' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1', env: [{ name: 'B', value: '2' }] }] },
      });
    });

    it('--server-side creates when absent, then patches with application/apply-patch+yaml', async () => {
      const path = '/apis/apps/v1/namespaces/default/deployments/ssa';
      const file = await h.manifest('ssa.yaml', deployment('ssa', 'nginx:1'));
      let mark = h.mark();
      expect((await h.ok(['apply', '--server-side', '--validate=false', '-f', file])).trim()).toBe(
        'deployment.apps/ssa serverside-applied',
      );
      const create = h.requestsSince(mark).find((e) => e.method === 'PATCH' && e.path === path);
      expect(create?.status).toBe(201);
      expect(create?.contentType).toBe('application/apply-patch+yaml');
      expect(create && query(create).get('fieldManager')).toBe('kubectl');
      expect(create && query(create).get('force')).toBe('false');
      const created = storedDeployment('ssa');
      expect(imageOf(created)).toBe('nginx:1');
      expect(created?.metadata.managedFields).toEqual(
        expect.arrayContaining([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]),
      );

      mark = h.mark();
      await h.manifest('ssa.yaml', deployment('ssa', 'nginx:2'));
      await h.ok(['apply', '--server-side', '--validate=false', '-f', file]);
      const update = h.requestsSince(mark).find((e) => e.method === 'PATCH' && e.path === path);
      expect(update?.status).toBe(200);
      expect(update?.contentType).toBe('application/apply-patch+yaml');
      expect(update && query(update).get('fieldManager')).toBe('kubectl');
      const updated = storedDeployment('ssa');
      expect(imageOf(updated)).toBe('nginx:2');
      expect(updated?.metadata.uid).toBe(created?.metadata.uid);
    });
  });

  describe('kubectl patch', () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/patched';

    beforeAll(() => {
      const d = deployment('patched', 'nginx:1');
      const spec = d['spec'] as { template: { spec: { containers: unknown[] } } };
      spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy:1' });
      h.sim.apply([d]);
    });

    const containers = (): unknown =>
      (storedDeployment('patched')?.['spec'] as { template: { spec: { containers: unknown } } }).template.spec
        .containers;

    it('--type=strategic (the default) merges containers by name', async () => {
      const mark = h.mark();
      const out = await h.ok([
        'patch',
        'deployment',
        'patched',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}}}',
      ]);
      expect(out.trim()).toBe('deployment.apps/patched patched');
      const patch = only(h.requestsSince(mark), 'PATCH', path);
      expect(patch.contentType).toBe('application/strategic-merge-patch+json');
      expect(patch.status).toBe(200);
      expect(containers()).toEqual([
        { name: 'c', image: 'nginx:2' },
        { name: 'sidecar', image: 'envoy:1' },
      ]);
    });

    it('--type=merge deletes with null and replaces lists whole', async () => {
      const mark = h.mark();
      await h.ok([
        'patch',
        'deployment',
        'patched',
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"app":null,"tier":"back"}},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:3"}]}}}}',
      ]);
      const patch = only(h.requestsSince(mark), 'PATCH', path);
      expect(patch.contentType).toBe('application/merge-patch+json');
      expect(storedDeployment('patched')?.metadata.labels).toEqual({ tier: 'back' });
      expect(containers()).toEqual([{ name: 'c', image: 'nginx:3' }]);
    });

    it('--type=json applies RFC 6902 operations; a failing test op is Invalid', async () => {
      const mark = h.mark();
      await h.ok([
        'patch',
        'deployment',
        'patched',
        '--type=json',
        '-p',
        '[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":4}]',
      ]);
      const patch = only(h.requestsSince(mark), 'PATCH', path);
      expect(patch.contentType).toBe('application/json-patch+json');
      expect((storedDeployment('patched')?.['spec'] as { replicas: number }).replicas).toBe(4);

      const failed = await h.run([
        'patch',
        'deployment',
        'patched',
        '--type=json',
        '-p',
        '[{"op":"test","path":"/spec/replicas","value":2}]',
      ]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('is invalid');
      expect(
        h
          .requestsSince(mark)
          .filter((e) => e.method === 'PATCH')
          .map((e) => e.status),
      ).toEqual([200, 422]);
    });

    it('a patch that changes nothing prints "(no change)" and keeps the resourceVersion', async () => {
      const before = storedDeployment('patched')?.metadata.resourceVersion;
      const rv = h.cluster.store.resourceVersion;
      const out = await h.ok(['patch', 'deployment', 'patched', '-p', '{"spec":{"replicas":4}}']);
      expect(out.trim()).toBe('deployment.apps/patched patched (no change)');
      expect(storedDeployment('patched')?.metadata.resourceVersion).toBe(before);
      expect(h.cluster.store.resourceVersion).toBe(rv);
    });
  });

  describe('kubectl delete', () => {
    it('deletes an object, waits, and exits 0', async () => {
      h.sim.apply([configMap('doomed')]);
      const mark = h.mark();
      const r = await h.run(['delete', 'configmap', 'doomed']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('configmap "doomed" deleted');
      expect(h.stored('configmaps', 'default', 'doomed')).toBeUndefined();
      const del = only(h.requestsSince(mark), 'DELETE', '/api/v1/namespaces/default/configmaps/doomed');
      expect(del.status).toBe(200);
      expect(del.contentType).toBe('application/json');

      const again = await h.run(['delete', 'configmap', 'doomed']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('Error from server (NotFound): configmaps "doomed" not found');
    });

    it('an object with finalizers gets a deletionTimestamp and goes when they are removed', async () => {
      h.sim.apply([configMap('held', 'default', { finalizers: ['example.com/hold'] })]);
      const first = await h.run(['delete', 'configmap', 'held', '--wait=false']);
      expect(first.code).toBe(0);
      const terminating = h.stored('configmaps', 'default', 'held');
      expect(terminating?.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(terminating?.metadata.finalizers).toEqual(['example.com/hold']);

      // no new finalizers while deleting
      const add = await h.run([
        'patch',
        'configmap',
        'held',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}',
      ]);
      expect(add.code).toBe(1);
      expect(add.stderr).toContain('no new finalizers can be added if the object is being deleted');

      // A second, waiting delete blocks on a watch of the object until the finalizer is gone.
      const mark = h.mark();
      const waiting = h.spawn(['delete', 'configmap', 'held']);
      await waitFor('the waiting delete to watch the object', () =>
        h
          .requestsSince(mark)
          .find(
            (e) =>
              e.path === '/api/v1/namespaces/default/configmaps' &&
              query(e).get('watch') === 'true' &&
              query(e).get('fieldSelector') === 'metadata.name=held',
          ),
      );
      expect(waiting.running).toBe(true);
      expect(h.stored('configmaps', 'default', 'held')).toBeDefined();

      await h.ok([
        'patch',
        'configmap',
        'held',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]);
      expect(await waiting.exit()).toBe(0);
      expect(waiting.stdout).toContain('configmap "held" deleted');
      expect(h.stored('configmaps', 'default', 'held')).toBeUndefined();
    });

    /** a Deployment (applied with kubectl) owning a ReplicaSet owning two Pods, as the controllers make them */
    async function deploymentWithDependents(name: string): Promise<void> {
      await h.ok([
        'apply',
        '--validate=false',
        '-f',
        await h.manifest(`${name}.yaml`, deployment(name, 'nginx:1')),
      ]);
      const ownerRef = (o: StoredObject | undefined): OwnerReference => {
        if (!o) throw new Error('no owner');
        const { apiVersion, kind } = o;
        return {
          apiVersion,
          kind,
          name: o.metadata.name,
          uid: o.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        };
      };
      const labels = { app: name };
      const [rs] = h.sim.apply([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${name}-5d8f7`,
            namespace: 'default',
            labels,
            ownerReferences: [ownerRef(h.stored('deployments.apps', 'default', name))],
          },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
          },
        },
      ]);
      h.sim.apply(
        ['aaaaa', 'bbbbb'].map((suffix) => ({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${name}-5d8f7-${suffix}`,
            namespace: 'default',
            labels,
            ownerReferences: [ownerRef(rs)],
          },
          spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
        })),
      );
      h.sim.apply([configMap(`${name}-bystander`, 'default', { labels })]);
      expect(
        column(await h.ok(['get', 'pods,replicasets', '-l', `app=${name}`, '-o', 'name'])).sort(),
      ).toEqual([`pod/${name}-5d8f7-aaaaa`, `pod/${name}-5d8f7-bbbbb`, `replicaset.apps/${name}-5d8f7`]);
    }

    const dependents = (name: string): StoredObject[] => [
      ...h
        .storedOfKind('apps/v1', 'ReplicaSet', 'default')
        .filter((o) => o.metadata.labels?.['app'] === name),
      ...h.storedOfKind('v1', 'Pod', 'default').filter((o) => o.metadata.labels?.['app'] === name),
    ];

    it('deleting a Deployment cascades to its ReplicaSet and Pods in the background', async () => {
      await deploymentWithDependents('owner');
      const mark = h.mark();
      const r = await h.run(['delete', 'deployment', 'owner']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('deployment.apps "owner" deleted');
      expect(storedDeployment('owner')).toBeUndefined();
      const del = only(h.requestsSince(mark), 'DELETE', '/apis/apps/v1/namespaces/default/deployments/owner');
      expect(del.contentType).toBe('application/json');

      await waitFor('the ReplicaSet and its Pods to be collected', () => dependents('owner').length === 0);
      const after = await h.run(['get', 'pods,replicasets', '-l', 'app=owner']);
      expect(after.code).toBe(0);
      expect(after.stdout).toBe('');
      expect(h.stored('configmaps', 'default', 'owner-bystander')).toBeDefined();
    });

    it('--cascade=foreground removes the dependents before the owner is gone', async () => {
      await deploymentWithDependents('fg');
      expect((await h.run(['delete', 'deployment', 'fg', '--cascade=foreground'])).code).toBe(0);
      expect(storedDeployment('fg')).toBeUndefined();
      expect(dependents('fg')).toEqual([]);
      expect(h.stored('configmaps', 'default', 'fg-bystander')).toBeDefined();
    });

    it('--cascade=orphan keeps the dependents and drops their owner reference', async () => {
      await deploymentWithDependents('orphaner');
      const owner = storedDeployment('orphaner');
      const rsUid = h.stored('replicasets.apps', 'default', 'orphaner-5d8f7')?.metadata.uid;
      expect((await h.run(['delete', 'deployment', 'orphaner', '--cascade=orphan'])).code).toBe(0);
      expect(storedDeployment('orphaner')).toBeUndefined();
      const rs = h.stored('replicasets.apps', 'default', 'orphaner-5d8f7');
      expect(rs?.metadata.uid).toBe(rsUid);
      expect(rs?.metadata.ownerReferences ?? []).not.toContainEqual(
        expect.objectContaining({ uid: owner?.metadata.uid }),
      );
      // the Pods still belong to the ReplicaSet
      const pods = dependents('orphaner').filter((o) => o.kind === 'Pod');
      expect(pods.map((p) => p.metadata.ownerReferences?.[0]?.uid)).toEqual([rsUid, rsUid]);
      expect(await h.ok(['delete', 'replicaset', 'orphaner-5d8f7'])).toContain('deleted');
      await waitFor(
        'the orphaned Pods to be collected with their ReplicaSet',
        () => dependents('orphaner').length === 0,
      );
    });
  });

  describe('kubectl replace', () => {
    it('a stale metadata.resourceVersion is a Conflict; a fresh one replaces', async () => {
      h.sim.apply([configMap('versioned')]);
      const stale = await h.ok(['get', 'configmap', 'versioned', '-o', 'json']);
      await h.ok(['patch', 'configmap', 'versioned', '-p', '{"data":{"a":"2"}}']);

      const file = await h.manifest('versioned.json', stale.replace('"a": "1"', '"a": "3"'));
      const mark = h.mark();
      const r = await h.run(['replace', '--validate=false', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Error from server (Conflict)');
      expect(r.stderr).toContain(
        'Operation cannot be fulfilled on configmaps "versioned": the object has been modified; please apply your changes to the latest version and try again',
      );
      const put = only(h.requestsSince(mark), 'PUT', '/api/v1/namespaces/default/configmaps/versioned');
      expect(put.status).toBe(409);
      expect(put.contentType).toBe('application/json');
      expect(h.stored('configmaps', 'default', 'versioned')?.['data']).toEqual({ a: '2' });

      const fresh = await h.ok(['get', 'configmap', 'versioned', '-o', 'json']);
      await h.manifest('versioned.json', fresh.replace('"a": "2"', '"a": "3"'));
      expect((await h.ok(['replace', '--validate=false', '-f', file])).trim()).toBe(
        'configmap/versioned replaced',
      );
      expect(h.stored('configmaps', 'default', 'versioned')?.['data']).toEqual({ a: '3' });
    });
  });

  describe('CustomResourceDefinitions', () => {
    const base = '/apis/example.com/v1/namespaces/default/widgets';

    beforeAll(async () => {
      const out = await h.ok([
        'create',
        '--validate=false',
        '-f',
        await h.manifest('widget-crd.yaml', WIDGET_CRD),
      ]);
      expect(out.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
      const wait = await h.ok([
        'wait',
        '--for=condition=established',
        '--timeout=10s',
        'customresourcedefinition/widgets.example.com',
      ]);
      expect(wait.trim()).toBe(
        'customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met',
      );
    });

    it('applies custom objects, prunes unknown fields, and lists them by short name', async () => {
      const file = await h.manifest('widgets.yaml', [
        widget('w1', { size: 3, replicas: 1, color: 'red', bogus: true }, { extra: 'dropped' }),
        widget('w2', { size: 5 }),
      ]);
      const mark = h.mark();
      const out = await h.ok(['apply', '--validate=false', '-f', file]);
      expect(out.trim().split('\n')).toEqual([
        'widget.example.com/w1 created',
        'widget.example.com/w2 created',
      ]);
      const posts = h.requestsSince(mark).filter((e) => e.method === 'POST' && e.path === base);
      expect(posts.map((e) => e.status)).toEqual([201, 201]);

      expect(column(await h.ok(['get', 'wdg'])).sort()).toEqual(['w1', 'w2']);
      const w1 = JSON.parse(await h.ok(['get', 'widget', 'w1', '-o', 'json'])) as KubeObject;
      expect(w1['spec']).toEqual({ size: 3, replicas: 1, color: 'red' });
      expect(w1['extra']).toBeUndefined();
      expect(w1.kind).toBe('Widget');
      expect(w1.apiVersion).toBe('example.com/v1');

      // kubectl apply on a type outside its scheme uses a JSON merge patch
      await h.manifest('widgets.yaml', [
        widget('w1', { size: 3, replicas: 1, color: 'blue' }),
        widget('w2', { size: 5 }),
      ]);
      const mark2 = h.mark();
      const again = await h.ok(['apply', '--validate=false', '-f', file]);
      expect(again.trim().split('\n')).toEqual([
        'widget.example.com/w1 configured',
        'widget.example.com/w2 unchanged',
      ]);
      const patch = only(h.requestsSince(mark2), 'PATCH', `${base}/w1`);
      expect(patch.contentType).toBe('application/merge-patch+json');
      expect(patch.status).toBe(200);
      expect(
        h.storedOfKind('example.com/v1', 'Widget', 'default').find((w) => w.metadata.name === 'w1')?.['spec'],
      ).toEqual({ size: 3, replicas: 1, color: 'blue' });
    });

    it('a schema violation is a 422 Invalid naming the field', async () => {
      const mark = h.mark();
      const wrongType = await h.run([
        'apply',
        '--validate=false',
        '-f',
        await h.manifest('bad-widget.yaml', widget('bad', { size: 'big' })),
      ]);
      expect(wrongType.code).toBe(1);
      // the apiserver (kube-openapi) names the value's JSON type, not the value
      expect(wrongType.stderr).toMatch(
        /Widget(\.example\.com)? "bad" is invalid: spec\.size: Invalid value: "string": spec\.size in body must be of type integer: "string"/,
      );

      const missing = await h.run([
        'apply',
        '--validate=false',
        '-f',
        await h.manifest('bad-widget.yaml', widget('bad', { color: 'purple' })),
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('is invalid');
      expect(missing.stderr).toContain('spec.size: Required value');
      expect(missing.stderr).toContain('spec.color: Unsupported value: "purple"');

      const posts = h.requestsSince(mark).filter((e) => e.method === 'POST' && e.path === base);
      expect(posts.map((e) => e.status)).toEqual([422, 422]);
      expect(h.storedOfKind('example.com/v1', 'Widget', 'default').map((w) => w.metadata.name)).not.toContain(
        'bad',
      );
    });

    it('a strategic merge patch on a custom resource is 415 UnsupportedMediaType; merge works', async () => {
      const mark = h.mark();
      const r = await h.run(['patch', 'wdg', 'w2', '-p', '{"spec":{"size":6}}']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the body of the request was in an unknown format');
      expect(r.stderr).toContain('application/merge-patch+json');
      const patch = only(h.requestsSince(mark), 'PATCH', `${base}/w2`);
      expect(patch.status).toBe(415);
      expect(patch.contentType).toBe('application/strategic-merge-patch+json');

      await h.ok(['patch', 'wdg', 'w2', '--type=merge', '-p', '{"spec":{"size":6}}']);
      expect(await h.ok(['get', 'wdg', 'w2', '-o', 'jsonpath={.spec.size}'])).toBe('6');
    });

    it('scales a custom resource through the CRD scale subresource', async () => {
      h.sim.apply([widget('scalable', { size: 1, replicas: 1 })]);
      const mark = h.mark();
      expect((await h.ok(['scale', 'wdg/scalable', '--replicas=4'])).trim()).toBe(
        'widget.example.com/scalable scaled',
      );
      expectScaleWrite(
        h.requestsSince(mark),
        '/apis/example.com/v1/namespaces/default/widgets/scalable/scale',
      );
      expect(await h.ok(['get', 'wdg', 'scalable', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    });

    it('server-side apply creates and updates custom objects (merging maps, no strategic patch)', async () => {
      const file = await h.manifest('ssa-widget.yaml', widget('ssa-w', { size: 1, color: 'green' }));
      let mark = h.mark();
      expect((await h.ok(['apply', '--server-side', '--validate=false', '-f', file])).trim()).toBe(
        'widget.example.com/ssa-w serverside-applied',
      );
      expect(only(h.requestsSince(mark), 'PATCH', `${base}/ssa-w`).status).toBe(201);

      mark = h.mark();
      await h.manifest('ssa-widget.yaml', widget('ssa-w', { size: 2, color: 'green' }));
      await h.ok(['apply', '--server-side', '--validate=false', '-f', file]);
      const patch = only(h.requestsSince(mark), 'PATCH', `${base}/ssa-w`);
      expect(patch.status).toBe(200);
      expect(patch.contentType).toBe('application/apply-patch+yaml');
      expect(await h.ok(['get', 'wdg', 'ssa-w', '-o', 'jsonpath={.spec.size} {.spec.color}'])).toBe(
        '2 green',
      );

      const bad = await h.run([
        'apply',
        '--server-side',
        '--validate=false',
        '-f',
        await h.manifest('ssa-widget.yaml', widget('ssa-w', { size: 'huge' })),
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('must be of type integer');
    });

    it('deleting the CRD deletes its objects and its discovery entry', async () => {
      expect(h.storedOfKind('example.com/v1', 'Widget', 'default').length).toBeGreaterThan(0);
      const r = await h.run(['delete', 'customresourcedefinition', 'widgets.example.com']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(
        'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted',
      );
      expect(
        h.stored('customresourcedefinitions.apiextensions.k8s.io', '', 'widgets.example.com'),
      ).toBeUndefined();
      expect(h.cluster.store.list('widgets.example.com')).toEqual([]);

      const gone = await h.run(['get', 'widgets']);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain(`the server doesn't have a resource type "widgets"`);
      expect((await h.ok(['api-resources', '-o', 'name'])).split('\n')).not.toContain('widgets.example.com');
    });
  });

  describe('kubectl scale', () => {
    it('scales a Deployment through its scale subresource', async () => {
      h.sim.apply([deployment('scaled', 'nginx:1')]);
      const mark = h.mark();
      expect((await h.ok(['scale', 'deployment/scaled', '--replicas=5'])).trim()).toBe(
        'deployment.apps/scaled scaled',
      );
      expectScaleWrite(h.requestsSince(mark), '/apis/apps/v1/namespaces/default/deployments/scaled/scale');
      const d = storedDeployment('scaled');
      expect((d?.['spec'] as { replicas: number }).replicas).toBe(5);
      expect(d?.metadata.generation).toBe(2);
    });
  });

  describe('namespaces', () => {
    it('create namespace, then delete namespace removes it and its contents', async () => {
      expect((await h.ok(['create', 'namespace', 'team-a'])).trim()).toBe('namespace/team-a created');
      expect(await h.ok(['get', 'namespace', 'team-a', '-o', 'jsonpath={.status.phase}'])).toBe('Active');
      await h.ok(['create', 'configmap', 'cfg', '-n', 'team-a', '--from-literal=k=v']);
      await h.ok([
        'apply',
        '--validate=false',
        '-n',
        'team-a',
        '-f',
        await h.manifest('team-a.yaml', configMap('cfg2', 'team-a')),
      ]);

      const mark = h.mark();
      const r = await h.run(['delete', 'namespace', 'team-a']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('namespace "team-a" deleted');
      expect(only(h.requestsSince(mark), 'DELETE', '/api/v1/namespaces/team-a').status).toBeLessThan(300);
      expect(h.stored('namespaces', '', 'team-a')).toBeUndefined();
      expect(h.storedOfKind('v1', 'ConfigMap', 'team-a')).toEqual([]);
      const gone = await h.run(['get', 'namespace', 'team-a']);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('Error from server (NotFound): namespaces "team-a" not found');
    });

    it('a terminating namespace refuses new objects and waits for its contents', async () => {
      await h.ok(['create', 'namespace', 'team-b']);
      h.sim.apply([
        configMap('plain', 'team-b'),
        configMap('sticky', 'team-b', { finalizers: ['example.com/hold'] }),
      ]);

      expect((await h.run(['delete', 'namespace', 'team-b', '--wait=false'])).code).toBe(0);
      expect(await h.ok(['get', 'namespace', 'team-b', '-o', 'jsonpath={.status.phase}'])).toBe(
        'Terminating',
      );
      await waitFor(
        'the unheld configmap to be deleted',
        () => h.stored('configmaps', 'team-b', 'plain') === undefined,
      );
      expect(h.stored('configmaps', 'team-b', 'sticky')?.metadata.deletionTimestamp).toBeDefined();

      const refused = await h.run(['create', 'configmap', 'late', '-n', 'team-b']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('because it is being terminated');

      await h.ok([
        'patch',
        'configmap',
        'sticky',
        '-n',
        'team-b',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
      await waitFor('the namespace to go', () => h.stored('namespaces', '', 'team-b') === undefined);
      expect(h.storedOfKind('v1', 'ConfigMap', 'team-b')).toEqual([]);
    });
  });

  describe('bad input', () => {
    it('a name that is not a DNS-1123 subdomain is invalid', async () => {
      const mark = h.mark();
      const r = await h.run(['create', 'configmap', 'Bad_Name', '--from-literal=a=b']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('"Bad_Name" is invalid');
      expect(r.stderr).toContain('metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
      expect(only(h.requestsSince(mark), 'POST', '/api/v1/namespaces/default/configmaps').status).toBe(422);
    });

    it('creating an object that exists is AlreadyExists', async () => {
      h.sim.apply([configMap('twice')]);
      const r = await h.run(['create', 'configmap', 'twice']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('configmaps "twice" already exists');
    });
  });
});
