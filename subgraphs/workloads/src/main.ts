import { createFleetAccess } from '@fleetgraph/lib/auth';
import { runMain } from '@fleetgraph/lib/subgraph';

import { loadConfig } from './config.ts';
import { createPodSource } from './kube.ts';
import { createWorkloadsSubgraph } from './subgraph.ts';

/** process entry of the workloads subgraph */
runMain({
  service: 'workloads',
  loadConfig: () => loadConfig(),
  create: (config, log) => {
    const { registry, authorizer } = createFleetAccess(config.kube, log);
    return createWorkloadsSubgraph({
      pods: createPodSource(registry, log),
      authorizer,
      identitySecret: config.identitySecret,
      port: config.port,
      host: config.host,
      log,
    });
  },
});
