/** Who is asking: the user the gateway verified, as every subgraph sees it. */
export interface UserInfo {
  /** KubeSphere's `username` claim (or `sub`) */
  name: string;
  /** the token's `groups` claim, plus `system:authenticated` */
  groups: string[];
}

/** KubeSphere's resource scopes (ks-apiserver requestinfo): where a request's target lives. */
export type ResourceScope = 'global' | 'cluster' | 'workspace' | 'namespace';

/** What a request does, in Kubernetes RBAC terms, and where (KubeSphere's RequestInfo). */
export interface ResourceAttributes {
  /** get, list, watch, create, update, patch, delete, deletecollection, or a custom verb */
  verb: string;
  /** '' for the core group */
  apiGroup: string;
  /** plural, e.g. 'pods', 'clusters' */
  resource: string;
  /** e.g. 'log' for pods/log */
  subresource?: string;
  /** the object's name, when one object is addressed */
  name?: string;
  scope: ResourceScope;
  /** the target cluster (cluster and namespace scope) */
  cluster?: string;
  /** the target workspace (workspace scope); for namespace scope it is read from the namespace's label */
  workspace?: string;
  /** the target namespace (namespace scope) */
  namespace?: string;
}

export interface Decision {
  allowed: boolean;
  /** why, naming the binding and role that allowed it, or what was checked */
  reason: string;
}
