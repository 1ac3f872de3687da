import { readFileSync } from 'node:fs';

import { type Authorizer, createRequestAuthz } from '@fleetgraph/lib/auth';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';
import { createSubgraphServer, type SubgraphServer } from '@fleetgraph/lib/subgraph';
import { type Logger, silentLogger } from '@fleetgraph/lib/telemetry';
import { parse } from 'graphql';

import type { ClustersContext } from './context.ts';
import { createGatewaySource } from './gateways/kube.ts';
import { createInventory, createUpgradeSource, probe } from './kube.ts';
import { type ClusterMonitor, createClusterMonitor } from './monitor.ts';
import { resolvers } from './resolvers.ts';
import { isFinished } from './upgrades/model.ts';

export const typeDefs = parse(
  readFileSync(new URL('../../../schema/clusters.graphql', import.meta.url), 'utf8'),
);

export interface ClustersSubgraphOptions {
  /** the member-cluster registry (started by start()) */
  registry: ClusterRegistry;
  /** the fleet's roles and bindings (started by start()) */
  authorizer: Authorizer;
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

export interface ClustersSubgraph extends AsyncDisposable {
  server: SubgraphServer;
  /** the GraphQL URL, once listening */
  readonly url: string;
  monitor: ClusterMonitor;
  /** listens at once (/readyz answers 503), then syncs the registry and probes every cluster once */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createClustersSubgraph(options: ClustersSubgraphOptions): ClustersSubgraph {
  const log = options.log ?? silentLogger;
  const timeoutMs = options.probeTimeoutMs ?? 3_000;
  const upgrades = createUpgradeSource(options.registry, { log });
  const monitor = createClusterMonitor({
    registry: options.registry,
    adjust: (name, status) => {
      const running = status.phase === 'READY' ? upgrades.list(name).find((u) => !isFinished(u)) : undefined;
      return running
        ? {
            ...status,
            phase: 'UPGRADING',
            ready: false,
            reason: 'Upgrading',
            message: `KubeSphere is being upgraded${running.toVersion ? ` to ${running.toVersion}` : ''} (job ${running.id})`,
          }
        : status;
    },
    probe: (cluster, signal) => probe(cluster, timeoutMs, signal),
    periodMs: options.probePeriodMs ?? 10_000,
    log,
  });
  const inventory = createInventory(options.registry, log);
  const gateways = createGatewaySource(options.registry, log);
  let ready = false;
  const server = createSubgraphServer<ClustersContext>({
    name: 'clusters',
    typeDefs,
    resolvers,
    identitySecret: options.identitySecret,
    context: (base) => ({
      ...base,
      monitor,
      registry: options.registry,
      inventory,
      upgrades,
      gateways,
      authorizer: options.authorizer,
      authz: createRequestAuthz(options.authorizer, base.user),
    }),
    readiness: () => ({
      ready,
      checks: {
        registrySynced: options.registry.hasSynced(),
        authorizerSynced: options.authorizer.hasSynced(),
        probedAll: monitor.probedAll(),
        inventorySynced: inventory.settled(),
        upgradesSynced: upgrades.hasSynced(),
        gatewaysSettled: gateways.settled(),
      },
    }),
    log,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  const subgraph: ClustersSubgraph = {
    server,
    get url() {
      return server.url;
    },
    monitor,
    async start() {
      await server.listen();
      await options.registry.start();
      await upgrades.start();
      upgrades.subscribe((id) => {
        const cluster = upgrades.get(id)?.cluster;
        if (cluster) monitor.refresh(cluster);
      });
      await Promise.all([monitor.start(), options.authorizer.start(), inventory.start(), gateways.start()]);
      ready = true;
    },
    async close() {
      ready = false;
      await server.close();
      await monitor.stop();
      await inventory.stop();
      await gateways.stop();
      await upgrades.stop();
      await options.authorizer.stop();
      await options.registry.stop();
    },
    [Symbol.asyncDispose]() {
      return subgraph.close();
    },
  };
  return subgraph;
}
