import { describe, expect, it } from 'vitest';

import { collectionPath, gvrString, objectPath } from '../src/kube/index.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const CLUSTERS = { group: 'cluster.kubesphere.io', version: 'v1alpha1', resource: 'clusters' };

describe('group/version/resource paths', () => {
  it('puts the core group under /api and every other group under /apis/<group>', () => {
    expect(collectionPath(NODES)).toBe('/api/v1/nodes');
    expect(collectionPath(PODS)).toBe('/api/v1/pods');
    expect(collectionPath(DEPLOYMENTS)).toBe('/apis/apps/v1/deployments');
    expect(collectionPath(CLUSTERS)).toBe('/apis/cluster.kubesphere.io/v1alpha1/clusters');
  });

  it('scopes a collection to a namespace; no namespace (or an empty one) is every namespace', () => {
    expect(collectionPath({ ...PODS, namespace: 'kubesphere-system' })).toBe(
      '/api/v1/namespaces/kubesphere-system/pods',
    );
    expect(collectionPath({ ...DEPLOYMENTS, namespace: 'x' })).toBe('/apis/apps/v1/namespaces/x/deployments');
    expect(collectionPath({ ...PODS, namespace: '' })).toBe('/api/v1/pods');
    expect(collectionPath({ ...PODS, namespace: undefined })).toBe('/api/v1/pods');
  });

  it('names one object, escaping the name and the namespace', () => {
    expect(objectPath({ ...CLUSTERS, name: 'prod' })).toBe(
      '/apis/cluster.kubesphere.io/v1alpha1/clusters/prod',
    );
    expect(objectPath({ ...NODES, name: 'node-1' })).toBe('/api/v1/nodes/node-1');
    expect(objectPath({ ...DEPLOYMENTS, namespace: 'a b', name: 'x/y?z' })).toBe(
      '/apis/apps/v1/namespaces/a%20b/deployments/x%2Fy%3Fz',
    );
  });

  it('names a GVR for logs as group/version/resource', () => {
    expect(gvrString(NODES)).toBe('v1/nodes');
    expect(gvrString(DEPLOYMENTS)).toBe('apps/v1/deployments');
    expect(gvrString(CLUSTERS)).toBe('cluster.kubesphere.io/v1alpha1/clusters');
  });
});
