export { createGateway, type Gateway, type GatewayOptions } from './createGateway.ts';
export { loadConfig, parseSubgraphUrls, type GatewayConfig } from './config.ts';
export type { SupergraphSource } from './supergraph.ts';
