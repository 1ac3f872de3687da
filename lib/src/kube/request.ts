import { type HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';

import { serverOf } from './kubeConfig.ts';
import { KubeHttpError } from './listPages.ts';
import { toKubeError } from './toKubeError.ts';

/** One authenticated JSON request with a kubeconfig's credentials and TLS, through undici (as followLogs.ts). */

export interface KubeRequestOptions {
  /**
   * the HTTP method
   * @default 'GET'
   */
  method?: string;
  /**
   * the request body: a string is sent as is, anything else as JSON
   * @default undefined (no body)
   */
  body?: unknown;
  /**
   * Content-Type of the body (e.g. `application/merge-patch+json`)
   * @default 'application/json' when there is a body
   */
  contentType?: string;
  /**
   * abort the request (connect, headers and body) after this many ms; it then rejects with a `TimeoutError`
   * @default undefined (undici's own timeouts only)
   */
  timeoutMs?: number;
  /**
   * aborting rejects the request with the signal's reason
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * extra headers; they override the defaults (`Accept: application/json`)
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * act as this user (Impersonate-User, and one Impersonate-Group header per group), so the cluster's own RBAC
   * judges the request as the end user's; the kubeconfig's identity needs the `impersonate` verb.
   * `system:authenticated` is left out: the API server adds it to every impersonated user.
   * @default undefined (the kubeconfig's own identity)
   */
  impersonate?: { user: string; groups: readonly string[] };
}

function statusMessage(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && 'message' in v && typeof v.message === 'string')
      return v.message;
  } catch {
    // not a Status
  }
  return undefined;
}

/**
 * `path` (e.g. `/version`, `/api/v1/namespaces`) on the kubeconfig's current cluster. Resolves with the parsed
 * JSON answer (the text when it is not JSON, undefined when empty). A non-2xx answer throws `KubeHttpError` with
 * the status code, the Status message as message and the answer as `body`; network failures propagate as
 * undici's errors (the cause chain carries the code, e.g. ECONNREFUSED).
 */
export async function kubeRequest<T = unknown>(
  kc: KubeConfig,
  path: string,
  options: KubeRequestOptions = {},
): Promise<T> {
  const method = (options.method ?? 'GET').toUpperCase();
  const ctx = new RequestContext(serverOf(kc) + path, method as HttpMethod);
  await kc.applySecurityAuthentication(ctx);
  const dispatcher = ctx.getDispatcher();
  const headers: Record<string, string> = { ...ctx.getHeaders(), Accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  Object.assign(headers, options.headers);
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const headerList: [string, string][] = Object.entries(headers);
  if (options.impersonate) {
    headerList.push(['Impersonate-User', options.impersonate.user]);
    for (const g of options.impersonate.groups) {
      if (g !== 'system:authenticated') headerList.push(['Impersonate-Group', g]);
    }
  }
  const res = await fetch(ctx.getUrl(), {
    method,
    headers: headerList,
    ...(body !== undefined ? { body } : {}),
    ...(signal ? { signal } : {}),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    const message = statusMessage(text) ?? (text.trim().slice(0, 500) || `HTTP ${res.status}`);
    throw new KubeHttpError(res.status, message, text);
  }
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/**
 * PATCHes one object and returns it as the API server answered, as `impersonate` when given (so the cluster's own
 * RBAC judges the end user); every failure comes back as a coded GraphQL error (toKubeError) naming `cluster`.
 */
export async function patchObject<T = unknown>(
  kc: KubeConfig,
  path: string,
  patch: unknown,
  options: {
    type: PatchType;
    /** the fleet member, for `extensions.cluster` on errors */
    cluster: string;
    impersonate?: KubeRequestOptions['impersonate'];
    /** @default 10_000 */
    timeoutMs?: number;
  },
): Promise<T> {
  try {
    return await kubeRequest<T>(kc, path, {
      method: 'PATCH',
      body: patch,
      contentType: PATCH_CONTENT_TYPE[options.type],
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.impersonate ? { impersonate: options.impersonate } : {}),
    });
  } catch (e) {
    throw toKubeError(e, { cluster: options.cluster });
  }
}
