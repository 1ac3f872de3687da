import { defineErrorCode } from '@fleetgraph/lib/errors';

/** The clusters subgraph's own error codes. */

export const VERSION_SKEW = defineErrorCode({
  code: 'VERSION_SKEW',
  description:
    'The upgrade would leave a member cluster on a newer KubeSphere version than the host cluster, which KubeSphere does not support: upgrade the host first.',
  http: 400,
  addedIn: '0.1.0',
});

export const UPGRADE_IN_PROGRESS = defineErrorCode({
  code: 'UPGRADE_IN_PROGRESS',
  description:
    'A ks-core upgrade job is already running for this cluster; wait for it to finish (see Cluster.upgrade).',
  http: 409,
  addedIn: '0.1.0',
});

export const UPGRADE_NOT_FOUND = defineErrorCode({
  code: 'UPGRADE_NOT_FOUND',
  description:
    'No cluster upgrade has this id (or the caller may not see its cluster: the two are not told apart).',
  http: 404,
  addedIn: '0.1.0',
});

export const GATEWAY_NOT_FOUND = defineErrorCode({
  code: 'GATEWAY_NOT_FOUND',
  description:
    'No KubeSphere gateway has this cluster, namespace and name (or the caller may not see it: the two are not told apart).',
  http: 404,
  addedIn: '0.1.0',
});

export const GATEWAY_ROLLOUT_IN_PROGRESS = defineErrorCode({
  code: 'GATEWAY_ROLLOUT_IN_PROGRESS',
  description:
    "The gateway's Deployment is rolling out (PROGRESSING); wait until it completes or stalls (see Gateway.upgradePlan or gatewayRollout).",
  http: 409,
  addedIn: '0.1.0',
});

export const GATEWAY_NO_PREVIOUS_VERSION = defineErrorCode({
  code: 'GATEWAY_NO_PREVIOUS_VERSION',
  description:
    "The gateway has no earlier revision running another controller version (its Deployment's older ReplicaSets), so there is nothing to roll back to.",
  http: 409,
  addedIn: '0.1.0',
});
