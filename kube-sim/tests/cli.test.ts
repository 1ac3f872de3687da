import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { runSim } from './runSim.ts';

/** `npm run sim`: the command-line entry, run as a user runs it. */

describe('npm run sim', () => {
  it(
    'runs a fleet spec file, writes one working kubeconfig per cluster, and stops on SIGTERM',
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-'));
      const spec = join(dir, 'fleet.yaml');
      await writeFile(
        spec,
        stringify({
          clusters: [
            {
              name: 'alpha',
              nodes: 2,
              objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }],
            },
            { name: 'beta', nodes: [{ name: 'gpu-1', extended: { 'nvidia.com/gpu': '8' } }] },
          ],
        }),
      );
      const out = join(dir, 'out');
      const sim = runSim(['--fleet', spec, '--out', out]);
      try {
        const printed = await sim.ready;
        expect(printed).toMatch(/cluster alpha\s+https:\/\/127\.0\.0\.1:\d+/);
        expect(printed).toMatch(/cluster beta\s+https:\/\/127\.0\.0\.1:\d+/);
        const kc = new KubeConfig();
        kc.loadFromString(await readFile(join(out, 'beta.kubeconfig'), 'utf8'));
        expect(kc.getCurrentCluster()?.caData).toBeTruthy();
        const nodes = await kc.makeApiClient(CoreV1Api).listNode();
        expect(nodes.items.map((n) => [n.metadata?.name, n.status?.capacity?.['nvidia.com/gpu']])).toEqual([
          ['gpu-1', '8'],
        ]);
        const alpha = new KubeConfig();
        alpha.loadFromString(await readFile(join(out, 'alpha.kubeconfig'), 'utf8'));
        const ns = await alpha.makeApiClient(CoreV1Api).readNamespace({ name: 'team-a' });
        expect(ns.status?.phase).toBe('Active');
      } finally {
        sim.stop();
      }
      expect(await sim.exited).toBe(0);
    },
  );

  it('refuses a bad fleet spec with a message naming the field', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-'));
    const spec = join(dir, 'bad.yaml');
    await writeFile(spec, stringify({ clusters: [{ name: 'Not_A_Label' }] }));
    const sim = runSim(['--fleet', spec, '--out', join(dir, 'out')]);
    await expect(sim.ready).rejects.toThrow(/clusters\[0\]\.name must be a DNS-1123 label/);
    expect(await sim.exited).toBe(1);
  });
});
