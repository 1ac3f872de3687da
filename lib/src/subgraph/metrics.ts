import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics every fleetgraph service has: operations, errors by code, latency, open subscriptions. */
export interface OperationMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'transport'>;
  errors: Counter<'operation' | 'code'>;
  duration: Histogram<'operation'>;
  subscriptionsActive: Gauge;
}

/**
 * A registry with the process's default metrics and `<prefix>_operations_total`, `<prefix>_errors_total`,
 * `<prefix>_operation_duration_seconds` and `<prefix>_subscriptions_active`.
 */
export function createOperationMetrics(o: {
  prefix: string;
  defaultLabels: Record<string, string>;
  /** who the subscriptions gauge counts, for its help text */
  subscribers: string;
}): OperationMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(o.defaultLabels);
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: `${o.prefix}_operations_total`,
      help: 'GraphQL operations received, by operation type and transport (http or ws)',
      labelNames: ['operation', 'transport'],
      registers,
    }),
    errors: new Counter({
      name: `${o.prefix}_errors_total`,
      help: 'GraphQL errors returned, by operation type and extensions.code',
      labelNames: ['operation', 'code'],
      registers,
    }),
    duration: new Histogram({
      name: `${o.prefix}_operation_duration_seconds`,
      help: 'Time to answer a query or mutation over HTTP',
      labelNames: ['operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    subscriptionsActive: new Gauge({
      name: `${o.prefix}_subscriptions_active`,
      help: `${o.subscribers} open now`,
      registers,
    }),
  };
}

/** The Prometheus metrics of one subgraph process, served at /metrics. */
export interface SubgraphMetrics extends OperationMetrics {
  subscriptionsTotal: Counter;
}

export function createSubgraphMetrics(subgraph: string): SubgraphMetrics {
  const base = createOperationMetrics({
    prefix: 'fleetgraph_subgraph',
    defaultLabels: { subgraph },
    subscribers: 'Subscriptions on this subgraph',
  });
  return {
    ...base,
    subscriptionsTotal: new Counter({
      name: 'fleetgraph_subgraph_subscriptions_total',
      help: 'Subscriptions started since the process began',
      registers: [base.registry],
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
