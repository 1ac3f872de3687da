import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../src/index.ts';
import { configMap, openWatch, raw, waitFor } from './support.ts';

/** Fault injection, programmatic and over /__sim/: latency, hangs, broken watches, restarts, offline windows. */

let sim: KubeSim;
beforeAll(async () => {
  sim = await createKubeSim({ seed: [configMap('default', 'keep', { k: 'v' })] });
});
afterAll(async () => {
  await sim.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const reachable = async (): Promise<boolean> =>
  raw(sim, 'GET', `${CM}/keep`).then(
    (r) => r.status === 200,
    () => false,
  );

describe('faults', () => {
  it('latency delays API requests until cleared', async () => {
    sim.cluster().faults.latency(300);
    const started = Date.now();
    expect((await raw(sim, 'GET', `${CM}/keep`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    sim.cluster().faults.clear();
  });

  it('a hanging cluster accepts connections and never answers, until it is back online', async () => {
    await sim.cluster().faults.offline('hang');
    const pending = raw(sim, 'GET', `${CM}/keep`).then(
      (r) => r.status,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const settledEarly = await Promise.race([
      pending.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 300)),
    ]);
    expect(settledEarly).toBe(false);
    expect(sim.cluster().isOffline).toBe('hang');
    await sim.cluster().faults.online();
    // the held request is cut when the cluster comes back; new ones are answered
    expect(await pending).toMatch(/socket hang up|ECONNRESET/);
    expect(await reachable()).toBe(true);
  });

  it('dropWatches breaks watch connections; resetWatches ends them cleanly', async () => {
    const rv = (await raw(sim, 'GET', CM)).json as { metadata: { resourceVersion: string } };
    const broken = await openWatch(sim, `${CM}?watch=true&resourceVersion=${rv.metadata.resourceVersion}`);
    expect(sim.cluster().faults.dropWatches()).toBeGreaterThanOrEqual(1);
    await broken.ended;
    const clean = await openWatch(sim, `${CM}?watch=true&resourceVersion=${rv.metadata.resourceVersion}`);
    expect(sim.cluster().faults.resetWatches()).toBe(1);
    await clean.ended;
    expect(sim.cluster().store.watcherCount()).toBe(0);
  });

  it('restart over /__sim/ brings the listener back on the same port with every object', async () => {
    const url = sim.cluster().url;
    const res = await raw(sim, 'POST', '/__sim/restart', { body: { downMs: 300 } });
    expect(res.status).toBe(202);
    await waitFor(async () => !(await reachable()), 'the listener to go away');
    await waitFor(reachable, 'the listener to come back');
    expect(sim.cluster().url).toBe(url);
    expect((await raw(sim, 'GET', `${CM}/keep`)).json).toMatchObject({ data: { k: 'v' } });
  });

  it('offline over /__sim/ refuses connections for the given time only', async () => {
    expect((await raw(sim, 'POST', '/__sim/offline', { body: { mode: 'refuse' } })).status).toBe(400);
    expect((await raw(sim, 'POST', '/__sim/offline', { body: { mode: 'refuse', forMs: 400 } })).status).toBe(
      202,
    );
    await waitFor(async () => !(await reachable()), 'the cluster to go offline');
    await expect(raw(sim, 'GET', `${CM}/keep`)).rejects.toThrow(/ECONNREFUSED/);
    await waitFor(reachable, 'the cluster to come back');
  });

  it('failNext can target one path prefix', async () => {
    sim.cluster().faults.failNext({ count: 1, status: 429, pathPrefix: '/apis/apps' });
    expect((await raw(sim, 'GET', CM)).status).toBe(200);
    const limited = await raw(sim, 'GET', '/apis/apps/v1/deployments');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect((await raw(sim, 'GET', '/apis/apps/v1/deployments')).status).toBe(200);
  });
});
