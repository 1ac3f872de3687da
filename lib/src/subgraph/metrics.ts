import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one subgraph process, served at /metrics. */
export interface SubgraphMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'transport'>;
  errors: Counter<'operation' | 'code'>;
  duration: Histogram<'operation'>;
  subscriptionsActive: Gauge;
  subscriptionsTotal: Counter;
}

export function createSubgraphMetrics(subgraph: string): SubgraphMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ subgraph });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'fleetgraph_subgraph_operations_total',
      help: 'GraphQL operations received, by operation type and transport (http or ws)',
      labelNames: ['operation', 'transport'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'fleetgraph_subgraph_errors_total',
      help: 'GraphQL errors returned, by operation type and extensions.code',
      labelNames: ['operation', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'fleetgraph_subgraph_operation_duration_seconds',
      help: 'Time to answer a query or mutation over HTTP',
      labelNames: ['operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    subscriptionsActive: new Gauge({
      name: 'fleetgraph_subgraph_subscriptions_active',
      help: 'Subscriptions open on this subgraph now',
      registers: [registry],
    }),
    subscriptionsTotal: new Counter({
      name: 'fleetgraph_subgraph_subscriptions_total',
      help: 'Subscriptions started since the process began',
      registers: [registry],
    }),
  };
}

/** counts operations, errors (by code) and latency of HTTP operations (a subgraph's or the gateway's metrics) */
export function metricsPlugin(
  metrics: Pick<SubgraphMetrics, 'requests' | 'errors' | 'duration'>,
): ApolloServerPlugin<BaseContext> {
  return {
    requestDidStart() {
      const started = performance.now();
      let operation = 'unknown';
      return Promise.resolve({
        didResolveOperation(ctx) {
          operation = ctx.operation?.operation ?? 'unknown';
          return Promise.resolve();
        },
        willSendResponse(ctx) {
          metrics.requests.inc({ operation, transport: 'http' });
          metrics.duration.observe({ operation }, (performance.now() - started) / 1000);
          const body = ctx.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
          for (const e of errors) {
            const code = typeof e.extensions?.['code'] === 'string' ? e.extensions['code'] : 'UNKNOWN';
            metrics.errors.inc({ operation, code });
          }
          return Promise.resolve();
        },
      });
    },
  };
}
