import { defineErrorCode } from '@fleetgraph/lib/errors';

/** The clusters subgraph's own error codes. */

export const CLUSTER_NOT_FOUND = defineErrorCode({
  code: 'CLUSTER_NOT_FOUND',
  description:
    'No cluster of the fleet has this name (or the caller may not see it: the two are not told apart).',
  http: 404,
  addedIn: '0.1.0',
});
