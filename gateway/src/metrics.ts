import { Counter, Gauge } from 'prom-client';

import { createOperationMetrics, type OperationMetrics } from '@fleetgraph/lib/server';

/** The gateway's Prometheus metrics, served at /metrics. */
export interface GatewayMetrics extends OperationMetrics {
  upstreamSubscriptions: Gauge;
  events: Counter;
}

export function createGatewayMetrics(): GatewayMetrics {
  const base = createOperationMetrics({
    prefix: 'fleetgraph_gateway',
    defaultLabels: { service: 'gateway' },
    subscribers: 'Client subscriptions',
  });
  const registers = [base.registry];
  return {
    ...base,
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
