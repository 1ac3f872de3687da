import { createKubeSim, scaleFleet } from '../kube-sim/src/index.ts';

import { type BenchResult, type BenchSuite, median, sample } from './harness.ts';

/**
 * How long a fleet takes from createKubeSim() to every listener accepting requests (CA, certificates, seeding,
 * controllers started), against one empty cluster started in the same run.
 */

async function startAndClose(options: Parameters<typeof createKubeSim>[0]): Promise<void> {
  const sim = await createKubeSim(options);
  await sim.close();
}

async function run(log: (line: string) => void): Promise<BenchResult[]> {
  const suite = 'fleet start-up';
  log('one empty cluster, without controllers (baseline)');
  const empty = await sample(10, 2, () => startAndClose({ controllers: false }));
  log('the demo fleet (3 clusters, KubeSphere objects, users, controllers)');
  const demo = await sample(5, 1, () => startAndClose({ fleet: 'demo' }));
  log('a scale fleet: 3 clusters x 100 nodes x 30 pods, controllers on');
  const scale = await sample(3, 0, () =>
    startAndClose({ fleet: scaleFleet({ clusters: 3, nodesPerCluster: 100, podsPerNode: 30 }) }),
  );
  const base = 'one empty cluster, median';
  return [
    { suite, name: base, value: median(empty), unit: 'ms', samples: empty },
    { suite, name: 'demo fleet, median', value: median(demo), unit: 'ms', baseline: base, samples: demo },
    {
      suite,
      name: 'scale fleet 3x100x30 (9,000 pods), median',
      value: median(scale),
      unit: 'ms',
      baseline: base,
      samples: scale,
    },
  ];
}

export const fleetStartSuite: BenchSuite = {
  name: 'fleet start-up',
  description: 'createKubeSim() until every listener is ready: one empty cluster, the demo fleet, 9,000 pods',
  run,
};
