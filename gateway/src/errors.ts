import { defineErrorCode } from '@fleetgraph/lib/errors';

/** The gateway's own error codes (docs/errors.md is generated from these and lib's). */

export const SUBGRAPH_UNAVAILABLE = defineErrorCode({
  code: 'SUBGRAPH_UNAVAILABLE',
  description:
    'A subgraph could not be reached or failed; the fields it owns are null and `extensions.serviceName` names it.',
  http: 502,
  addedIn: '0.1.0',
});

export const UPSTREAM_SUBSCRIPTION_FAILED = defineErrorCode({
  code: 'UPSTREAM_SUBSCRIPTION_FAILED',
  description:
    "The subgraph serving a subscription's events closed or failed it; the subscription ends after this error.",
  addedIn: '0.1.0',
});

export const SUBSCRIPTION_NOT_SUPPORTED = defineErrorCode({
  code: 'SUBSCRIPTION_NOT_SUPPORTED',
  description:
    'A subscription was sent over HTTP, or has a shape the gateway cannot execute; use graphql-ws.',
  http: 400,
  addedIn: '0.1.0',
});

// The defences of the public endpoint (gateway/src/limits, gateway/src/persisted; docs/operations.md lists the
// variables). Each refusal names the limit and the value found.

export const MAX_DEPTH_EXCEEDED = defineErrorCode({
  code: 'MAX_DEPTH_EXCEEDED',
  description: 'The operation nests selections deeper than MAX_DEPTH allows.',
  http: 400,
  addedIn: '0.1.0',
});

export const MAX_ALIASES_EXCEEDED = defineErrorCode({
  code: 'MAX_ALIASES_EXCEEDED',
  description: 'The operation uses more aliases than MAX_ALIASES allows.',
  http: 400,
  addedIn: '0.1.0',
});

export const MAX_ROOT_FIELDS_EXCEEDED = defineErrorCode({
  code: 'MAX_ROOT_FIELDS_EXCEEDED',
  description: 'The operation selects more root fields than MAX_ROOT_FIELDS allows.',
  http: 400,
  addedIn: '0.1.0',
});

export const MAX_TOKENS_EXCEEDED = defineErrorCode({
  code: 'MAX_TOKENS_EXCEEDED',
  description: 'The document has more lexical tokens than MAX_TOKENS allows; it was not parsed further.',
  http: 400,
  addedIn: '0.1.0',
});

export const MAX_COST_EXCEEDED = defineErrorCode({
  code: 'MAX_COST_EXCEEDED',
  description:
    'The estimated cost of the operation (list fields count their page size times their children) is over MAX_COST.',
  http: 400,
  addedIn: '0.1.0',
});

export const TOO_MANY_OPERATIONS = defineErrorCode({
  code: 'TOO_MANY_OPERATIONS',
  description:
    'A WebSocket connection already has MAX_OPERATIONS_PER_CONNECTION operations open; end one or open another connection.',
  addedIn: '0.1.0',
});

export const INTROSPECTION_DISABLED = defineErrorCode({
  code: 'INTROSPECTION_DISABLED',
  description: 'Introspection (`__schema`, `__type`) is turned off on this gateway (INTROSPECTION).',
  http: 400,
  addedIn: '0.1.0',
});

export const PERSISTED_OPERATION_REQUIRED = defineErrorCode({
  code: 'PERSISTED_OPERATION_REQUIRED',
  description:
    'The gateway runs only trusted documents (REQUIRE_PERSISTED_OPERATIONS): send a manifest id, not query text.',
  http: 400,
  addedIn: '0.1.0',
});

export const PERSISTED_OPERATION_NOT_FOUND = defineErrorCode({
  code: 'PERSISTED_OPERATION_NOT_FOUND',
  description: 'The persisted operation id (documentId or persistedQuery.sha256Hash) is not in the manifest.',
  http: 400,
  addedIn: '0.1.0',
});
