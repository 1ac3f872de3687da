import { runMain } from '@fleetgraph/lib/server';

import { loadConfig } from './config.ts';
import { createGateway } from './createGateway.ts';

/** process entry of the gateway */
runMain({
  service: 'gateway',
  loadConfig: () => loadConfig(),
  create: (config, log) =>
    createGateway({
      supergraph: config.supergraph,
      subgraphUrls: config.subgraphUrls,
      port: config.port,
      host: config.host,
      explorer: config.explorer,
      limits: config.limits,
      auth: config.auth,
      log,
    }),
});
