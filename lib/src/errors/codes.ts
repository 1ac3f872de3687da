import { defineErrorCode } from './registry.ts';

/** fleetgraph's base error codes. */

export const BAD_USER_INPUT = defineErrorCode({
  code: 'BAD_USER_INPUT',
  description: 'An argument or input field is invalid; `extensions.field` names it when known.',
  http: 400,
  addedIn: '0.1.0',
});

export const NOT_FOUND = defineErrorCode({
  code: 'NOT_FOUND',
  description: 'The requested object does not exist.',
  http: 404,
  addedIn: '0.1.0',
});

export const FORBIDDEN = defineErrorCode({
  code: 'FORBIDDEN',
  description: 'The caller is authenticated but not allowed to do this.',
  http: 403,
  addedIn: '0.1.0',
});

export const UNAUTHENTICATED = defineErrorCode({
  code: 'UNAUTHENTICATED',
  description: 'The caller is not authenticated, or its credentials were rejected.',
  http: 401,
  addedIn: '0.1.0',
});

export const CONFLICT = defineErrorCode({
  code: 'CONFLICT',
  description: 'The object already exists or was changed concurrently; re-read and retry.',
  http: 409,
  addedIn: '0.1.0',
});

export const TIMEOUT = defineErrorCode({
  code: 'TIMEOUT',
  description: 'The operation did not finish in time.',
  http: 504,
  addedIn: '0.1.0',
});

export const CLUSTER_UNREACHABLE = defineErrorCode({
  code: 'CLUSTER_UNREACHABLE',
  description: 'A member cluster of the fleet cannot be reached at all.',
  http: 502,
  addedIn: '0.1.0',
});

export const KUBE_UNAVAILABLE = defineErrorCode({
  code: 'KUBE_UNAVAILABLE',
  description: 'The Kubernetes API is overloaded, failing or unreachable; retry later.',
  http: 503,
  addedIn: '0.1.0',
});

export const INTERNAL_SERVER_ERROR = defineErrorCode({
  code: 'INTERNAL_SERVER_ERROR',
  description: 'An unexpected error; details are logged, not returned.',
  http: 500,
  addedIn: '0.1.0',
});

// Codes Apollo Server itself returns; defined here so they are documented with ours and pass error masking.

export const GRAPHQL_PARSE_FAILED = defineErrorCode({
  code: 'GRAPHQL_PARSE_FAILED',
  description: 'The operation is not valid GraphQL syntax.',
  http: 400,
  addedIn: '0.1.0',
});

export const GRAPHQL_VALIDATION_FAILED = defineErrorCode({
  code: 'GRAPHQL_VALIDATION_FAILED',
  description:
    'The operation does not validate against the schema (unknown field, wrong argument type, ...).',
  http: 400,
  addedIn: '0.1.0',
});

export const BAD_REQUEST = defineErrorCode({
  code: 'BAD_REQUEST',
  description: 'The HTTP request is malformed: bad JSON, a missing query, or a blocked (CSRF) request.',
  http: 400,
  addedIn: '0.1.0',
});

export const OPERATION_RESOLUTION_FAILURE = defineErrorCode({
  code: 'OPERATION_RESOLUTION_FAILURE',
  description:
    'The operation to run could not be chosen (several operations and no or a wrong operationName).',
  http: 400,
  addedIn: '0.1.0',
});

export const PAYLOAD_TOO_LARGE = defineErrorCode({
  code: 'PAYLOAD_TOO_LARGE',
  description: 'The request body is over the configured size limit.',
  http: 413,
  addedIn: '0.1.0',
});

export const SUBSCRIPTION_OVERFLOW = defineErrorCode({
  code: 'SUBSCRIPTION_OVERFLOW',
  description:
    'A subscriber fell too far behind its event stream; the subscription ended and must be opened again.',
  addedIn: '0.1.0',
});

export const CLUSTER_NOT_FOUND = defineErrorCode({
  code: 'CLUSTER_NOT_FOUND',
  description:
    'No cluster of the fleet has this name (or the caller may not see it: the two are not told apart).',
  http: 404,
  addedIn: '0.1.0',
});
