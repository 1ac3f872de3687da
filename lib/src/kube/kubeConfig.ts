import { existsSync } from 'node:fs';

import { KubeConfig } from '@kubernetes/client-node';

/** Where a process gets its Kubernetes credentials, TLS settings and API server URL. */

/** the pod's service account (KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount) */
export interface InClusterKubeSource {
  kind: 'in-cluster';
}

/** a kubeconfig file */
export interface FileKubeSource {
  kind: 'kubeconfig';
  /**
   * the kubeconfig file
   * @default undefined: the KUBECONFIG env variable, else ~/.kube/config (client-node `loadFromDefault`)
   */
  path?: string;
  /**
   * the context to use
   * @default undefined: the file's current-context
   */
  context?: string;
}

/** kubeconfig text, e.g. from a Secret or a KubeSphere Cluster's spec.connection.kubeconfig */
export interface InlineKubeSource {
  kind: 'inline';
  /** the kubeconfig, YAML or JSON */
  kubeconfig: string;
  /**
   * the context to use
   * @default undefined: the kubeconfig's current-context
   */
  context?: string;
}

export type KubeSourceConfig = InClusterKubeSource | FileKubeSource | InlineKubeSource;

export function isInClusterSource(c: KubeSourceConfig): c is InClusterKubeSource {
  return c.kind === 'in-cluster';
}
export function isFileSource(c: KubeSourceConfig): c is FileKubeSource {
  return c.kind === 'kubeconfig';
}
export function isInlineSource(c: KubeSourceConfig): c is InlineKubeSource {
  return c.kind === 'inline';
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describe(config: KubeSourceConfig): string {
  switch (config.kind) {
    case 'in-cluster':
      return 'the in-cluster service account';
    case 'kubeconfig':
      return config.path !== undefined
        ? `kubeconfig file ${config.path}`
        : 'the default kubeconfig (KUBECONFIG or ~/.kube/config)';
    case 'inline':
      return 'the inline kubeconfig';
    default: {
      const never: never = config;
      throw new Error(`unknown kube source kind ${JSON.stringify(never)}`);
    }
  }
}

function isUrl(server: string | undefined): boolean {
  try {
    const url = new URL(server ?? '');
    return url.hostname !== '' && url.hostname !== 'undefined' && url.port !== 'undefined';
  } catch {
    return false;
  }
}

function load(kc: KubeConfig, config: KubeSourceConfig): void {
  switch (config.kind) {
    case 'in-cluster':
      kc.loadFromCluster();
      if (!isUrl(kc.getCurrentCluster()?.server))
        throw new Error(
          'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
        );
      if (!existsSync(SERVICE_ACCOUNT_TOKEN)) throw new Error(`${SERVICE_ACCOUNT_TOKEN} does not exist`);
      return;
    case 'kubeconfig':
      if (config.path !== undefined) kc.loadFromFile(config.path);
      else kc.loadFromDefault();
      return;
    case 'inline':
      kc.loadFromString(config.kubeconfig);
      return;
    default: {
      const never: never = config;
      throw new Error(`unknown kube source kind ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Load credentials, TLS settings and the API server URL. Throws an Error naming the source (file, context) when
 * the kubeconfig cannot be read or parsed, the context does not exist, or the context names no cluster.
 */
export function loadKubeConfig(config: KubeSourceConfig): KubeConfig {
  const source = describe(config);
  const kc = new KubeConfig();
  try {
    load(kc, config);
  } catch (err) {
    throw new Error(`cannot load ${source}: ${messageOf(err)}`, { cause: err });
  }
  const context = config.kind === 'in-cluster' ? undefined : config.context;
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      const have = kc.getContexts().map((c) => c.name);
      throw new Error(
        `${source} has no context "${context}" (have: ${have.length ? have.join(', ') : 'none'})`,
      );
    }
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      current
        ? `${source}: context "${current}" names no cluster that the kubeconfig defines`
        : `${source} has no current-context and no context was given`,
    );
  }
  if (!cluster.server) throw new Error(`${source}: cluster "${cluster.name}" has no server URL`);
  return kc;
}

/** the current cluster's API server URL, without a trailing slash; throws when there is no current cluster */
export function serverOf(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return cluster.server.replace(/\/+$/, '');
}
