import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import { kubeRequest, loadKubeConfig, serverOf } from '@fleetgraph/lib/kube';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/** loadKubeConfig for every KubeSourceConfig kind, against kube-sim's kubeconfig. */

let sim: KubeSim;
let dir: string;

/** a kubeconfig with two contexts: `sim` (kube-sim) and `other` (a server nobody listens on) */
function twoContexts(): string {
  const kc = loadKubeConfig({ kind: 'inline', kubeconfig: sim.kubeconfig });
  const base = JSON.parse(kc.exportConfig()) as {
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
    users: unknown[];
    contexts: Array<{ name: string; context: Record<string, unknown> }>;
  };
  const [cluster] = base.clusters;
  const [context] = base.contexts;
  if (!cluster || !context) throw new Error('kube-sim kubeconfig without cluster or context');
  base.clusters.push({ name: 'other', cluster: { ...cluster.cluster, server: 'https://127.0.0.1:1' } });
  base.contexts.push({ name: 'other', context: { ...context.context, cluster: 'other' } });
  return JSON.stringify(base);
}

beforeAll(async () => {
  sim = await createKubeSim({ controllers: false });
  dir = await mkdtemp(join(tmpdir(), 'fleetgraph-kubeconfig-'));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  it('loads inline YAML, with working credentials and TLS', async () => {
    const kc = loadKubeConfig({ kind: 'inline', kubeconfig: sim.kubeconfig });
    expect(serverOf(kc)).toBe(sim.url);
    const version = await kubeRequest<{ gitVersion: string }>(kc, '/version');
    expect(version.gitVersion).toMatch(/kube-sim/);
    const ns = await kubeRequest<{ items: unknown[] }>(kc, '/api/v1/namespaces');
    expect(ns.items.length).toBeGreaterThan(0);
  });

  it('loads inline JSON and picks the named context', () => {
    const text = twoContexts();
    expect(serverOf(loadKubeConfig({ kind: 'inline', kubeconfig: text }))).toBe(sim.url);
    const other = loadKubeConfig({ kind: 'inline', kubeconfig: text, context: 'other' });
    expect(serverOf(other)).toBe('https://127.0.0.1:1');
  });

  it('loads a file, with a context', async () => {
    const path = join(dir, 'two.kubeconfig');
    await writeFile(path, twoContexts());
    expect(serverOf(loadKubeConfig({ kind: 'kubeconfig', path }))).toBe(sim.url);
    expect(serverOf(loadKubeConfig({ kind: 'kubeconfig', path, context: 'other' }))).toBe(
      'https://127.0.0.1:1',
    );
  });

  it('falls back to KUBECONFIG when no path is given', async () => {
    const path = join(dir, 'env.kubeconfig');
    await writeFile(path, sim.kubeconfig);
    vi.stubEnv('KUBECONFIG', path);
    expect(serverOf(loadKubeConfig({ kind: 'kubeconfig' }))).toBe(sim.url);
  });

  it('names the file when it is missing', () => {
    const path = join(dir, 'nope.kubeconfig');
    expect(() => loadKubeConfig({ kind: 'kubeconfig', path })).toThrow(
      new RegExp(`kubeconfig file ${path.replace(/[.\\/]/g, '\\$&')}.*ENOENT`),
    );
  });

  it('names the context and the ones there are when the context is missing', async () => {
    const path = join(dir, 'ctx.kubeconfig');
    await writeFile(path, twoContexts());
    expect(() => loadKubeConfig({ kind: 'kubeconfig', path, context: 'staging' })).toThrow(
      `kubeconfig file ${path} has no context "staging" (have: sim, other)`,
    );
    expect(() => loadKubeConfig({ kind: 'inline', kubeconfig: sim.kubeconfig, context: 'x' })).toThrow(
      'the inline kubeconfig has no context "x" (have: sim)',
    );
  });

  it('rejects inline text that is not a kubeconfig', () => {
    expect(() => loadKubeConfig({ kind: 'inline', kubeconfig: 'just some text' })).toThrow(
      /the inline kubeconfig has no current-context/,
    );
  });

  it('explains an in-cluster config outside a pod', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
    vi.stubEnv('KUBERNETES_SERVICE_PORT', undefined);
    expect(() => loadKubeConfig({ kind: 'in-cluster' })).toThrow(
      /in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    );
  });
});
