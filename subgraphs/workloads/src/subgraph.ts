import type { FleetAccess } from '@fleetgraph/lib/auth';
import { createDomainSubgraph, defineSubgraph, type DomainSubgraph } from '@fleetgraph/lib/subgraph';
import { type Logger, silentLogger } from '@fleetgraph/lib/telemetry';

import { loadConfig } from './config.ts';
import type { WorkloadsContext } from './context.ts';
import { createPodSource } from './pods/kube.ts';
import { resolvers } from './resolvers.ts';

export interface WorkloadsSubgraphOptions {
  /** the registry, authorizer and informer pool (shared by the subgraphs of one process) */
  fleet: FleetAccess;
  /** the secret the gateway signs identities with */
  identitySecret: string;
  /** @default 0 (ephemeral) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  log?: Logger;
}

export function createWorkloadsSubgraph(options: WorkloadsSubgraphOptions): DomainSubgraph {
  const log = options.log ?? silentLogger;
  const pods = createPodSource(options.fleet, log);
  return createDomainSubgraph<WorkloadsContext>({
    name: 'workloads',
    fleet: options.fleet,
    sources: [pods],
    resolvers,
    identitySecret: options.identitySecret,
    context: (base) => ({ ...base, pods }),
    log,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
}

/** how a process runs the workloads subgraph (its own main.ts, or every subgraph in one process) */
export const launcher = defineSubgraph({
  name: 'workloads',
  loadConfig,
  create: (config, { fleet, log }) =>
    createWorkloadsSubgraph({
      fleet,
      identitySecret: config.identitySecret,
      port: config.port,
      host: config.host,
      log,
    }),
});
