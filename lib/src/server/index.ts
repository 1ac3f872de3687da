/**
 * @fleetgraph/lib/server: the HTTP and WebSocket host that the gateway and every subgraph serve GraphQL from
 * (/graphql, /healthz, /readyz, /metrics), the operation metrics, error formatting and a process's main. It loads
 * no Kubernetes code; the subgraph kit (@fleetgraph/lib/subgraph) builds on it.
 */
export {
  createGraphQLHost,
  type GraphQLHost,
  type GraphQLHostOptions,
  type HostReadiness,
} from '../subgraph/graphqlHost.ts';
export {
  BodyError,
  handleGraphQLHttp,
  readBody,
  sendGraphQLError,
  sendJson,
  type GraphQLHttpOptions,
} from '../subgraph/httpHost.ts';
export {
  createOperationMetrics,
  metricsPlugin,
  type OperationMetrics,
  type SubgraphMetrics,
} from '../subgraph/metrics.ts';
export { createFormatError } from '../subgraph/formatError.ts';
export { loadIdentitySecret } from '../subgraph/baseConfig.ts';
export { runMain, type Runnable } from '../subgraph/runMain.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pages.ts';
