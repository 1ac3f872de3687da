import { ApiException } from '@kubernetes/client-node';
import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';

import {
  BAD_USER_INPUT,
  codeOf,
  CONFLICT,
  FORBIDDEN,
  INTERNAL_SERVER_ERROR,
  KUBE_UNAVAILABLE,
  NOT_FOUND,
  TIMEOUT,
  UNAUTHENTICATED,
  type ErrorCode,
} from '../errors/index.ts';
import { KubeHttpError } from './listPages.ts';

/**
 * The one place Kubernetes failures become GraphQL errors (conventions.md section 5), and the one place that
 * looks inside client-node's error shapes. Everything else uses `toKubeError` and the `is*` predicates.
 */

export interface ToKubeErrorOptions {
  /** the fleet member the request went to, as `extensions.cluster` */
  cluster?: string;
}

/** The parts of a Kubernetes `Status` we use. */
interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/** undici timeouts waiting for an answer (as opposed to connecting) */
const RESPONSE_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function asStatus(v: unknown): KubeStatus | undefined {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(v)) return undefined;
  // a Status JSON body, or client-node's deserialized V1Status
  if (v['kind'] !== undefined && v['kind'] !== 'Status') return undefined;
  if (typeof v['code'] !== 'number' && typeof v['message'] !== 'string' && typeof v['reason'] !== 'string')
    return undefined;
  return v as KubeStatus;
}

/** the HTTP status of a raw client-node failure, a Status object, or a mapped error */
function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof GraphQLError) {
    const s = err.extensions['kubeStatus'];
    return typeof s === 'number' ? s : undefined;
  }
  if (err instanceof ApiException) return err.code;
  if (err instanceof Error) {
    // client-node's Watch: `new Error(statusText)` with `statusCode`
    const s = (err as Error & { statusCode?: unknown }).statusCode;
    return typeof s === 'number' ? s : undefined;
  }
  const status = asStatus(err);
  return typeof status?.code === 'number' ? status.code : undefined;
}

/** the first `code` (ECONNREFUSED, UND_ERR_*) along the `cause` chain */
function systemCodeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; isRecord(e) && depth < 8; e = e['cause'], depth++) {
    const code = e['code'];
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return code;
  }
  return undefined;
}

function isTimeoutOrAbort(err: unknown): boolean {
  for (let e = err, depth = 0; isRecord(e) && depth < 8; e = e['cause'], depth++) {
    if (e['name'] === 'AbortError' || e['name'] === 'TimeoutError') return true;
  }
  return false;
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 410: // Expired/Gone: a stale continue token or resourceVersion the caller handed in
    case 422:
      return BAD_USER_INPUT;
    case 401:
      return UNAUTHENTICATED;
    case 403:
      return FORBIDDEN;
    case 404:
      return NOT_FOUND;
    case 409:
      return CONFLICT;
    case 408:
      return TIMEOUT;
    case 429:
      return KUBE_UNAVAILABLE;
    default:
      return status >= 500 ? KUBE_UNAVAILABLE : INTERNAL_SERVER_ERROR;
  }
}

function withCluster(ext: GraphQLErrorExtensions, opts: ToKubeErrorOptions): GraphQLErrorExtensions {
  return opts.cluster === undefined ? ext : { ...ext, cluster: opts.cluster };
}

function fromStatus(
  httpStatus: number,
  body: unknown,
  cause: unknown,
  opts: ToKubeErrorOptions,
): GraphQLError {
  const status = asStatus(body);
  const code = codeForStatus(httpStatus);
  const text = typeof body === 'string' && status === undefined ? body.trim().slice(0, 500) : '';
  const message = status?.message ?? (text || `the Kubernetes API answered ${httpStatus}`);
  const ext: GraphQLErrorExtensions = { kubeStatus: httpStatus };
  if (status?.reason !== undefined) ext['kubeReason'] = status.reason;
  const field = code === BAD_USER_INPUT ? status?.details?.causes?.find((c) => c.field)?.field : undefined;
  return code.err(message, {
    extensions: withCluster(ext, opts),
    cause,
    ...(field !== undefined ? { field } : {}),
  });
}

/** Map any failure from client-node, undici or fetch to a coded GraphQLError. Coded errors pass through. */
export function toKubeError(err: unknown, opts: ToKubeErrorOptions = {}): GraphQLError {
  if (err instanceof GraphQLError && codeOf(err) !== undefined) {
    if (opts.cluster === undefined || err.extensions['cluster'] !== undefined) return err;
    return new GraphQLError(err.message, {
      extensions: withCluster(err.extensions, opts),
      ...(err.originalError ? { originalError: err.originalError } : {}),
    });
  }
  if (err instanceof ApiException) return fromStatus(err.code, err.body, err, opts);
  if (err instanceof KubeHttpError) return fromStatus(err.statusCode, err.body, err, opts);
  const httpStatus = httpStatusOf(err);
  // client-node Watch errors and other Errors with `statusCode` carry no Status body; Status objects are one
  if (httpStatus !== undefined)
    return fromStatus(httpStatus, err instanceof Error ? undefined : err, err, opts);

  const sysCode = systemCodeOf(err);
  if (sysCode !== undefined && RESPONSE_TIMEOUT_CODES.has(sysCode))
    return TIMEOUT.err('the Kubernetes API did not answer in time', {
      extensions: withCluster({ networkCode: sysCode }, opts),
      cause: err,
    });
  if (sysCode !== undefined)
    return KUBE_UNAVAILABLE.err(`cannot reach the Kubernetes API (${sysCode})`, {
      extensions: withCluster({ networkCode: sysCode }, opts),
      cause: err,
    });
  if (isTimeoutOrAbort(err))
    return TIMEOUT.err('the Kubernetes request timed out or was aborted', {
      extensions: withCluster({}, opts),
      cause: err,
    });
  return INTERNAL_SERVER_ERROR.err('unexpected error talking to the Kubernetes API', {
    extensions: withCluster({}, opts),
    cause: err,
  });
}

/** 404: on raw client-node errors, Status objects and mapped errors */
export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.is(err) || httpStatusOf(err) === 404;
}

/** 409: AlreadyExists or a resourceVersion conflict */
export function isConflict(err: unknown): boolean {
  return CONFLICT.is(err) || httpStatusOf(err) === 409;
}

/** 403 */
export function isForbidden(err: unknown): boolean {
  return FORBIDDEN.is(err) || httpStatusOf(err) === 403;
}

/** 410 Gone/Expired: a watch or continue token is too old; relist */
export function isGone(err: unknown): boolean {
  return httpStatusOf(err) === 410;
}
