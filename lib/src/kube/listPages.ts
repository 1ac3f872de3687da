import { HttpMethod, type KubeConfig, type KubernetesObject, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';

/** A non-2xx answer to a LIST; `body` is the answer as sent (a Status JSON from a real apiserver). */
export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body: string = '',
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

interface ListBody<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/**
 * LIST `path` page by page (`limit` + `continue`), with kubeconfig auth and TLS, through undici.
 * Items get the list's apiVersion and kind, which the API server leaves out.
 */
export async function listAll<T extends KubernetesObject>(opts: {
  kubeConfig: KubeConfig;
  path: string;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  pageSize: number;
  signal: AbortSignal;
  /** each page must arrive within this long, or the LIST fails with a TimeoutError (a hung server) */
  pageTimeoutMs: number;
}): Promise<ListResult<T>> {
  const cluster = opts.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const items: T[] = [];
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const url = new URL(cluster.server.replace(/\/+$/, '') + opts.path);
    url.searchParams.set('limit', String(opts.pageSize));
    if (opts.labelSelector) url.searchParams.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) url.searchParams.set('fieldSelector', opts.fieldSelector);
    if (cont) url.searchParams.set('continue', cont);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await opts.kubeConfig.applySecurityAuthentication(ctx);
    const dispatcher = ctx.getDispatcher();
    const res = await fetch(url, {
      headers: { ...ctx.getHeaders(), Accept: 'application/json' },
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.pageTimeoutMs)]),
      ...(dispatcher ? { dispatcher } : {}),
    });
    if (res.status !== 200) {
      const text = await res.text().catch(() => '');
      throw new KubeHttpError(
        res.status,
        `LIST ${opts.path}: HTTP ${res.status} ${text.slice(0, 200)}`,
        text,
      );
    }
    const body = (await res.json()) as ListBody<T>;
    const kind = body.kind?.endsWith('List') ? body.kind.slice(0, -4) : undefined;
    for (const item of body.items ?? []) {
      if (kind && item.kind === undefined) item.kind = kind;
      if (body.apiVersion && item.apiVersion === undefined) item.apiVersion = body.apiVersion;
      items.push(item);
    }
    resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
    cont = body.metadata?.continue || undefined;
  } while (cont);
  return { items, resourceVersion };
}
