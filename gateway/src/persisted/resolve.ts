import type { GraphQLError } from 'graphql';

import { PERSISTED_OPERATION_NOT_FOUND, PERSISTED_OPERATION_REQUIRED } from '../errors.ts';
import type { PersistedOperations } from './manifest.ts';

/** what a client sent that may name a persisted operation (HTTP body or search, or a graphql-ws payload) */
export interface OperationRequest {
  query?: string | undefined;
  /** the GraphQL-over-HTTP draft's trusted document id, `sha256:<hex>` or a bare id */
  documentId?: unknown;
  extensions?: Record<string, unknown> | undefined;
}

export type Resolution =
  /** the manifest's document for the id the client sent */
  | { kind: 'manifest'; id: string; query: string }
  /** not a manifest operation, and allowed: free text, or an APQ hash left to Apollo Server's APQ cache */
  | { kind: 'pass' }
  | { kind: 'refused'; error: GraphQLError };

export interface PersistedPolicy {
  /** @default none */
  operations?: PersistedOperations | undefined;
  /** refuse everything that is not in `operations` @default false */
  required?: boolean | undefined;
}

/** the id a request names, and how it named it */
export function requestedId(req: OperationRequest): { id: string; via: 'documentId' | 'apq' } | undefined {
  if (typeof req.documentId === 'string' && req.documentId !== '')
    return { id: req.documentId.replace(/^sha256:/, ''), via: 'documentId' };
  const pq = req.extensions?.['persistedQuery'];
  const hash = pq && typeof pq === 'object' ? (pq as Record<string, unknown>)['sha256Hash'] : undefined;
  if (typeof hash === 'string' && hash !== '') return { id: hash, via: 'apq' };
  return undefined;
}

/**
 * The trusted-documents rule, the same for HTTP and graphql-ws: an id found in the manifest runs the manifest's
 * document (whatever text came along); with `required`, anything else is refused; without it, free text runs and an
 * APQ hash not in the manifest goes on to Apollo Server's APQ (register, then use by hash).
 */
export function resolvePersisted(req: OperationRequest, policy: PersistedPolicy): Resolution {
  const named = requestedId(req);
  if (named) {
    const query = policy.operations?.get(named.id);
    if (query !== undefined) return { kind: 'manifest', id: named.id, query };
    if (named.via === 'apq' && !policy.required) return { kind: 'pass' };
    return {
      kind: 'refused',
      error: PERSISTED_OPERATION_NOT_FOUND.err(
        `persisted operation ${JSON.stringify(named.id)} is not in the manifest (PERSISTED_OPERATIONS_FILE)`,
      ),
    };
  }
  if (policy.required)
    return {
      kind: 'refused',
      error: PERSISTED_OPERATION_REQUIRED.err(
        'this gateway runs only persisted operations (REQUIRE_PERSISTED_OPERATIONS=true): send a manifest id as documentId or extensions.persistedQuery.sha256Hash instead of query text',
      ),
    };
  return { kind: 'pass' };
}
