import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../src/index.ts';
import { openWatch, raw, waitFor } from './support.ts';

/** CustomResourceDefinitions: validation, discovery at run time, versions, schema, deletion. */

let sim: KubeSim;
beforeAll(async () => {
  sim = await createKubeSim({ seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'data' } }] });
});
afterAll(async () => {
  await sim.close();
});

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['mounts'],
      properties: {
        mounts: {
          type: 'array',
          items: { type: 'object', properties: { mountPoint: { type: 'string' }, name: { type: 'string' } } },
        },
        replicas: { type: 'integer' },
        placement: { type: 'string', enum: ['Exclusive', 'Shared'] },
        options: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' }, replicas: { type: 'integer' } } },
  },
};

const datasetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'datasets.data.fluid.io' },
  spec: {
    group: 'data.fluid.io',
    scope: 'Namespaced',
    names: {
      plural: 'datasets',
      singular: 'dataset',
      kind: 'Dataset',
      listKind: 'DatasetList',
      shortNames: ['ds-fluid'],
      categories: ['fluid'],
    },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: schema },
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
        },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: schema },
        subresources: { status: {} },
      },
    ],
  },
};

const dataset = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'data.fluid.io/v1alpha1',
  kind: 'Dataset',
  metadata: { name },
  spec,
});

describe('CustomResourceDefinitions', () => {
  it('refuses an invalid CRD with 422 and the fields at fault', async () => {
    const bad = { ...datasetCrd, metadata: { name: 'wrong.data.fluid.io' } };
    const res = await raw(sim, 'POST', CRDS, { body: bad });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.json)).toContain('metadata.name');
    const noStorage = {
      ...datasetCrd,
      spec: { ...datasetCrd.spec, versions: datasetCrd.spec.versions.map((v) => ({ ...v, storage: false })) },
    };
    expect((await raw(sim, 'POST', CRDS, { body: noStorage })).status).toBe(422);
    expect((await raw(sim, 'GET', '/apis/data.fluid.io/v1alpha1')).status).toBe(404);
  });

  it('is established at once, and its group appears in discovery with the preferred version', async () => {
    const res = await raw(sim, 'POST', CRDS, { body: datasetCrd });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: {
        conditions: expect.arrayContaining([
          expect.objectContaining({ type: 'Established', status: 'True' }),
          expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
        ]),
        acceptedNames: { plural: 'datasets', kind: 'Dataset' },
        storedVersions: ['v1alpha1'],
      },
    });
    const groups = (await raw(sim, 'GET', '/apis')).json as {
      groups: { name: string; preferredVersion: { version: string }; versions: { version: string }[] }[];
    };
    const group = groups.groups.find((g) => g.name === 'data.fluid.io');
    expect(group?.preferredVersion.version).toBe('v1beta1');
    expect(group?.versions.map((v) => v.version)).toEqual(['v1beta1', 'v1alpha1']);
    const resources = (await raw(sim, 'GET', '/apis/data.fluid.io/v1alpha1')).json as {
      resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string }[];
    };
    expect(resources.resources.map((r) => r.name).sort()).toEqual([
      'datasets',
      'datasets/scale',
      'datasets/status',
    ]);
    expect(resources.resources.find((r) => r.name === 'datasets')).toMatchObject({
      shortNames: ['ds-fluid'],
      categories: ['fluid'],
      kind: 'Dataset',
    });
  });

  it('validates objects against the schema, prunes unknown fields and keeps preserved ones', async () => {
    const path = '/apis/data.fluid.io/v1alpha1/namespaces/data/datasets';
    const missing = await raw(sim, 'POST', path, { body: dataset('bad', { replicas: 1 }) });
    expect(missing.status).toBe(422);
    expect(missing.json).toMatchObject({
      reason: 'Invalid',
      details: { causes: [expect.objectContaining({ field: 'spec.mounts', reason: 'FieldValueRequired' })] },
    });
    const wrongType = await raw(sim, 'POST', path, { body: dataset('bad', { mounts: [], replicas: 'two' }) });
    expect(wrongType.status).toBe(422);
    expect((wrongType.json as { message: string }).message).toContain('spec.replicas');
    const badEnum = await raw(sim, 'POST', path, {
      body: dataset('bad', { mounts: [], placement: 'Anywhere' }),
    });
    expect((badEnum.json as { message: string }).message).toContain('Unsupported value');
    const ok = await raw(sim, 'POST', path, {
      body: dataset('imagenet', {
        mounts: [{ mountPoint: 's3://bucket', name: 'imagenet', junk: 1 }],
        replicas: 2,
        unknownTop: true,
        options: { anything: { goes: 1 } },
      }),
    });
    expect(ok.status).toBe(201);
    expect((ok.json as { spec: unknown }).spec).toEqual({
      mounts: [{ mountPoint: 's3://bucket', name: 'imagenet' }],
      replicas: 2,
      options: { anything: { goes: 1 } },
    });
  });

  it('serves one storage at every served version, with status and scale subresources', async () => {
    const v1beta1 = await raw(sim, 'GET', '/apis/data.fluid.io/v1beta1/namespaces/data/datasets/imagenet');
    expect(v1beta1.json).toMatchObject({
      apiVersion: 'data.fluid.io/v1beta1',
      kind: 'Dataset',
      spec: { replicas: 2 },
    });
    const status = await raw(
      sim,
      'PUT',
      '/apis/data.fluid.io/v1alpha1/namespaces/data/datasets/imagenet/status',
      {
        body: {
          ...(v1beta1.json as object),
          apiVersion: 'data.fluid.io/v1alpha1',
          status: { phase: 'Bound', replicas: 2 },
        },
      },
    );
    expect(status.json).toMatchObject({ status: { phase: 'Bound' }, metadata: { generation: 1 } });
    const scale = await raw(
      sim,
      'GET',
      '/apis/data.fluid.io/v1alpha1/namespaces/data/datasets/imagenet/scale',
    );
    expect(scale.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2 },
    });
    const patched = await raw(
      sim,
      'PATCH',
      '/apis/data.fluid.io/v1alpha1/namespaces/data/datasets/imagenet/scale',
      {
        body: { spec: { replicas: 4 } },
        contentType: 'application/merge-patch+json',
      },
    );
    expect(patched.json).toMatchObject({ spec: { replicas: 4 } });
    expect(
      (await raw(sim, 'GET', '/apis/data.fluid.io/v1alpha1/namespaces/data/datasets/imagenet')).json,
    ).toMatchObject({ spec: { replicas: 4 }, metadata: { generation: 2 } });
    // the v1beta1 version declares no scale subresource
    expect(
      (await raw(sim, 'GET', '/apis/data.fluid.io/v1beta1/namespaces/data/datasets/imagenet/scale')).status,
    ).toBe(404);
  });

  it('deleting the CRD deletes its objects (DELETED to watchers) and its discovery', async () => {
    const rv = (await raw(sim, 'GET', '/apis/data.fluid.io/v1alpha1/datasets')).json as {
      metadata: { resourceVersion: string };
    };
    const w = await openWatch(
      sim,
      `/apis/data.fluid.io/v1alpha1/datasets?watch=true&resourceVersion=${rv.metadata.resourceVersion}`,
    );
    expect((await raw(sim, 'DELETE', `${CRDS}/datasets.data.fluid.io`)).status).toBe(200);
    const [e] = await w.next(1);
    expect(e).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'imagenet' } } });
    await waitFor(
      async () => (await raw(sim, 'GET', '/apis/data.fluid.io/v1alpha1')).status === 404,
      'discovery entry gone',
    );
    const groups = (await raw(sim, 'GET', '/apis')).json as { groups: { name: string }[] };
    expect(groups.groups.some((g) => g.name === 'data.fluid.io')).toBe(false);
    w.close();
  });
});
