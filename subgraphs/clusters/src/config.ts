import { getEnvNum } from '@fleetgraph/lib/config';
import { type BaseSubgraphConfig, loadBaseSubgraphConfig } from '@fleetgraph/lib/subgraph';

export interface ClustersConfig extends BaseSubgraphConfig {
  /** PROBE_PERIOD_MS: how often every cluster is probed @default 10000 */
  probePeriodMs: number;
  /** PROBE_TIMEOUT_MS: how long one probe may take before the cluster counts as unreachable @default 3000 */
  probeTimeoutMs: number;
}

/** every environment variable the clusters subgraph reads, validated once (see README, Configuration) */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ClustersConfig {
  return {
    ...loadBaseSubgraphConfig(env, 4001),
    probePeriodMs: getEnvNum(env, 'PROBE_PERIOD_MS', { default: 10_000, min: 100, integer: true }),
    probeTimeoutMs: getEnvNum(env, 'PROBE_TIMEOUT_MS', { default: 3_000, min: 50, integer: true }),
  };
}
