import type { FleetAccess } from '@fleetgraph/lib/auth';
import {
  createDomainSubgraph,
  defineSubgraph,
  type DomainSource,
  type DomainSubgraph,
  sequence,
} from '@fleetgraph/lib/subgraph';
import { type Logger, silentLogger } from '@fleetgraph/lib/telemetry';

import { loadConfig } from './config.ts';
import type { ClustersContext } from './context.ts';
import { createGatewaySource } from './gateways/gatewaySource.ts';
import { probe } from './fleet/kube.ts';
import { type ClusterMonitor, createClusterMonitor } from './fleet/monitor.ts';
import { createInventory } from './inventory/kube.ts';
import { resolvers } from './resolvers.ts';
import { createUserSource } from './users/kube.ts';
import { createUpgradeSource } from './upgrades/kube.ts';
import { upgradingStatus } from './upgrades/model.ts';

export interface ClustersSubgraphOptions {
  /** the registry, authorizer and informer pool (shared by the subgraphs of one process) */
  fleet: FleetAccess;
  /** the secret the gateway signs identities with */
  identitySecret: string;
  /** @default 10_000 */
  probePeriodMs?: number;
  /** @default 3_000 */
  probeTimeoutMs?: number;
  /** @default 0 (ephemeral) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  log?: Logger;
}

export interface ClustersSubgraph extends DomainSubgraph {
  monitor: ClusterMonitor;
}

export function createClustersSubgraph(options: ClustersSubgraphOptions): ClustersSubgraph {
  const { fleet } = options;
  const log = options.log ?? silentLogger;
  const timeoutMs = options.probeTimeoutMs ?? 3_000;
  const upgrades = createUpgradeSource(fleet.registry, { log });
  const monitor = createClusterMonitor({
    registry: fleet.registry,
    // a READY cluster whose ks-core upgrade runs is UPGRADING
    adjust: (name, status) => upgradingStatus(status, () => upgrades.list(name)),
    probe: (cluster, signal) => probe(cluster, timeoutMs, signal),
    periodMs: options.probePeriodMs ?? 10_000,
    log,
  });
  const inventory = createInventory(fleet, log);
  const gateways = createGatewaySource(fleet, log);
  const users = createUserSource(fleet, log);
  let unsubscribeUpgrades: () => void = () => undefined;
  const sources: DomainSource[] = [
    // the monitor reads the upgrade jobs (a cluster being upgraded is UPGRADING), so they sync first
    sequence(
      'upgradesAndProbes',
      {
        name: 'upgradesSynced',
        async start() {
          await upgrades.start();
          unsubscribeUpgrades = upgrades.subscribe((id) => {
            const cluster = upgrades.get(id)?.cluster;
            if (cluster) monitor.refresh(cluster);
          });
        },
        synced: () => upgrades.hasSynced(),
        async stop() {
          unsubscribeUpgrades();
          await upgrades.stop();
        },
      },
      {
        name: 'probedAll',
        start: () => monitor.start(),
        synced: () => monitor.probedAll(),
        stop: () => monitor.stop(),
      },
    ),
    {
      name: 'inventorySynced',
      start: () => inventory.start(),
      synced: () => inventory.settled(),
      stop: () => inventory.stop(),
    },
    {
      name: 'gatewaysSettled',
      start: () => gateways.start(),
      synced: () => gateways.settled(),
      stop: () => gateways.stop(),
    },
    users,
  ];
  const subgraph = createDomainSubgraph<ClustersContext>({
    name: 'clusters',
    fleet,
    sources,
    resolvers,
    identitySecret: options.identitySecret,
    context: (base) => ({
      ...base,
      users,
      monitor,
      registry: fleet.registry,
      authorizer: fleet.authorizer,
      inventory,
      upgrades,
      gateways,
    }),
    log,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  return Object.assign(subgraph, { monitor });
}

/** how a process runs the clusters subgraph (its own main.ts, or every subgraph in one process) */
export const launcher = defineSubgraph({
  name: 'clusters',
  loadConfig,
  create: (config, { fleet, log }) =>
    createClustersSubgraph({
      fleet,
      identitySecret: config.identitySecret,
      probePeriodMs: config.probePeriodMs,
      probeTimeoutMs: config.probeTimeoutMs,
      port: config.port,
      host: config.host,
      log,
    }),
});
