export type { Decision, ResourceAttributes, ResourceScope } from './types.ts';
// the signed identity, as the gateway (which loads no Kubernetes code) takes it from @fleetgraph/lib/identity
export * from '../identity/index.ts';
export { createAuthorizer, type Authorizer, type AuthorizerOptions } from './authorizer.ts';
export { createRequestAuthz, type RequestAuthz } from './requestAuthz.ts';
export {
  bindingAppliesTo,
  matchesLabelSelector,
  resolveRules,
  ruleAllows,
  rulesAllow,
  subjectKey,
  subjectKeysOf,
  type BindingLike,
  type LabelSelector,
  type PolicyRule,
  type RbacSubject,
  type RoleLike,
  type RoleRef,
} from './rbac.ts';
export {
  BROAD_GROUPS,
  CLUSTER_VISIBILITY_LABEL,
  WORKSPACE_LABEL,
  placedClusters,
  type WorkspaceTemplateLike,
} from './visibility.ts';
export {
  createFleetAccess,
  fleetAccessOf,
  type FleetAccess,
  type HostInformer,
  type HostInformerOptions,
  type SharedInformerOptions,
} from './fleetAccess.ts';
