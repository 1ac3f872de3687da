/** The models of gateways (codegen maps Gateway, GatewayPod, GatewayUpgradePlan and GatewayRolloutEvent onto these). */

export type GatewayScopeValue = 'CLUSTER' | 'WORKSPACE' | 'PROJECT';
export type GatewayStateValue = 'CREATING' | 'UPDATING' | 'RUNNING' | 'FAULTED' | 'STOPPED';
export type RolloutPhaseValue = 'PROGRESSING' | 'COMPLETE' | 'STALLED' | 'ROLLED_BACK';

export interface GatewayReplicasModel {
  desired: number;
  updated: number;
  ready: number;
  available: number;
}

export interface GatewayPodModel {
  cluster: string;
  namespace: string;
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  node: string | null;
  image: string | null;
  startedAt: string | null;
  /** the controller container's waiting reason (ImagePullBackOff, ...), when waiting */
  waitingReason: string | null;
}

export interface GatewayUpgradePlanModel {
  revision: number | null;
  fromVersion: string | null;
  toVersion: string | null;
  phase: RolloutPhaseValue;
  reason: string | null;
  message: string | null;
  /** distinct waiting reasons of the gateway's pods that are not ready (ImagePullBackOff, ...) */
  podProblems: string[];
}

export interface GatewayModel {
  cluster: string;
  namespace: string;
  name: string;
  scope: GatewayScopeValue;
  /** the workspace (WORKSPACE) or project (PROJECT); null for CLUSTER */
  owner: string | null;
  /** the workspace of a project gateway, when labelled */
  workspace: string | null;
  appVersion: string | null;
  version: string | null;
  image: string | null;
  replicas: GatewayReplicasModel;
  state: GatewayStateValue;
  pods: GatewayPodModel[];
  upgradePlan: GatewayUpgradePlanModel | null;
  /** the Deployment's generation and observedGeneration (0 without a Deployment) */
  generation: number;
}

export interface GatewayRolloutEventModel {
  gateway: GatewayModel;
  /** the last event of the subscription */
  done: boolean;
}

/** a controller image tag `vMAJOR.MINOR.PATCH` as numbers; null when it is not one */
export function parseTag(tag: string | null | undefined): [number, number, number] | null {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function compareTags(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * ingress-nginx controller releases fleetgraph can upgrade a gateway to, with the Helm chart version
 * (`spec.appVersion` of the Gateway) that ships each (ingress-nginx's chart/controller release pairs).
 */
export const CONTROLLER_CHARTS: Readonly<Record<string, string>> = {
  'v1.8.1': '4.7.1',
  'v1.9.4': '4.8.3',
  'v1.9.5': '4.9.0',
  'v1.9.6': '4.9.1',
  'v1.10.0': '4.10.0',
  'v1.10.1': '4.10.1',
  'v1.11.0': '4.11.0',
};

export const isSettled = (phase: RolloutPhaseValue): boolean => phase !== 'PROGRESSING';
