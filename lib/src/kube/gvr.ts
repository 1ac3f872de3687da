/**
 * API paths built from a group, version and resource, so no watch, read or write path is written by hand
 * (conventions.md section 4): the core group (`group: ''`) is served under `/api/<version>`, every other group
 * under `/apis/<group>/<version>`.
 */

/** a Kubernetes group/version/resource; `group: ''` is the core group (pods, nodes, namespaces, ...) */
export interface GroupVersionResource {
  /** '' for the core group, else e.g. `apps` or `cluster.kubesphere.io` */
  group: string;
  version: string;
  /** the plural resource name, e.g. `deployments` */
  resource: string;
}

export interface CollectionPathOptions extends GroupVersionResource {
  /** the namespace of a namespaced collection; absent (or '') for a cluster-scoped one, or across namespaces */
  namespace?: string | undefined;
}

export interface ObjectPathOptions extends CollectionPathOptions {
  name: string;
}

/** `/api/v1/nodes`, `/api/v1/namespaces/x/pods`, `/apis/apps/v1/namespaces/x/deployments` */
export function collectionPath(options: CollectionPathOptions): string {
  const { group, version, resource, namespace } = options;
  const root = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${resource}`;
}

/** the path of one object of the collection: `/apis/apps/v1/namespaces/x/deployments/web` */
export function objectPath(options: ObjectPathOptions): string {
  return `${collectionPath(options)}/${encodeURIComponent(options.name)}`;
}

/** a GVR as log attributes name it (the `gvr` attribute): `v1/nodes`, `apps/v1/deployments` */
export function gvrString(gvr: GroupVersionResource): string {
  return `${gvr.group === '' ? '' : `${gvr.group}/`}${gvr.version}/${gvr.resource}`;
}
