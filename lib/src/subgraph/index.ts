export {
  createSubgraphServer,
  type Readiness,
  type SubgraphContext,
  type SubgraphServer,
  type SubgraphServerOptions,
} from './createSubgraphServer.ts';
export { createFormatError } from './formatError.ts';
export {
  BodyError,
  handleGraphQLHttp,
  readBody,
  sendGraphQLError,
  sendJson,
  type GraphQLHttpOptions,
} from './httpHost.ts';
export {
  createOperationMetrics,
  metricsPlugin,
  type OperationMetrics,
  type SubgraphMetrics,
} from './metrics.ts';
export { loadBaseSubgraphConfig, loadIdentitySecret, type BaseSubgraphConfig } from './baseConfig.ts';
export { runMain, type Runnable } from './runMain.ts';
export {
  createGraphQLHost,
  type GraphQLHost,
  type GraphQLHostOptions,
  type HostReadiness,
} from './graphqlHost.ts';
export {
  defaultSchemaDir,
  loadSubgraphTypeDefs,
  readSubgraphRegistry,
  readSubgraphSdl,
  type SubgraphEntry,
} from './registry.ts';
export {
  createDomainSubgraph,
  sequence,
  type DomainContext,
  type DomainSource,
  type DomainSubgraph,
  type DomainSubgraphOptions,
} from './createDomainSubgraph.ts';
export {
  defineSubgraph,
  runSubgraphs,
  type RunSubgraphsOptions,
  type SubgraphLauncher,
} from './runSubgraphs.ts';
export {
  connectionFrom,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  orderOf,
  ordering,
  pageSize,
  paginate,
  type Connection,
  type OrderByArg,
  type PageArgs,
  type PageInfo,
  type PaginateOptions,
} from './connection.ts';
export {
  changeStream,
  objectsOf,
  type ChangeEvent,
  type ChangeSource,
  type ChangeStreamOptions,
  type ChangeTypeValue,
  type ObjectChange,
} from './changes.ts';
export {
  MAX_LOG_TAIL,
  podLogLine,
  podLogStream,
  type LogLineModel,
  type PodLogEvent,
  type PodLogsArgs,
} from './podLogs.ts';
export {
  WRITE_WAIT_MS,
  writeThenWait,
  type CacheSubscribe,
  type WriteThenWaitOptions,
} from './writeThenWait.ts';
