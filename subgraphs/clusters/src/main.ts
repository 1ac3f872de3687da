import { createFleetAccess } from '@fleetgraph/lib/auth';
import { runMain } from '@fleetgraph/lib/subgraph';

import { loadConfig } from './config.ts';
import { createClustersSubgraph } from './subgraph.ts';

/** process entry of the clusters subgraph */
runMain({
  service: 'clusters',
  loadConfig: () => loadConfig(),
  create: (config, log) =>
    createClustersSubgraph({
      ...createFleetAccess(config.kube, log),
      identitySecret: config.identitySecret,
      probePeriodMs: config.probePeriodMs,
      probeTimeoutMs: config.probeTimeoutMs,
      port: config.port,
      host: config.host,
      log,
    }),
});
