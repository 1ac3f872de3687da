import { parseArgs } from 'node:util';

import {
  ConfigError,
  getEnvBool,
  getEnvLogLevel,
  getEnvNum,
  getEnvOptionalStr,
  getEnvStr,
} from '@fleetgraph/lib/config';
import type { LogLevel } from '@fleetgraph/lib/telemetry';

import { type AuthConfig, loadAuthConfig } from './auth/config.ts';
import { type LimitsConfig, loadLimitsConfig } from './limits/config.ts';
import type { SupergraphSource } from './supergraph.ts';

export interface GatewayConfig {
  port: number;
  host: string;
  supergraph: SupergraphSource;
  subgraphUrls: Record<string, string>;
  explorer: boolean;
  logLevel: LogLevel;
  logJson: boolean;
  /** the defences of the public endpoint: MAX_*, INTROSPECTION, EXPLORER, PERSISTED_OPERATIONS_FILE, ... */
  limits: LimitsConfig;
  /** authentication and identity signing (AUTH_*, FLEETGRAPH_IDENTITY_SECRET) */
  auth: AuthConfig;
}

/** SUBGRAPH_URLS="clusters=http://127.0.0.1:4001/graphql,workloads=http://..." */
export function parseSubgraphUrls(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const out: Record<string, string> = {};
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const url = part.slice(eq + 1).trim();
    if (eq <= 0 || !/^https?:\/\//.test(url))
      throw new ConfigError(
        'SUBGRAPH_URLS',
        `SUBGRAPH_URLS: expected name=http(s)://host:port/path pairs separated by commas, got "${part}"`,
      );
    out[name] = url;
  }
  return out;
}

/**
 * every setting of the gateway, from the environment and the command line (`--supergraph <path|url>` and
 * `--port` win over SUPERGRAPH and PORT); see README, Configuration
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv.slice(2),
): GatewayConfig {
  let values: { supergraph?: string | undefined; port?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { supergraph: { type: 'string' }, port: { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    throw new ConfigError(
      'argv',
      `${e instanceof Error ? e.message : String(e)} (flags: --supergraph <path|url>, --port <n>)`,
    );
  }
  const supergraph = values.supergraph ?? getEnvOptionalStr(env, 'SUPERGRAPH') ?? 'schema/supergraph.graphql';
  const source: SupergraphSource = /^https?:\/\//.test(supergraph)
    ? {
        kind: 'url',
        url: supergraph,
        pollMs: getEnvNum(env, 'SUPERGRAPH_POLL_MS', { default: 10_000, min: 100, integer: true }),
      }
    : {
        kind: 'file',
        path: supergraph,
        pollMs: getEnvNum(env, 'SUPERGRAPH_POLL_MS', { default: 1000, min: 100, integer: true }),
      };
  const port =
    values.port !== undefined
      ? getEnvNum({ PORT: values.port }, 'PORT', { min: 0, max: 65535, integer: true })
      : getEnvNum(env, 'PORT', { default: 4000, min: 0, max: 65535, integer: true });
  const limits = loadLimitsConfig(env);
  return {
    port,
    host: getEnvStr(env, 'HOST', { default: '127.0.0.1' }),
    supergraph: source,
    subgraphUrls: parseSubgraphUrls(getEnvOptionalStr(env, 'SUBGRAPH_URLS')),
    // EXPLORER: on by default, off when NODE_ENV=production unless set (read by loadLimitsConfig)
    explorer: limits.explorer,
    logLevel: getEnvLogLevel(env),
    logJson: getEnvBool(env, 'LOG_JSON', { default: false }),
    limits,
    auth: loadAuthConfig(env),
  };
}
