import type { KubeConfig } from '@kubernetes/client-node';

import { KubeHttpError } from './listPages.ts';
import { kubeRequest } from './request.ts';

/** Active probing of a cluster: a cheap authenticated request, classified. */

export type ProbeOutcome = 'READY' | 'NOT_READY' | 'UNREACHABLE' | 'UNAUTHORIZED';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /**
   * CamelCase cause: Ready, NotReady, ServerError, UnexpectedStatus, Unauthorized, Forbidden, ConnectionRefused,
   * ConnectionReset, DNSFailure, Timeout, CertificateInvalid, CertificateExpired, NetworkError, Aborted,
   * InvalidKubeconfig
   */
  reason: string;
  message: string;
  /** the HTTP status, when the server answered with an error */
  statusCode?: number;
  /** from the start of the probe to its outcome, measured with performance.now() */
  latencyMs: number;
  /** `/version`'s gitVersion, when it answered */
  gitVersion?: string;
  /** when the probe started */
  at: Date;
}

export interface ProbeOptions {
  /**
   * the whole probe (both requests) gives up after this many ms: UNREACHABLE, reason Timeout
   * @default 3000
   */
  timeoutMs?: number;
  /**
   * aborting ends the probe: UNREACHABLE, reason Aborted
   * @default undefined
   */
  signal?: AbortSignal;
}

type Classified = Pick<ProbeResult, 'outcome' | 'reason' | 'message'> & { statusCode?: number };

const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'ConnectionRefused',
  ECONNRESET: 'ConnectionReset',
  EPIPE: 'ConnectionReset',
  UND_ERR_SOCKET: 'ConnectionReset',
  UND_ERR_CLOSED: 'ConnectionReset',
  ENOTFOUND: 'DNSFailure',
  EAI_AGAIN: 'DNSFailure',
  ETIMEDOUT: 'Timeout',
  UND_ERR_CONNECT_TIMEOUT: 'Timeout',
  UND_ERR_HEADERS_TIMEOUT: 'Timeout',
  UND_ERR_BODY_TIMEOUT: 'Timeout',
  EHOSTUNREACH: 'HostUnreachable',
  ENETUNREACH: 'HostUnreachable',
};

/** the errors along the `cause` chain, outermost first */
function causes(err: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const r = e as Record<string, unknown>;
    out.push(r);
    e = r['cause'];
  }
  return out;
}

function textOf(err: unknown): string {
  const parts = causes(err)
    .map((e) => (typeof e['message'] === 'string' ? e['message'] : ''))
    .filter((m) => m !== '');
  return parts.length ? [...new Set(parts)].join(': ') : String(err);
}

function classifyNetwork(err: unknown, aborted: boolean): Classified {
  const chain = causes(err);
  const message = textOf(err);
  if (chain.some((e) => e['name'] === 'TimeoutError'))
    return { outcome: 'UNREACHABLE', reason: 'Timeout', message };
  if (aborted) return { outcome: 'UNREACHABLE', reason: 'Aborted', message };
  for (const e of chain) {
    const code = typeof e['code'] === 'string' ? e['code'] : undefined;
    if (!code) continue;
    if (TLS_EXPIRED.has(code)) return { outcome: 'UNREACHABLE', reason: 'CertificateExpired', message };
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_SSL|ERR_TLS/.test(code))
      return { outcome: 'UNREACHABLE', reason: 'CertificateInvalid', message };
    const reason = NETWORK[code];
    if (reason) return { outcome: 'UNREACHABLE', reason, message };
  }
  return { outcome: 'UNREACHABLE', reason: 'NetworkError', message };
}

function classifyHttp(err: KubeHttpError): Classified {
  const statusCode = err.statusCode;
  const message = err.message;
  if (statusCode === 401) return { outcome: 'UNAUTHORIZED', reason: 'Unauthorized', message, statusCode };
  if (statusCode === 403) return { outcome: 'UNAUTHORIZED', reason: 'Forbidden', message, statusCode };
  if (statusCode >= 500) return { outcome: 'NOT_READY', reason: 'ServerError', message, statusCode };
  return { outcome: 'NOT_READY', reason: 'UnexpectedStatus', message, statusCode };
}

/**
 * GET /version with the kubeconfig's credentials (a bad token gets 401 there), then GET /readyz (a non-200
 * answer other than 401/403/404 is NOT_READY with the body as message). Never throws.
 */
export async function probeCluster(
  kc: KubeConfig | undefined,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const at = new Date();
  const started = performance.now();
  const done = (c: Classified, gitVersion?: string): ProbeResult => ({
    ...c,
    latencyMs: performance.now() - started,
    ...(gitVersion !== undefined ? { gitVersion } : {}),
    at,
  });
  if (!kc?.getCurrentCluster())
    return done({
      outcome: 'UNREACHABLE',
      reason: 'InvalidKubeconfig',
      message: kc ? 'the kubeconfig has no current cluster' : 'no usable kubeconfig',
    });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 3000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let gitVersion: string | undefined;
  try {
    const version = await kubeRequest<{ gitVersion?: unknown }>(kc, '/version', { signal });
    if (typeof version === 'object' && version !== null && typeof version.gitVersion === 'string')
      gitVersion = version.gitVersion;
    try {
      await kubeRequest(kc, '/readyz', { signal, headers: { Accept: 'text/plain, application/json' } });
    } catch (err) {
      if (!(err instanceof KubeHttpError)) throw err;
      if (err.statusCode === 401 || err.statusCode === 403) throw err;
      if (err.statusCode !== 404) {
        const message = err.body.trim() || err.message;
        return done(
          { outcome: 'NOT_READY', reason: 'NotReady', message, statusCode: err.statusCode },
          gitVersion,
        );
      }
    }
    return done(
      { outcome: 'READY', reason: 'Ready', message: `ready${gitVersion ? ` (${gitVersion})` : ''}` },
      gitVersion,
    );
  } catch (err) {
    if (err instanceof KubeHttpError) return done(classifyHttp(err), gitVersion);
    return done(classifyNetwork(err, options.signal?.aborted ?? false), gitVersion);
  }
}
