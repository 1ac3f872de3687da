import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { loadKubeConfig, probeCluster } from '@fleetgraph/lib/kube';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createCertificateAuthority, createServingCert } from '../../kube-sim/src/certs.ts';

/** probeCluster against kube-sim: each outcome from a real HTTPS exchange (or the lack of one). */

let sim: KubeSim;
let other: KubeSim;

const kubeConfig = (text = sim.kubeconfig) => loadKubeConfig({ kind: 'inline', kubeconfig: text });

beforeAll(async () => {
  sim = await createKubeSim({ controllers: false });
  // another CA: its certificate authority did not sign sim's serving certificate
  other = await createKubeSim({ controllers: false });
});

afterEach(async () => {
  sim.cluster().faults.clear();
  await sim.cluster().faults.online();
});

afterAll(async () => {
  await sim.close();
  await other.close();
});

describe('probeCluster', () => {
  it('READY with the gitVersion', async () => {
    const r = await probeCluster(kubeConfig());
    expect(r).toMatchObject({ outcome: 'READY', reason: 'Ready', gitVersion: 'v1.30.0-kube-sim' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.at).toBeInstanceOf(Date);
    expect(sim.cluster().requestLog.map((e) => `${e.path} ${e.user}`)).toEqual(
      expect.arrayContaining(['/version kube-sim-admin', '/readyz kube-sim-admin']),
    );
  });

  it('UNAUTHORIZED with a bad token', async () => {
    const r = await probeCluster(kubeConfig(sim.cluster().kubeconfig('not-a-valid-token')));
    expect(r).toMatchObject({ outcome: 'UNAUTHORIZED', reason: 'Unauthorized', statusCode: 401 });
    expect(r.gitVersion).toBeUndefined();
  });

  it('UNAUTHORIZED/Forbidden on 403', async () => {
    sim.cluster().faults.failNext({ count: 1, status: 403, message: 'no access' });
    const r = await probeCluster(kubeConfig());
    expect(r).toMatchObject({
      outcome: 'UNAUTHORIZED',
      reason: 'Forbidden',
      statusCode: 403,
      message: 'no access',
    });
  });

  it('UNREACHABLE/ConnectionRefused when the cluster is offline', async () => {
    await sim.cluster().faults.offline('refuse');
    const r = await probeCluster(kubeConfig());
    expect(r).toMatchObject({ outcome: 'UNREACHABLE', reason: 'ConnectionRefused' });
    expect(r.message).toMatch(/ECONNREFUSED/);
  });

  it('UNREACHABLE/Timeout when the cluster hangs', async () => {
    await sim.cluster().faults.offline('hang');
    const r = await probeCluster(kubeConfig(), { timeoutMs: 300 });
    expect(r).toMatchObject({ outcome: 'UNREACHABLE', reason: 'Timeout' });
  });

  it('UNREACHABLE/Aborted when the caller aborts', async () => {
    await sim.cluster().faults.offline('hang');
    const controller = new AbortController();
    const pending = probeCluster(kubeConfig(), { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'UNREACHABLE', reason: 'Aborted' });
  });

  it('NOT_READY/ServerError on 503', async () => {
    sim.cluster().faults.failNext({ count: 1, status: 503 });
    const r = await probeCluster(kubeConfig());
    expect(r).toMatchObject({ outcome: 'NOT_READY', reason: 'ServerError', statusCode: 503 });
  });

  it('NOT_READY/NotReady with the body when /readyz fails', async () => {
    sim.cluster().faults.failNext({ count: 1, status: 500, pathPrefix: '/readyz', message: 'etcd failed' });
    const r = await probeCluster(kubeConfig());
    expect(r).toMatchObject({ outcome: 'NOT_READY', reason: 'NotReady', statusCode: 500 });
    expect(r.message).toMatch(/etcd failed/);
    expect(r.gitVersion).toBe('v1.30.0-kube-sim');
  });

  it('UNREACHABLE/CertificateInvalid with a CA that did not sign the server certificate', async () => {
    const text = sim.kubeconfig.replace(
      /certificate-authority-data: \S+/,
      `certificate-authority-data: ${Buffer.from(other.caPem).toString('base64')}`,
    );
    expect(text).not.toBe(sim.kubeconfig);
    const r = await probeCluster(kubeConfig(text));
    expect(r).toMatchObject({ outcome: 'UNREACHABLE', reason: 'CertificateInvalid' });
  });

  it('UNREACHABLE/CertificateExpired when the API server presents an expired certificate', async () => {
    const ca = await createCertificateAuthority('expired-test-ca');
    const day = 24 * 3600_000;
    const cert = await createServingCert(ca, ['127.0.0.1'], {
      notBefore: new Date(Date.now() - 30 * day),
      notAfter: new Date(Date.now() - day),
    });
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"gitVersion":"v1.30.0"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const text = sim.kubeconfig
        .replace(/server: \S+/, `server: https://127.0.0.1:${port}`)
        .replace(
          /certificate-authority-data: \S+/,
          `certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}`,
        );
      const r = await probeCluster(kubeConfig(text));
      expect(r).toMatchObject({ outcome: 'UNREACHABLE', reason: 'CertificateExpired' });
      expect(r.message).toMatch(/expired/i);
    } finally {
      server.close();
    }
  });

  it('UNREACHABLE/InvalidKubeconfig without a kubeconfig', async () => {
    const r = await probeCluster(undefined);
    expect(r).toMatchObject({ outcome: 'UNREACHABLE', reason: 'InvalidKubeconfig' });
  });
});
