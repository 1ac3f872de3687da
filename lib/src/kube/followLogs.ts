import { ApiException, HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';

import { toKubeError } from './toKubeError.ts';

/**
 * Follow a container log, abort-safe. client-node's `Log` crashes the process when aborted (toolchain.md
 * section 3), so this takes auth and TLS from client-node and does the request with undici itself.
 */

export interface FollowLogsOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  /** required by the API server when the pod has more than one container */
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  /** only lines at or after this RFC 3339 time (the API server takes whole seconds: expect earlier lines of that second again) */
  sinceTime?: string;
  /** prefix each line with its RFC 3339 timestamp */
  timestamps?: boolean;
  /** aborting ends the iteration quietly */
  signal?: AbortSignal;
  /** the fleet member, for `extensions.cluster` on errors */
  cluster?: string;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/** a followed log may be quiet for a long time: no body timeout (undici's default is 300 s) */
function withoutBodyTimeout(d: Dispatcher | undefined): Dispatcher | undefined {
  return d?.compose((dispatch) => (opts, handler) => dispatch({ ...opts, bodyTimeout: 0 }, handler));
}

/**
 * Lines (without their newline) of a container log, following it: iteration ends when the server ends the
 * stream (container terminated, pod deleted) or quietly when `signal` aborts. Non-200 answers and network
 * failures throw a coded GraphQLError (`toKubeError`).
 */
export async function* followLogs(options: FollowLogsOptions): AsyncGenerator<string, void, undefined> {
  const { kubeConfig, namespace, pod, signal } = options;
  const errOpts = options.cluster !== undefined ? { cluster: options.cluster } : {};
  if (signal?.aborted) return;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw toKubeError(new Error('no current cluster in the kubeconfig'), errOpts);

  const query = new URLSearchParams({ follow: 'true' });
  if (options.container !== undefined) query.set('container', options.container);
  if (options.tailLines !== undefined) query.set('tailLines', String(options.tailLines));
  if (options.sinceSeconds !== undefined) query.set('sinceSeconds', String(options.sinceSeconds));
  if (options.sinceTime !== undefined) query.set('sinceTime', options.sinceTime);
  if (options.timestamps) query.set('timestamps', 'true');
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
  const ctx = new RequestContext(`${cluster.server.replace(/\/+$/, '')}${path}?${query}`, HttpMethod.GET);

  // ours aborts the request when the caller's signal aborts, and when the caller stops iterating early
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let res;
    try {
      await kubeConfig.applySecurityAuthentication(ctx);
      const dispatcher = withoutBodyTimeout(ctx.getDispatcher());
      res = await fetch(ctx.getUrl(), {
        headers: ctx.getHeaders(),
        signal: controller.signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      if (controller.signal.aborted && isAbort(err)) return;
      throw toKubeError(err, errOpts);
    }
    if (res.status !== 200) {
      const body = await res.text().catch(() => '');
      throw toKubeError(
        new ApiException(res.status, 'Error occurred in log request', body, Object.fromEntries(res.headers)),
        errOpts,
      );
    }
    if (!res.body) return;

    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of res.body) {
        pending += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          yield line;
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      throw toKubeError(err, errOpts);
    }
    pending += decoder.decode();
    // a last line without a newline (limitBytes, or a container that died mid-line)
    if (pending !== '') yield pending;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
