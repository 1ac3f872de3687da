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
