import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { isForbidden, KubeHttpError, kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** kubeRequest against kube-sim's demo fleet: writes as the end user, judged by the cluster's own RBAC. */

let sim: KubeSim;
const prod = () => loadKubeConfig({ kind: 'inline', kubeconfig: sim.cluster('prod').kubeconfig() });
const configMap = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { a: '1' },
});

beforeAll(async () => {
  sim = await createKubeSim({ fleet: 'demo', controllers: false });
});

afterAll(async () => {
  await sim.close();
});

describe('kubeRequest with impersonation', () => {
  it('writes as a user the cluster allows (alice administers retail, whose project shop is on prod)', async () => {
    const created = await kubeRequest<{ metadata: { name: string } }>(
      prod(),
      '/api/v1/namespaces/shop/configmaps',
      {
        method: 'POST',
        body: configMap('by-alice'),
        impersonate: { user: 'alice', groups: ['system:authenticated'] },
      },
    );
    expect(created.metadata.name).toBe('by-alice');
    expect(sim.cluster('prod').store.get('configmaps', 'shop', 'by-alice')).toBeDefined();
  });

  it('is refused with 403 for a user the cluster does not allow, and changes nothing', async () => {
    const err = await kubeRequest(prod(), '/api/v1/namespaces/shop/configmaps', {
      method: 'POST',
      body: configMap('by-victor'),
      impersonate: { user: 'victor', groups: ['system:authenticated'] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeHttpError);
    expect(isForbidden(err)).toBe(true);
    expect((err as KubeHttpError).message).toMatch(/victor/);
    expect(sim.cluster('prod').store.get('configmaps', 'shop', 'by-victor')).toBeUndefined();
  });

  it("without impersonation, writes with the kubeconfig's own identity", async () => {
    await kubeRequest(prod(), '/api/v1/namespaces/shop/configmaps', {
      method: 'POST',
      body: configMap('by-admin'),
    });
    expect(sim.cluster('prod').store.get('configmaps', 'shop', 'by-admin')).toBeDefined();
  });
});
