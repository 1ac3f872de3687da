import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, served at /metrics. */
export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'transport'>;
  errors: Counter<'operation' | 'code'>;
  duration: Histogram<'operation'>;
  subscriptions: Gauge;
  upstreamSubscriptions: Gauge;
  events: Counter;
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'gateway' });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'fleetgraph_gateway_operations_total',
      help: 'GraphQL operations received, by operation type and transport (http or ws)',
      labelNames: ['operation', 'transport'],
      registers,
    }),
    errors: new Counter({
      name: 'fleetgraph_gateway_errors_total',
      help: 'GraphQL errors returned to clients, by operation type and extensions.code',
      labelNames: ['operation', 'code'],
      registers,
    }),
    duration: new Histogram({
      name: 'fleetgraph_gateway_operation_duration_seconds',
      help: 'Time to answer a query or mutation',
      labelNames: ['operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    subscriptions: new Gauge({
      name: 'fleetgraph_gateway_subscriptions_active',
      help: 'Client subscriptions open now',
      registers,
    }),
    upstreamSubscriptions: new Gauge({
      name: 'fleetgraph_gateway_upstream_subscriptions_active',
      help: 'Subscriptions open to subgraphs now (identical client subscriptions share one)',
      registers,
    }),
    events: new Counter({
      name: 'fleetgraph_gateway_subscription_events_total',
      help: 'Subscription events delivered to clients',
      registers,
    }),
  };
}
