import { createHmac, timingSafeEqual } from 'node:crypto';

import type { UserInfo } from './types.ts';

/**
 * The identity the gateway hands to subgraphs: user, groups, a timestamp and the request id, signed with
 * HMAC-SHA256 and a secret the gateway and the subgraphs share. A subgraph refuses anything unsigned, forged or
 * stale, so nobody gets around the gateway by calling a subgraph directly.
 */

export const IDENTITY_HEADERS = {
  user: 'x-fleetgraph-user',
  groups: 'x-fleetgraph-groups',
  timestamp: 'x-fleetgraph-timestamp',
  requestId: 'x-request-id',
  signature: 'x-fleetgraph-signature',
} as const;

/** the user the gateway itself connects as (its upstream WebSocket connections) */
export const GATEWAY_USER: UserInfo = { name: 'system:fleetgraph:gateway', groups: [] };

export interface SignedIdentity extends UserInfo {
  /** milliseconds since the epoch, when it was signed */
  timestamp: number;
  requestId: string;
}

function canonical(id: SignedIdentity): string {
  return [
    'v1',
    id.name,
    id.groups.map(encodeURIComponent).join(','),
    String(id.timestamp),
    id.requestId,
  ].join('\n');
}

function mac(secret: string, id: SignedIdentity): string {
  return createHmac('sha256', secret).update(canonical(id)).digest('base64url');
}

/** the headers that carry `id`, signed */
export function signIdentity(secret: string, id: SignedIdentity): Record<string, string> {
  return {
    [IDENTITY_HEADERS.user]: encodeURIComponent(id.name),
    [IDENTITY_HEADERS.groups]: id.groups.map(encodeURIComponent).join(','),
    [IDENTITY_HEADERS.timestamp]: String(id.timestamp),
    [IDENTITY_HEADERS.requestId]: id.requestId,
    [IDENTITY_HEADERS.signature]: `v1=${mac(secret, id)}`,
  };
}

export type IdentityResult = { ok: true; identity: SignedIdentity } | { ok: false; reason: string };

export interface VerifyIdentityOptions {
  /**
   * how far the timestamp may be from now, either way
   * @default 60_000
   */
  maxSkewMs?: number;
  /** @default Date.now() */
  now?: number;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** checks the signed identity headers of a request (HTTP headers or a subscription's extensions) */
export function verifyIdentity(
  secret: string,
  headers: HeaderBag,
  options: VerifyIdentityOptions = {},
): IdentityResult {
  const signature = header(headers, IDENTITY_HEADERS.signature);
  const user = header(headers, IDENTITY_HEADERS.user);
  const groupsText = header(headers, IDENTITY_HEADERS.groups) ?? '';
  const ts = header(headers, IDENTITY_HEADERS.timestamp);
  const requestId = header(headers, IDENTITY_HEADERS.requestId) ?? '';
  if (!signature || user === undefined || ts === undefined)
    return { ok: false, reason: 'no signed identity' };
  if (!signature.startsWith('v1=')) return { ok: false, reason: 'unknown signature version' };
  const timestamp = Number(ts);
  if (!Number.isSafeInteger(timestamp)) return { ok: false, reason: 'bad timestamp' };
  let identity: SignedIdentity;
  try {
    identity = {
      name: decodeURIComponent(user),
      groups: groupsText === '' ? [] : groupsText.split(',').map(decodeURIComponent),
      timestamp,
      requestId,
    };
  } catch {
    return { ok: false, reason: 'malformed identity headers' };
  }
  const expected = Buffer.from(`v1=${mac(secret, identity)}`);
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad signature' };
  }
  const skew = Math.abs((options.now ?? Date.now()) - timestamp);
  if (skew > (options.maxSkewMs ?? 60_000)) return { ok: false, reason: 'stale signature' };
  return { ok: true, identity };
}

/** drops client-supplied copies of the identity headers (the gateway does this to every incoming request) */
export function stripIdentityHeaders(headers: HeaderBag): void {
  for (const name of Object.values(IDENTITY_HEADERS))
    if (name !== IDENTITY_HEADERS.requestId) delete headers[name];
}
