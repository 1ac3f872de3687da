import { type BaseSubgraphConfig, loadBaseSubgraphConfig } from '@fleetgraph/lib/subgraph';

export type WorkloadsConfig = BaseSubgraphConfig;

/** every environment variable the workloads subgraph reads, validated once (see README, Configuration) */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkloadsConfig {
  return loadBaseSubgraphConfig(env, 4002);
}
