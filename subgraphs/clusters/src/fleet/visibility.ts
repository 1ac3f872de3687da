import type { RequestAuthz } from '@fleetgraph/lib/auth';

import type { ClusterStatusModel } from './model.ts';

/**
 * What a caller may read of a cluster's status. Platform administrators (who may update clusters at platform scope)
 * get the probe's own words, addresses and error text included; everyone else gets the phase and reason with a fixed
 * sentence for the reason, so no internal address, port or raw error reaches a tenant.
 */
export function isPlatformAdmin(authz: RequestAuthz): boolean {
  return authz.can({
    verb: 'update',
    apiGroup: 'cluster.kubesphere.io',
    resource: 'clusters',
    scope: 'global',
  });
}

const TENANT_MESSAGES: Record<string, string> = {
  ConnectionRefused: "the cluster's API server refused the connection",
  ConnectionReset: "the connection to the cluster's API server was reset",
  Timeout: "the cluster's API server did not answer in time",
  DNSFailure: "the address of the cluster's API server could not be resolved",
  HostUnreachable: "the cluster's API server cannot be reached on the network",
  NetworkError: "the cluster's API server cannot be reached",
  CertificateExpired: "the cluster's API server presented an expired certificate",
  CertificateInvalid: "the certificate of the cluster's API server could not be verified",
  InvalidKubeconfig: "fleetgraph's connection settings for the cluster are invalid",
  Unauthorized: "the cluster's API server refused fleetgraph's credentials",
  Forbidden: "the cluster's API server refused fleetgraph's credentials",
  ServerError: "the cluster's API server reports an error",
  NotReady: "the cluster's API server reports that it is not ready",
  UnexpectedStatus: "the cluster's API server answered unexpectedly",
  Aborted: 'the probe was cancelled',
};

/** the status message for this caller (see above) */
export function statusMessageFor(authz: RequestAuthz, status: ClusterStatusModel): string {
  if (status.phase === 'READY' || status.phase === 'UNKNOWN' || status.phase === 'UPGRADING')
    return status.message;
  if (isPlatformAdmin(authz)) return status.message;
  return TENANT_MESSAGES[status.reason] ?? `the cluster is ${status.phase.toLowerCase().replace('_', ' ')}`;
}
