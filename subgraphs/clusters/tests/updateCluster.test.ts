import { createKubeSim, type KubeSim, type RequestLogEntry } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import { ADMIN, waitFor } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { createSubgraph, gql, type GqlError, type Leftovers, MALLORY, userOf } from './support.ts';

/**
 * Mutation.updateCluster against kube-sim's demo fleet: fleetgraph's own check (update clusters at platform scope),
 * input validation, and the merge PATCH of the Cluster object on the host, impersonating the caller so that the
 * host's RBAC judges the write too.
 */

interface Label {
  key: string;
  value: string;
}
interface Updated {
  name: string;
  description: string | null;
  labels: Label[];
}

const MUTATION = `mutation ($input: UpdateClusterInput!) {
  updateCluster(input: $input) { cluster { name description labels { key value } } }
}`;
const CLUSTER_PATH = '/apis/cluster.kubesphere.io/v1alpha1/clusters/';

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

describe('clusters subgraph: updateCluster', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;

  beforeAll(async () => {
    sim = await createKubeSim({ fleet: 'demo', controllers: false });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim, leftovers);
    await subgraph.start();
  });

  /** the Cluster object kube-sim holds on the host */
  const stored = (name: string) => sim.cluster('host').store.get('clusters.cluster.kubesphere.io', '', name);

  /** the PATCHes of Cluster objects the host received after log entry `since` */
  const patches = (since: number): RequestLogEntry[] =>
    sim
      .cluster('host')
      .requestLog.filter((e) => e.seq > since && e.method === 'PATCH' && e.path.startsWith(CLUSTER_PATH));

  const lastSeq = (): number => sim.cluster('host').requestLog.at(-1)?.seq ?? 0;

  function update(input: Record<string, unknown>, user: UserInfo = ADMIN) {
    return gql<{ updateCluster: { cluster: Updated } }>(subgraph, MUTATION, { input }, user);
  }

  /** the mutation failed with exactly one error of this code, and no data */
  function expectError(res: { data?: unknown; errors?: readonly GqlError[] }, code: string): GqlError {
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.map((e) => e.extensions?.['code'])).toEqual([code]);
    return res.errors?.[0] as GqlError;
  }

  it('the platform admin sets a description and a label: in the payload, on the host, then in Query.cluster', async () => {
    const since = lastSeq();
    const res = await update({
      name: 'prod',
      description: 'Production, EU west',
      labels: [{ key: 'example.com/tier', value: 'gold' }],
    });
    expect(res.errors).toBeUndefined();
    const cluster = res.data?.updateCluster.cluster;
    expect(cluster?.name).toBe('prod');
    expect(cluster?.description).toBe('Production, EU west');
    expect(cluster?.labels).toContainEqual({ key: 'example.com/tier', value: 'gold' });

    const object = stored('prod');
    expect(object?.metadata.annotations?.['kubesphere.io/description']).toBe('Production, EU west');
    expect(object?.metadata.labels?.['example.com/tier']).toBe('gold');
    // the payload shows the whole object as written: every label it has now, sorted by key
    expect(cluster?.labels).toEqual(
      Object.entries(object?.metadata.labels ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value]) => ({ key, value })),
    );

    // one PATCH, a merge patch, made as admin (impersonated by fleetgraph's own credentials)
    const sent = patches(since);
    expect(sent.map((e) => [e.path, e.contentType, e.impersonateUser, e.status])).toEqual([
      [`${CLUSTER_PATH}prod`, 'application/merge-patch+json', 'admin', 200],
    ]);
    // kube-sim logs the user a request acts as, after impersonation
    expect(sent[0]?.user).toBe('admin');

    await waitFor(async () => {
      const q = await gql<{ cluster: Updated | null }>(
        subgraph,
        '{ cluster(name: "prod") { name description labels { key value } } }',
      );
      return (
        q.data?.cluster?.description === 'Production, EU west' &&
        q.data.cluster.labels.some((l) => l.key === 'example.com/tier' && l.value === 'gold')
      );
    }, 'Query.cluster to show the new description and label');

    // an empty description and an empty label value remove them
    const cleared = await update({
      name: 'prod',
      description: '',
      labels: [{ key: 'example.com/tier', value: '' }],
    });
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data?.updateCluster.cluster.description).toBeNull();
    expect(cleared.data?.updateCluster.cluster.labels).not.toContainEqual(
      expect.objectContaining({ key: 'example.com/tier' }),
    );
    expect(stored('prod')?.metadata.annotations?.['kubesphere.io/description']).toBeUndefined();
    expect(stored('prod')?.metadata.labels?.['example.com/tier']).toBeUndefined();
  });

  it('refuses a workspace admin (alice) with FORBIDDEN, and the object stays as it was', async () => {
    const before = structuredClone(stored('prod'));
    const since = lastSeq();
    const res = await update(
      { name: 'prod', description: 'mine now', labels: [{ key: 'owner', value: 'alice' }] },
      userOf(sim, 'alice'),
    );
    expectError(res, 'FORBIDDEN');
    expect(stored('prod')).toEqual(before);
    expect(patches(since)).toEqual([]);
  });

  it('refuses mallory with FORBIDDEN for a known and an unknown cluster alike (no existence leak)', async () => {
    const since = lastSeq();
    const known = expectError(await update({ name: 'prod', description: 'x' }, MALLORY), 'FORBIDDEN');
    const unknown = expectError(await update({ name: 'nope', description: 'x' }, MALLORY), 'FORBIDDEN');
    expect(unknown.message).toBe(known.message.replace('"prod"', '"nope"'));
    // the same extensions, to the value: a refusal says what was refused, never why (no binding, role or workspace)
    expect(unknown.extensions).toEqual(known.extensions);
    expect(known.extensions).toEqual({ code: 'FORBIDDEN' });
    // checked before validation too: bad input from mallory is still FORBIDDEN
    expectError(
      await update({ name: 'nope', labels: [{ key: 'kubesphere.io/x', value: 'y' }] }, MALLORY),
      'FORBIDDEN',
    );
    expect(patches(since)).toEqual([]);
  });

  it.each([
    ['a malformed label key', { labels: [{ key: 'not a key!', value: 'v' }] }, 'labels'],
    ['a key with an empty name', { labels: [{ key: 'example.com/', value: 'v' }] }, 'labels'],
    ['a key under kubesphere.io', { labels: [{ key: 'kubesphere.io/workspace', value: 'v' }] }, 'labels'],
    [
      'a key under a kubesphere.io subdomain',
      { labels: [{ key: 'cluster.kubesphere.io/visibility', value: 'public' }] },
      'labels',
    ],
    ['a malformed label value', { labels: [{ key: 'tier', value: 'not a value' }] }, 'labels'],
    ['a description over 256 characters', { description: 'd'.repeat(257) }, 'description'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and writes nothing', async (_what, input, field) => {
    const before = structuredClone(stored('prod'));
    const since = lastSeq();
    const error = expectError(await update({ name: 'prod', ...input }), 'BAD_USER_INPUT');
    expect(error.extensions?.['field']).toBe(field);
    expect(patches(since)).toEqual([]);
    expect(stored('prod')).toEqual(before);
  });

  it('accepts a description of exactly 256 characters', async () => {
    const res = await update({ name: 'edge', description: 'e'.repeat(256) });
    expect(res.errors).toBeUndefined();
    expect(res.data?.updateCluster.cluster.description).toBe('e'.repeat(256));
  });

  it('answers CLUSTER_NOT_FOUND to the platform admin for an unknown cluster, and sends nothing', async () => {
    const since = lastSeq();
    const error = expectError(await update({ name: 'nope', description: 'x' }), 'CLUSTER_NOT_FOUND');
    expect(error.message).toMatch(/"nope"/);
    expect(patches(since)).toEqual([]);
  });

  it("a user fleetgraph allows but the host's RBAC does not: kube-sim refuses the PATCH → FORBIDDEN, nothing changes", async () => {
    sim.cluster('host').apply([
      {
        apiVersion: 'iam.kubesphere.io/v1beta1',
        kind: 'GlobalRole',
        metadata: { name: 'cluster-editor' },
        rules: [{ apiGroups: ['cluster.kubesphere.io'], resources: ['clusters'], verbs: ['update'] }],
      },
      {
        apiVersion: 'iam.kubesphere.io/v1beta1',
        kind: 'GlobalRoleBinding',
        metadata: { name: 'mallory-cluster-editor' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
        roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'GlobalRole', name: 'cluster-editor' },
      },
    ]);
    const before = structuredClone(stored('prod'));
    const since = lastSeq();
    // once the authorizer has seen the binding, fleetgraph lets the mutation through to the host
    const res = await waitFor(async () => {
      const r = await update({ name: 'prod', description: 'mallory was here' }, MALLORY);
      return patches(since).length > 0 ? r : undefined;
    }, "mallory's PATCH to reach the host");
    const error = expectError(res, 'FORBIDDEN');
    expect(error.extensions?.['cluster']).toBe('host');
    const sent = patches(since);
    expect(sent.map((e) => [e.path, e.impersonateUser, e.status])).toEqual([
      [`${CLUSTER_PATH}prod`, 'mallory', 403],
    ]);
    expect(sent[0]?.user).toBe('mallory');
    expect(stored('prod')).toEqual(before);
  });
});
