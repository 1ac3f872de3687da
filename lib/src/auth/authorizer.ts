import {
  type BackoffOptions,
  type ClusterRegistry,
  type ClusterRegistryOptions,
  createFleetInformer,
  createInformer,
  type FleetInformer,
  type Informer,
  type InformerLogger,
  type RegisteredCluster,
} from '../kube/index.ts';
import {
  type BindingLike,
  type PolicyRule,
  resolveRules,
  type RoleLike,
  rulesAllow,
  subjectKeysOf,
} from './rbac.ts';
import { describe, indexBindings, lookup, requestText, type SubjectIndex } from './bindingIndex.ts';
import type { Decision, ResourceAttributes, UserInfo } from './types.ts';
import {
  canSeeCluster,
  placedClusters,
  type VisibilityView,
  WORKSPACE_LABEL,
  type WorkspaceTemplateLike,
} from './visibility.ts';

/**
 * KubeSphere's RBAC authorizer (ks-apiserver pkg/apiserver/authorization/rbac/rbac.go) over informer caches: the
 * host's GlobalRoles, WorkspaceRoles, their bindings and WorkspaceTemplates, and every cluster's Kubernetes RBAC and
 * namespaces. A decision reads memory only, through per-subject indexes rebuilt lazily after a change.
 * Not implemented: KubeSphere's Rego override (`iam.kubesphere.io/rego-override`), and RoleTemplate `roleSelector`.
 */

type KubeObject = NonNullable<RegisteredCluster['object']>;
type Role = KubeObject & RoleLike;
type Binding = KubeObject & BindingLike;
type Namespace = KubeObject;
type Template = KubeObject & WorkspaceTemplateLike;
type RoleTemplate = KubeObject & { spec?: { rules?: PolicyRule[] } };

const IAM = '/apis/iam.kubesphere.io/v1beta1';
const TENANT = '/apis/tenant.kubesphere.io/v1beta1';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';

export interface Authorizer extends AsyncDisposable {
  /** starts the informers; resolves when the host's IAM objects and every cluster's RBAC objects have settled */
  start(): Promise<void>;
  hasSynced(): boolean;
  /**
   * KubeSphere's order: GlobalRoleBindings → GlobalRole (stop when scope is 'global'); WorkspaceRoleBindings of the
   * target workspace (a namespace's from its kubesphere.io/workspace label) → WorkspaceRole (stop when scope is
   * 'workspace'); the namespace's RoleBindings → Role/ClusterRole; ClusterRoleBindings → ClusterRole on the target
   * cluster. First allow wins. Memory reads only. Denies everything before start() resolved.
   */
  authorize(user: UserInfo, attrs: ResourceAttributes): Decision;
  /** called synchronously (must not do work) after any role, binding, namespace, template or cluster change */
  subscribe(listener: () => void): () => void;
  /** the workspaces of any WorkspaceRoleBinding naming the user or one of its groups, sorted */
  workspacesOf(user: UserInfo): string[];
  /** the clusters a workspace is placed on (WorkspaceTemplate spec.placement), sorted */
  workspaceClusters(workspace: string): string[];
  /** the workspace of a namespace on a cluster, from its kubesphere.io/workspace label */
  workspaceOf(cluster: string, namespace: string): string | undefined;
  /** see visibility.ts canSeeCluster */
  canSeeCluster(user: UserInfo, cluster: string): boolean;
  stop(): Promise<void>;
}

export interface AuthorizerOptions {
  /** the fleet; started by start() if it was not, never stopped by the authorizer */
  registry: ClusterRegistry;
  /** the host cluster's credentials (its IAM and tenant objects) */
  host: ClusterRegistryOptions['host'];
  /**
   * where the informers report
   * @default undefined (silent)
   */
  log?: InformerLogger;
  /**
   * restart delays of every informer (a missing CRD is retried with these too)
   * @default { initialMs: 500, maxMs: 30_000, jitter: 0.2 }
   */
  backoff?: BackoffOptions;
}

/** a host-only informer whose readiness is "synced, or failed once" (a 404 CRD path counts as empty) */
interface HostSource<T extends KubeObject> {
  informer: Informer<T>;
  ready: Promise<void>;
  settled: () => boolean;
}

/** Follow the fleet's IAM and RBAC objects and answer KubeSphere authorization questions from memory. */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const { registry, log, backoff } = options;
  const listeners = new Set<() => void>();
  const cache = new Map<string, unknown>();
  let startPromise: Promise<void> | undefined;
  let started = false;
  let stopped = false;
  /** started and not stopped: the caches can answer */
  const live = (): boolean => started && !stopped;

  const changed = (source: string, cluster: string): void => {
    cache.delete(`${source}|${cluster}`);
    if (source === 'clusterroles' || source === 'roletemplates') cache.delete(`clusterrole-rules|${cluster}`);
    for (const l of listeners) {
      try {
        l();
      } catch (err) {
        log?.warn('authorizer listener threw', { err: err instanceof Error ? err.message : String(err) });
      }
    }
  };

  function cached<V>(key: string, build: () => V): V {
    if (cache.has(key)) return cache.get(key) as V;
    const v = build();
    cache.set(key, v);
    return v;
  }

  const hostSource = <T extends KubeObject>(resource: string, base: string): HostSource<T> => {
    let failed = false;
    let resolveReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (resolveReady = r));
    const informer = createInformer<T>({
      kubeConfig: options.host,
      path: `${base}/${resource}`,
      ...(log ? { log } : {}),
      ...(backoff ? { backoff } : {}),
      listener: () => changed(resource, ''),
      onError: () => {
        failed = true;
        resolveReady();
      },
    });
    return {
      informer,
      ready: Promise.race([
        ready,
        informer.start().catch(() => {
          // stopped before it synced; readiness is decided by stop()
        }),
      ]).then(() => undefined),
      settled: () => failed || informer.hasSynced(),
    };
  };

  const fleetSource = <T extends KubeObject>(resource: string, base: string): FleetInformer<T> => {
    const f = createFleetInformer<T>({
      registry,
      path: `${base}/${resource}`,
      ...(log ? { log } : {}),
      ...(backoff ? { backoff } : {}),
    });
    f.subscribe((e) => changed(resource, e.cluster));
    return f;
  };

  let host: {
    globalRoles: HostSource<Role>;
    globalRoleBindings: HostSource<Binding>;
    workspaceRoles: HostSource<Role>;
    workspaceRoleBindings: HostSource<Binding>;
    templates: HostSource<Template>;
  };
  let fleet: {
    clusterRoles: FleetInformer<Role>;
    clusterRoleBindings: FleetInformer<Binding>;
    roles: FleetInformer<Role>;
    roleBindings: FleetInformer<Binding>;
    namespaces: FleetInformer<Namespace>;
    roleTemplates: FleetInformer<RoleTemplate>;
  };
  let unsubscribeRegistry: () => void = () => undefined;

  const hostSources = (): Array<HostSource<KubeObject>> => (host ? Object.values(host) : []);
  const fleetSources = (): Array<FleetInformer<KubeObject>> => (fleet ? Object.values(fleet) : []);

  const run = async (): Promise<void> => {
    unsubscribeRegistry = registry.subscribe(() => changed('registry', ''));
    host = {
      globalRoles: hostSource('globalroles', IAM),
      globalRoleBindings: hostSource('globalrolebindings', IAM),
      workspaceRoles: hostSource('workspaceroles', IAM),
      workspaceRoleBindings: hostSource('workspacerolebindings', IAM),
      templates: hostSource('workspacetemplates', TENANT),
    };
    fleet = {
      clusterRoles: fleetSource('clusterroles', RBAC),
      clusterRoleBindings: fleetSource('clusterrolebindings', RBAC),
      roles: fleetSource('roles', RBAC),
      roleBindings: fleetSource('rolebindings', RBAC),
      namespaces: fleetSource('namespaces', '/api/v1'),
      roleTemplates: fleetSource('roletemplates', IAM),
    };
    await Promise.all([...hostSources().map((s) => s.ready), ...fleetSources().map((f) => f.start())]);
    if (stopped) throw new Error('authorizer stopped before it synced');
    started = true;
  };

  const hostCluster = (): string => registry.host()?.name ?? '';
  const templateLookup = (cluster: string) => (name: string) => fleet.roleTemplates.get(cluster, name);

  const globalBindings = (): SubjectIndex =>
    cached('globalrolebindings|', () => indexBindings(host.globalRoleBindings.informer.list(), () => ''));
  const workspaceBindings = (): SubjectIndex =>
    cached('workspacerolebindings|', () =>
      indexBindings(host.workspaceRoleBindings.informer.list(), (b) => b.metadata?.labels?.[WORKSPACE_LABEL]),
    );
  const roleBindings = (cluster: string): SubjectIndex =>
    cached(`rolebindings|${cluster}`, () =>
      indexBindings(fleet.roleBindings.list(cluster), (b) => b.metadata?.namespace ?? ''),
    );
  const clusterRoleBindings = (cluster: string): SubjectIndex =>
    cached(`clusterrolebindings|${cluster}`, () =>
      indexBindings(fleet.clusterRoleBindings.list(cluster), () => ''),
    );

  const hostRoleRules = (role: Role | undefined): PolicyRule[] =>
    role ? resolveRules(role, { templates: templateLookup(hostCluster()) }) : [];

  const clusterRoleRules = (cluster: string, name: string): PolicyRule[] => {
    const byName = cached(`clusterrole-rules|${cluster}`, () => new Map<string, PolicyRule[]>());
    let rules = byName.get(name);
    if (!rules) {
      const role = fleet.clusterRoles.get(cluster, name);
      rules = role
        ? resolveRules(role, {
            clusterRoles: fleet.clusterRoles.list(cluster),
            templates: templateLookup(cluster),
          })
        : [];
      byName.set(name, rules);
    }
    return rules;
  };

  /** Role (same namespace) or ClusterRole, on a cluster */
  const bindingRules = (cluster: string, b: Binding): PolicyRule[] => {
    const ref = b.roleRef;
    if (!ref?.name) return [];
    if (ref.kind === 'ClusterRole') return clusterRoleRules(cluster, ref.name);
    if (ref.kind === 'Role' && b.metadata?.namespace) {
      const role = fleet.roles.get(cluster, ref.name, b.metadata.namespace);
      return role ? resolveRules(role, { templates: templateLookup(cluster) }) : [];
    }
    return [];
  };

  const workspaceOf = (cluster: string, namespace: string): string | undefined =>
    live() ? fleet.namespaces.get(cluster, namespace)?.metadata?.labels?.[WORKSPACE_LABEL] : undefined;

  const authorize = (user: UserInfo, attrs: ResourceAttributes): Decision => {
    const request = requestText(attrs);
    if (!live()) return { allowed: false, reason: `authorizer has not synced: ${request} denied` };
    const keys = subjectKeysOf(user);
    const allow = (by: string): Decision => ({ allowed: true, reason: `RBAC: allowed by ${by}` });
    const checked: string[] = ['GlobalRoleBindings'];
    const deny = (): Decision => ({
      allowed: false,
      reason: `RBAC: ${user.name} may not ${request} (checked ${checked.join(', ')})`,
    });

    for (const b of lookup(globalBindings(), '', keys)) {
      if (b.roleRef?.kind !== 'GlobalRole' || !b.roleRef.name) continue;
      if (rulesAllow(hostRoleRules(host.globalRoles.informer.get(b.roleRef.name)), attrs))
        return allow(describe('GlobalRoleBinding', b));
    }
    if (attrs.scope === 'global') return deny();

    const cluster = attrs.cluster;
    const namespace = attrs.scope === 'namespace' ? attrs.namespace : undefined;
    const workspace =
      attrs.scope === 'workspace'
        ? attrs.workspace
        : cluster && namespace
          ? workspaceOf(cluster, namespace)
          : undefined;
    if (workspace) {
      checked.push(`WorkspaceRoleBindings of "${workspace}"`);
      for (const b of lookup(workspaceBindings(), workspace, keys)) {
        if (b.roleRef?.kind !== 'WorkspaceRole' || !b.roleRef.name) continue;
        if (rulesAllow(hostRoleRules(host.workspaceRoles.informer.get(b.roleRef.name)), attrs))
          return allow(describe('WorkspaceRoleBinding', b));
      }
    }
    if (attrs.scope === 'workspace') return deny();
    if (!cluster) {
      checked.push('no target cluster');
      return deny();
    }

    if (namespace) {
      checked.push(`RoleBindings in ${cluster}/${namespace}`);
      for (const b of lookup(roleBindings(cluster), namespace, keys))
        if (rulesAllow(bindingRules(cluster, b), attrs)) return allow(describe('RoleBinding', b, cluster));
    }
    checked.push(`ClusterRoleBindings on ${cluster}`);
    for (const b of lookup(clusterRoleBindings(cluster), '', keys)) {
      if (b.roleRef?.kind !== 'ClusterRole') continue;
      if (rulesAllow(bindingRules(cluster, b), attrs))
        return allow(describe('ClusterRoleBinding', b, cluster));
    }
    return deny();
  };

  const workspacesOf = (user: UserInfo): string[] => {
    if (!live()) return [];
    const index = workspaceBindings();
    const out = new Set<string>();
    for (const key of subjectKeysOf(user)) for (const ws of index.scopes.get(key) ?? []) out.add(ws);
    return [...out].sort();
  };

  const workspaceClusters = (workspace: string): string[] =>
    live() ? placedClusters(host.templates.informer.get(workspace), registry.list()) : [];

  const view: VisibilityView = {
    cluster: (name) => registry.get(name),
    authorize,
    workspacesOf,
    workspaceClusters,
    boundOn: (cluster, keys) => {
      const crb = clusterRoleBindings(cluster).scopes;
      const rb = roleBindings(cluster).scopes;
      return keys.some((k) => crb.has(k) || rb.has(k));
    },
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unsubscribeRegistry();
    await Promise.all([
      ...hostSources().map((s) => s.informer.stop()),
      ...fleetSources().map((f) => f.stop()),
    ]);
    await startPromise?.catch(() => undefined);
    listeners.clear();
    cache.clear();
  };

  return {
    start() {
      if (stopped) return Promise.reject(new Error('authorizer is stopped'));
      startPromise ??= run();
      return startPromise;
    },
    hasSynced: () =>
      live() && hostSources().every((s) => s.settled()) && fleetSources().every((f) => f.settled()),
    authorize,
    subscribe(listener) {
      const wrapped = (): void => listener();
      listeners.add(wrapped);
      return () => {
        listeners.delete(wrapped);
      };
    },
    workspacesOf,
    workspaceClusters,
    workspaceOf,
    canSeeCluster: (user, cluster) =>
      live() ? canSeeCluster(view, user, cluster, subjectKeysOf(user)) : false,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
