import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../src/index.ts';
import { configMap, pod, raw, waitFor } from './support.ts';

/** REST semantics and the Status bodies a real apiserver gives for bad input. */

let sim: KubeSim;

beforeAll(async () => {
  // API semantics only: no controllers, so nothing writes behind the tests that count resourceVersions
  sim = await createKubeSim({
    seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'r' } }],
    controllers: false,
  });
});
afterAll(async () => {
  await sim.close();
});

const CM = '/api/v1/namespaces/r/configmaps';
type Status = {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: { causes?: { field: string }[] };
};

async function expectStatus(
  p: ReturnType<typeof raw>,
  code: number,
  reason: string,
  message?: RegExp,
): Promise<Status> {
  const res = await p;
  expect(res.status).toBe(code);
  const s = res.json as Status;
  expect(s).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  if (message) expect(s.message).toMatch(message);
  return s;
}

describe('bad input', () => {
  it('malformed JSON is a 400 and the server keeps serving', async () => {
    await expectStatus(
      raw(sim, 'POST', CM, { body: '{"metadata": {', contentType: 'application/json' }),
      400,
      'BadRequest',
      /json parse error/,
    );
    expect((await raw(sim, 'GET', CM)).status).toBe(200);
  });

  it('names that break DNS-1123 rules are 422 Invalid with the field in causes', async () => {
    for (const name of ['UPPER', 'under_score', '-lead', 'a'.repeat(254)]) {
      const s = await expectStatus(
        raw(sim, 'POST', CM, { body: configMap('r', name) }),
        422,
        'Invalid',
        /is invalid: metadata\.name: Invalid value/,
      );
      expect(s.details?.causes?.[0]?.field).toBe('metadata.name');
    }
    await expectStatus(
      raw(sim, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'has.dot' } } }),
      422,
      'Invalid',
      /RFC 1123 label/,
    );
    await expectStatus(
      raw(sim, 'POST', CM, { body: { metadata: {} } }),
      422,
      'Invalid',
      /name or generateName is required/,
    );
  });

  it('bad label and field selectors are 400 with the parser message', async () => {
    await expectStatus(
      raw(sim, 'GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`),
      400,
      'BadRequest',
      /unable to parse requirement|expected/,
    );
    await expectStatus(
      raw(sim, 'GET', `${CM}?labelSelector=${encodeURIComponent('k=bad value!')}`),
      400,
      'BadRequest',
    );
    await expectStatus(
      raw(sim, 'GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.bogus=x')}`),
      400,
      'BadRequest',
      /field label not supported: spec\.bogus/,
    );
  });

  it('unknown fields: dropped with a Warning by default, refused with fieldValidation=Strict', async () => {
    const body = { ...configMap('r', 'unknown-fields'), extra: 1 };
    await expectStatus(
      raw(sim, 'POST', `${CM}?fieldValidation=Strict`, { body }),
      400,
      'BadRequest',
      /unknown field "extra"/,
    );
    const ok = await raw(sim, 'POST', CM, { body });
    expect(ok.status).toBe(201);
    expect(ok.headers['warning']).toMatch(/unknown field \\?"extra\\?"/);
    expect((ok.json as Record<string, unknown>)['extra']).toBeUndefined();
    const patched = await raw(sim, 'PATCH', `${CM}/unknown-fields?fieldValidation=Strict`, {
      body: { spec: { x: 1 } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.status).toBe(400);
  });

  it('patch bodies of the wrong shape or type are refused with 400, 415 or 422', async () => {
    await raw(sim, 'POST', CM, { body: configMap('r', 'patchme', { a: '1' }) });
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/patchme`, { body: { data: {} }, contentType: 'application/json-patch+json' }),
      400,
      'BadRequest',
    );
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/patchme`, {
        body: [{ op: 'test', path: '/data/a', value: '2' }],
        contentType: 'application/json-patch+json',
      }),
      422,
      'Invalid',
    );
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/patchme`, {
        body: [{ op: 'replace', path: '/data/missing/x', value: '2' }],
        contentType: 'application/json-patch+json',
      }),
      422,
      'Invalid',
    );
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/patchme`, { body: { data: {} }, contentType: 'text/plain' }),
      415,
      'UnsupportedMediaType',
      /accepted media types include/,
    );
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/patchme`, {
        body: { data: { b: '2' } },
        contentType: 'application/apply-patch+yaml',
      }),
      400,
      'BadRequest',
      /fieldManager/,
    );
    // none of that changed the object
    expect((await raw(sim, 'GET', `${CM}/patchme`)).json).toMatchObject({ data: { a: '1' } });
  });

  it('unknown paths, missing objects and wrong methods answer as the apiserver does', async () => {
    await expectStatus(
      raw(sim, 'GET', '/api/v1/namespaces/r/widgets'),
      404,
      'NotFound',
      /^the server could not find the requested resource$/,
    );
    await expectStatus(raw(sim, 'GET', `${CM}/nope`), 404, 'NotFound', /^configmaps "nope" not found$/);
    const d = await expectStatus(
      raw(sim, 'GET', '/apis/apps/v1/namespaces/r/deployments/nope'),
      404,
      'NotFound',
      /^deployments\.apps "nope" not found$/,
    );
    expect(d).toMatchObject({ details: { name: 'nope', group: 'apps', kind: 'deployments' } });
    await expectStatus(raw(sim, 'POST', `${CM}/x`, { body: {} }), 405, 'MethodNotAllowed');
    await expectStatus(raw(sim, 'GET', '/openapi/v2'), 404, 'NotFound');
  });

  it('a namespace in the body that differs from the URL is a 400', async () => {
    await expectStatus(
      raw(sim, 'POST', CM, { body: configMap('other', 'x') }),
      400,
      'BadRequest',
      /does not match the namespace/,
    );
  });
});

describe('authentication and the control endpoints', () => {
  it('401 for a bad or missing token; health and version are public', async () => {
    await expectStatus(raw(sim, 'GET', CM, { token: 'wrong' }), 401, 'Unauthorized');
    await expectStatus(raw(sim, 'GET', CM, { token: null }), 401, 'Unauthorized');
    expect((await raw(sim, 'GET', '/healthz', { token: null })).text).toBe('ok');
    expect((await raw(sim, 'GET', '/version', { token: null })).json).toMatchObject({
      major: '1',
      gitVersion: expect.stringMatching(/^v1\./),
    });
  });

  it('/__sim/ is for the cluster-admin token only, and injects failures', async () => {
    const sim2 = await createKubeSim({
      fleet: { clusters: [{ name: 'c1', users: [{ name: 'dev', token: 'dev-token', groups: ['devs'] }] }] },
    });
    try {
      await expectStatus(
        raw(sim2, 'POST', '/__sim/compact', { token: 'dev-token', body: {} }),
        403,
        'Forbidden',
      );
      // dev is authenticated but bound to nothing that lists namespaces (RBAC: rbac.test.ts)
      await expectStatus(raw(sim2, 'GET', '/api/v1/namespaces', { token: 'dev-token' }), 403, 'Forbidden');
      expect((await raw(sim2, 'POST', '/__sim/fail', { body: { count: 2, status: 503 } })).status).toBe(200);
      await expectStatus(raw(sim2, 'GET', '/api/v1/namespaces'), 503, 'ServiceUnavailable');
      await expectStatus(raw(sim2, 'GET', '/api/v1/namespaces'), 503, 'ServiceUnavailable');
      expect((await raw(sim2, 'GET', '/api/v1/namespaces')).status).toBe(200);
      const state = (await raw(sim2, 'GET', '/__sim/state')).json as {
        resourceVersion: number;
        objects: Record<string, number>;
      };
      expect(state.objects['nodes']).toBe(1);
      const log = (await raw(sim2, 'GET', '/__sim/requests')).json as {
        items: { path: string; status: number; user: string }[];
      };
      expect(log.items.filter((e) => e.status === 503)).toHaveLength(2);
      expect(log.items.some((e) => e.user === 'dev')).toBe(true);
      await expectStatus(
        raw(sim2, 'POST', '/__sim/offline', { body: { mode: 'sideways' } }),
        400,
        'BadRequest',
      );
    } finally {
      await sim2.close();
    }
  });

  it('a stopped listener refuses connections and comes back on the same port with its objects', async () => {
    const c = sim.cluster();
    const url = c.url;
    await raw(sim, 'POST', CM, { body: configMap('r', 'survivor') });
    await c.faults.offline('refuse');
    await expect(raw(sim, 'GET', CM)).rejects.toThrow(/ECONNREFUSED/);
    await c.faults.online();
    expect(c.url).toBe(url);
    expect((await raw(sim, 'GET', `${CM}/survivor`)).status).toBe(200);
  });
});

describe('object lifecycle', () => {
  it('finalizers hold a delete until they are removed', async () => {
    await raw(sim, 'POST', CM, {
      body: { ...configMap('r', 'held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    const del = await raw(sim, 'DELETE', `${CM}/held`);
    // the apiserver answers 200 with the object, still present, deletionTimestamp set
    expect(del.status).toBe(200);
    const held = (await raw(sim, 'GET', `${CM}/held`)).json as { metadata: { deletionTimestamp?: string } };
    expect(held.metadata.deletionTimestamp).toMatch(/Z$/);
    await expectStatus(
      raw(sim, 'PATCH', `${CM}/held`, {
        body: { metadata: { finalizers: ['example.com/hold', 'new'] } },
        contentType: 'application/merge-patch+json',
      }),
      422,
      'Invalid',
      /no new finalizers/,
    );
    await raw(sim, 'PATCH', `${CM}/held`, {
      body: { metadata: { finalizers: null } },
      contentType: 'application/merge-patch+json',
    });
    await expectStatus(raw(sim, 'GET', `${CM}/held`), 404, 'NotFound');
  });

  it('a terminating namespace refuses new content, deletes what it holds, then goes away', async () => {
    await raw(sim, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'doomed' } } });
    await raw(sim, 'POST', '/api/v1/namespaces/doomed/configmaps', { body: configMap('doomed', 'a') });
    await raw(sim, 'POST', '/api/v1/namespaces/doomed/pods', { body: pod('doomed', 'p') });
    const del = await raw(sim, 'DELETE', '/api/v1/namespaces/doomed');
    expect((del.json as { status: { phase: string } }).status.phase).toBe('Terminating');
    await waitFor(
      async () => (await raw(sim, 'GET', '/api/v1/namespaces/doomed')).status === 404,
      'namespace gone',
    );
    expect((await raw(sim, 'GET', '/api/v1/namespaces/doomed/configmaps')).json).toMatchObject({ items: [] });
    expect(sim.cluster().store.list('pods', 'doomed')).toHaveLength(0);
  });

  it('deleting an owner deletes its dependents in the background; Orphan keeps them', async () => {
    const owner = (await raw(sim, 'POST', CM, { body: configMap('r', 'owner') })).json as {
      metadata: { uid: string };
    };
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }];
    for (const n of ['dep-1', 'dep-2'])
      await raw(sim, 'POST', CM, {
        body: { ...configMap('r', n), metadata: { name: n, ownerReferences: ref } },
      });
    await raw(sim, 'DELETE', `${CM}/owner`, { body: { propagationPolicy: 'Background' } });
    await waitFor(async () => (await raw(sim, 'GET', `${CM}/dep-2`)).status === 404, 'dependents collected');
    const owner2 = (await raw(sim, 'POST', CM, { body: configMap('r', 'owner2') })).json as {
      metadata: { uid: string };
    };
    await raw(sim, 'POST', CM, {
      body: {
        ...configMap('r', 'orphan'),
        metadata: {
          name: 'orphan',
          ownerReferences: [{ ...ref[0], name: 'owner2', uid: owner2.metadata.uid }],
        },
      },
    });
    await raw(sim, 'DELETE', `${CM}/owner2`, { body: { propagationPolicy: 'Orphan' } });
    const orphan = (await raw(sim, 'GET', `${CM}/orphan`)).json as {
      metadata: { ownerReferences?: unknown[] };
    };
    expect(orphan.metadata.ownerReferences).toBeUndefined();
  });

  it('status is written only through the status subresource, and generation tracks spec changes', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gen' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
      status: { replicas: 99 },
    };
    const path = '/apis/apps/v1/namespaces/r/deployments';
    const created = (await raw(sim, 'POST', path, { body: d })).json as {
      metadata: { generation: number };
      status?: unknown;
    };
    expect(created.metadata.generation).toBe(1);
    expect(created.status).toBeUndefined();
    const st = await raw(sim, 'PATCH', `${path}/gen/status`, {
      body: { status: { replicas: 1 }, spec: { replicas: 7 } },
      contentType: 'application/merge-patch+json',
    });
    expect(st.json).toMatchObject({
      status: { replicas: 1 },
      spec: { replicas: 1 },
      metadata: { generation: 1 },
    });
    const labelled = await raw(sim, 'PATCH', `${path}/gen`, {
      body: { metadata: { labels: { x: 'y' } }, status: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
    });
    expect(labelled.json).toMatchObject({ status: { replicas: 1 }, metadata: { generation: 1 } });
    const scaled = await raw(sim, 'PATCH', `${path}/gen`, {
      body: { spec: { replicas: 3 } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(scaled.json).toMatchObject({ metadata: { generation: 2 } });
  });

  it('apply() writes a seed as given, status included, on create and on replace', async () => {
    const p = { ...pod('r', 'seeded'), status: { phase: 'Running' } };
    expect(sim.apply([p])[0]?.['status']).toEqual({ phase: 'Running' });
    const before = sim.cluster().store.resourceVersion;
    const [updated] = sim.apply([{ ...p, status: { phase: 'Succeeded' } }]);
    expect(updated?.['status']).toEqual({ phase: 'Succeeded' });
    expect((await raw(sim, 'GET', '/api/v1/namespaces/r/pods/seeded')).json).toMatchObject({
      status: { phase: 'Succeeded' },
    });
    expect(sim.cluster().store.resourceVersion).toBe(before + 1);
    const [relabelled] = sim.apply([
      { ...p, metadata: { ...p.metadata, labels: { x: 'y' } }, status: { phase: 'Failed' } },
    ]);
    expect(relabelled).toMatchObject({ metadata: { labels: { x: 'y' } }, status: { phase: 'Failed' } });
  });

  it('a binding keeps its roleRef: changing it is 422 Invalid', async () => {
    const path = '/apis/rbac.authorization.k8s.io/v1/namespaces/r/rolebindings';
    const binding = {
      metadata: { name: 'readers' },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    };
    expect((await raw(sim, 'POST', path, { body: binding })).status).toBe(201);
    const subjectsOnly = await raw(sim, 'PATCH', `${path}/readers`, {
      body: { subjects: [{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }] },
      contentType: 'application/merge-patch+json',
    });
    expect(subjectsOnly.status).toBe(200);
    await expectStatus(
      raw(sim, 'PATCH', `${path}/readers`, {
        body: { roleRef: { name: 'edit' } },
        contentType: 'application/merge-patch+json',
      }),
      422,
      'Invalid',
      /roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"edit"\}: cannot change roleRef/,
    );
  });

  it('deletecollection removes what the selector matches', async () => {
    for (const [n, tier] of [
      ['dc-1', 'x'],
      ['dc-2', 'x'],
      ['dc-3', 'y'],
    ] as const)
      await raw(sim, 'POST', CM, { body: configMap('r', n, {}, { tier }) });
    const res = await raw(sim, 'DELETE', `${CM}?labelSelector=tier%3Dx`);
    expect((res.json as { items: unknown[] }).items).toHaveLength(2);
    const left = (await raw(sim, 'GET', `${CM}?labelSelector=tier`)).json as {
      items: { metadata: { name: string } }[];
    };
    expect(left.items.map((i) => i.metadata.name)).toEqual(['dc-3']);
  });

  it('server-side apply creates when absent and merges when present', async () => {
    const path = `${CM}/ssa?fieldManager=test`;
    const created = await raw(sim, 'PATCH', path, {
      body: configMap('r', 'ssa', { a: '1' }),
      contentType: 'application/apply-patch+yaml',
    });
    expect(created.status).toBe(201);
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  b: "2"\n';
    const merged = await raw(sim, 'PATCH', path, { body: yaml, contentType: 'application/apply-patch+yaml' });
    expect(merged.status).toBe(200);
    expect(merged.json).toMatchObject({
      data: { a: '1', b: '2' },
      metadata: { managedFields: [expect.objectContaining({ manager: 'test', operation: 'Apply' })] },
    });
  });
});
