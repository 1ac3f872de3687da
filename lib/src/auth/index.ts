export type { Decision, ResourceAttributes, ResourceScope, UserInfo } from './types.ts';
export {
  GATEWAY_USER,
  IDENTITY_HEADERS,
  signIdentity,
  stripIdentityHeaders,
  verifyIdentity,
  type IdentityResult,
  type SignedIdentity,
  type VerifyIdentityOptions,
} from './identity.ts';
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
