import {
  ConfigError,
  getEnvBool,
  getEnvLogLevel,
  getEnvNum,
  getEnvOptionalStr,
  getEnvSecret,
  getEnvStr,
} from '../config/index.ts';
import type { KubeSourceConfig } from '../kube/index.ts';
import type { LogLevel } from '../telemetry/index.ts';

/** The settings every subgraph process shares (see README, Configuration). */
export interface BaseSubgraphConfig {
  /** PORT; 0 picks a free port */
  port: number;
  /** HOST @default 127.0.0.1 */
  host: string;
  /** KUBE_IN_CLUSTER=1, or KUBECONFIG (a path; client-node's default lookup when unset) and KUBE_CONTEXT */
  kube: KubeSourceConfig;
  /** LOG_LEVEL @default info */
  logLevel: LogLevel;
  /** LOG_JSON @default false */
  logJson: boolean;
  /** FLEETGRAPH_IDENTITY_SECRET (or the file FLEETGRAPH_IDENTITY_SECRET_FILE): the gateway's signing secret */
  identitySecret: string;
}

const MIN_IDENTITY_SECRET = 32;

/** the identity-signing secret shared by the gateway and the subgraphs: required, at least 32 characters */
export function loadIdentitySecret(env: NodeJS.ProcessEnv): string {
  const secret = getEnvSecret(env, 'FLEETGRAPH_IDENTITY_SECRET');
  if (secret === undefined) {
    throw new ConfigError(
      'FLEETGRAPH_IDENTITY_SECRET',
      'FLEETGRAPH_IDENTITY_SECRET (or FLEETGRAPH_IDENTITY_SECRET_FILE) is required: the secret the gateway signs identities with',
    );
  }
  if (secret.length < MIN_IDENTITY_SECRET) {
    throw new ConfigError(
      'FLEETGRAPH_IDENTITY_SECRET',
      `FLEETGRAPH_IDENTITY_SECRET must be at least ${MIN_IDENTITY_SECRET} characters, got ${secret.length}`,
    );
  }
  return secret;
}

export function loadBaseSubgraphConfig(env: NodeJS.ProcessEnv, defaultPort: number): BaseSubgraphConfig {
  const kubeconfig = getEnvOptionalStr(env, 'KUBECONFIG');
  const context = getEnvOptionalStr(env, 'KUBE_CONTEXT');
  const kube: KubeSourceConfig = getEnvBool(env, 'KUBE_IN_CLUSTER', { default: false })
    ? { kind: 'in-cluster' }
    : { kind: 'kubeconfig', ...(kubeconfig ? { path: kubeconfig } : {}), ...(context ? { context } : {}) };
  return {
    port: getEnvNum(env, 'PORT', { default: defaultPort, min: 0, max: 65535, integer: true }),
    host: getEnvStr(env, 'HOST', { default: '127.0.0.1' }),
    kube,
    logLevel: getEnvLogLevel(env),
    logJson: getEnvBool(env, 'LOG_JSON', { default: false }),
    identitySecret: loadIdentitySecret(env),
  };
}
