import { StatusError } from './status.ts';

/** Fault injection: the shapes of faults, and the failures a cluster answers with when told to. */

export interface RequestLogEntry {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: string;
  user: string;
  status: number;
  accept: string;
  contentType: string;
  userAgent: string;
  impersonateUser: string;
}

export interface FailRule {
  count: number;
  status: number;
  message?: string;
  /** only requests whose path starts with this */
  pathPrefix?: string;
}

export type OfflineMode = 'refuse' | 'hang';

export interface SimFaults {
  /** forget history: watches and continue tokens from before now get 410 Expired */
  compact(): void;
  /** end every watch cleanly (clients re-watch from their last resourceVersion); returns how many */
  resetWatches(): number;
  /** break every watch connection; returns how many */
  dropWatches(): number;
  /** the next n changes are stored but not sent to watchers */
  dropNextEvents(n: number): void;
  /** delay every API request by ms */
  latency(ms: number): void;
  /** answer the next requests with an error Status */
  failNext(rule: FailRule): void;
  /** remove latency and pending failures */
  clear(): void;
  offline(mode?: OfflineMode): Promise<void>;
  online(): Promise<void>;
  /** stop and restart the listener on the same port, objects kept */
  restart(downMs?: number): Promise<void>;
}

/** answer with the first pending failure whose path matches, consuming it */
export function injectFailure(rules: FailRule[], path: string): void {
  const i = rules.findIndex(
    (r) => r.count > 0 && (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)),
  );
  const rule = rules[i];
  if (!rule) return;
  rule.count--;
  if (rule.count <= 0) rules.splice(i, 1);
  const reasons: Record<number, string> = {
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
    403: 'Forbidden',
    401: 'Unauthorized',
    404: 'NotFound',
    409: 'Conflict',
  };
  throw new StatusError(
    rule.status,
    reasons[rule.status] ?? 'Unknown',
    rule.message ?? `kube-sim: injected failure (${rule.status})`,
    {},
  );
}
