import { ConfigError, getEnvBool, getEnvNum, getEnvOptionalStr } from '@fleetgraph/lib/config';

import { loadManifestFile, type PersistedOperations } from '../persisted/manifest.ts';

/** The defences of the public endpoint (docs/operations.md, Gateway); read by `loadLimitsConfig`. */
export interface LimitsConfig {
  /**
   * deepest nesting of fields (MAX_DEPTH)
   * @default 12
   */
  maxDepth: number;
  /**
   * aliases per operation (MAX_ALIASES)
   * @default 30
   */
  maxAliases: number;
  /**
   * root fields per operation (MAX_ROOT_FIELDS)
   * @default 20
   */
  maxRootFields: number;
  /**
   * lexical tokens per document (MAX_TOKENS)
   * @default 5000
   */
  maxTokens: number;
  /**
   * estimated cost per operation, see limits/cost.ts (MAX_COST)
   * @default 10000
   */
  maxCost: number;
  /**
   * the assumed size of a list field without a page-size argument (DEFAULT_LIST_SIZE)
   * @default 50
   */
  defaultListSize: number;
  /**
   * HTTP request body and WebSocket message size (MAX_BODY_BYTES)
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes: number;
  /**
   * operations open at once on one graphql-ws connection (MAX_OPERATIONS_PER_CONNECTION)
   * @default 100
   */
  maxOperationsPerConnection: number;
  /**
   * graphql-ws connections one user may hold open at once (MAX_CONNECTIONS_PER_USER); one more is closed with 4430
   * @default 32
   */
  maxConnectionsPerUser: number;
  /**
   * allow `__schema` / `__type` (INTROSPECTION)
   * @default true, but false when NODE_ENV=production
   */
  introspection: boolean;
  /**
   * serve the explorer to browsers (EXPLORER)
   * @default true, but false when NODE_ENV=production
   */
  explorer: boolean;
  /** trusted documents read from PERSISTED_OPERATIONS_FILE @default none */
  persistedOperations?: PersistedOperations;
  /**
   * run only operations of the manifest (REQUIRE_PERSISTED_OPERATIONS)
   * @default false
   */
  requirePersistedOperations: boolean;
}

export const DEFAULT_LIMITS = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5000,
  maxCost: 10_000,
  defaultListSize: 10,
  maxBodyBytes: 1024 * 1024,
  maxOperationsPerConnection: 100,
  maxConnectionsPerUser: 32,
} as const;

export function loadLimitsConfig(env: NodeJS.ProcessEnv = process.env): LimitsConfig {
  const production = getEnvOptionalStr(env, 'NODE_ENV') === 'production';
  const count = (name: string, def: number, min = 1): number =>
    getEnvNum(env, name, { default: def, min, integer: true });
  const file = getEnvOptionalStr(env, 'PERSISTED_OPERATIONS_FILE');
  let persistedOperations: PersistedOperations | undefined;
  if (file !== undefined) {
    try {
      persistedOperations = loadManifestFile(file);
    } catch (e) {
      throw new ConfigError(
        'PERSISTED_OPERATIONS_FILE',
        `PERSISTED_OPERATIONS_FILE: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const requirePersistedOperations = getEnvBool(env, 'REQUIRE_PERSISTED_OPERATIONS', { default: false });
  if (requirePersistedOperations && !persistedOperations)
    throw new ConfigError(
      'REQUIRE_PERSISTED_OPERATIONS',
      'REQUIRE_PERSISTED_OPERATIONS=true needs PERSISTED_OPERATIONS_FILE (the manifest of allowed operations)',
    );
  return {
    maxDepth: count('MAX_DEPTH', DEFAULT_LIMITS.maxDepth),
    maxAliases: count('MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 0),
    maxRootFields: count('MAX_ROOT_FIELDS', DEFAULT_LIMITS.maxRootFields),
    maxTokens: count('MAX_TOKENS', DEFAULT_LIMITS.maxTokens),
    maxCost: count('MAX_COST', DEFAULT_LIMITS.maxCost),
    defaultListSize: count('DEFAULT_LIST_SIZE', DEFAULT_LIMITS.defaultListSize),
    maxBodyBytes: count('MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes, 1024),
    maxOperationsPerConnection: count(
      'MAX_OPERATIONS_PER_CONNECTION',
      DEFAULT_LIMITS.maxOperationsPerConnection,
    ),
    maxConnectionsPerUser: count('MAX_CONNECTIONS_PER_USER', DEFAULT_LIMITS.maxConnectionsPerUser),
    introspection: getEnvBool(env, 'INTROSPECTION', { default: !production }),
    explorer: getEnvBool(env, 'EXPLORER', { default: !production }),
    ...(persistedOperations ? { persistedOperations } : {}),
    requirePersistedOperations,
  };
}
