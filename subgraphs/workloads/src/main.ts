import { runMain } from '@fleetgraph/lib/subgraph';

import { loadConfig } from './config.ts';
import { createPodSource, createRegistry } from './kube.ts';
import { createWorkloadsSubgraph } from './subgraph.ts';

/** process entry of the workloads subgraph */
runMain({
  service: 'workloads',
  loadConfig: () => loadConfig(),
  create: (config, log) =>
    createWorkloadsSubgraph({
      pods: createPodSource(createRegistry(config.kube, log), log),
      port: config.port,
      host: config.host,
      log,
    }),
});
