import type { UserInfo } from '../auth.ts';
import { badRequest } from '../status.ts';
import { type Attributes, forbiddenError, type ResourceAttributes } from './attributes.ts';
import type { Decision } from './rbac.ts';

/**
 * User impersonation (k8s.io/apiserver endpoints/filters/impersonation.go): Impersonate-User, Impersonate-Group
 * (repeatable), Impersonate-Uid and Impersonate-Extra-<key>. Each thing asked for needs verb `impersonate` on it;
 * the first one refused answers 403 as the apiserver words it.
 */

const AUTH_GROUP = 'authentication.k8s.io';
const SA_PREFIX = 'system:serviceaccount:';
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** serviceaccount.SplitUsername: namespace and name of system:serviceaccount:<ns>:<name>, or undefined */
function splitServiceAccount(username: string): [string, string] | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  const [ns, name] = parts;
  if (parts.length !== 2 || ns === undefined || name === undefined) return undefined;
  if (ns.length > 63 || !DNS1123_LABEL.test(ns)) return undefined;
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return undefined;
  return [ns, name];
}

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * The user a request acts as: `requester` itself, or the impersonated user once every part of it is allowed.
 * Throws 400 for groups, extras or a uid without a user, and 403 for the first part the requester may not assume.
 */
export function impersonate(
  requester: UserInfo,
  headers: Record<string, string[] | undefined>,
  authorize: (a: Attributes) => Decision,
): UserInfo {
  const userHeader = headers['impersonate-user']?.[0] ?? '';
  const groupHeaders = headers['impersonate-group'] ?? [];
  const uidHeader = headers['impersonate-uid']?.[0] ?? '';
  const extras: [string, string][] = [];
  for (const [h, values] of Object.entries(headers)) {
    if (!h.startsWith('impersonate-extra-')) continue;
    const key = unescapeExtraKey(h.slice('impersonate-extra-'.length).toLowerCase());
    for (const v of values ?? []) extras.push([key, v]);
  }
  if (userHeader === '') {
    if (groupHeaders.length || extras.length || uidHeader !== '') {
      throw badRequest('requested impersonation of groups, extra or a uid without impersonating a user');
    }
    return requester;
  }
  const check = (resource: string, name: string, extra: Partial<ResourceAttributes> = {}): void => {
    const a: ResourceAttributes = {
      resourceRequest: true,
      user: requester,
      verb: 'impersonate',
      group: '',
      version: 'v1',
      resource,
      subresource: '',
      namespace: '',
      name,
      ...extra,
    };
    const d = authorize(a);
    if (!d.allowed) throw forbiddenError(a, d.reason);
  };
  let groups: string[] = [];
  const sa = splitServiceAccount(userHeader);
  if (sa) {
    check('serviceaccounts', sa[1], { namespace: sa[0] });
    // A service account's groups are a fixed mapping, used unless groups are given.
    if (groupHeaders.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${sa[0]}`];
  } else {
    check('users', userHeader);
  }
  for (const g of groupHeaders) {
    check('groups', g);
    groups.push(g);
  }
  const extra: Record<string, string[]> = {};
  for (const [key, value] of extras) {
    check('userextras', value, { group: AUTH_GROUP, subresource: key });
    (extra[key] ??= []).push(value);
  }
  if (uidHeader !== '') check('uids', uidHeader, { group: AUTH_GROUP });
  if (userHeader === 'system:anonymous') {
    if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  } else if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) {
    groups.push('system:authenticated');
  }
  const user: UserInfo = { username: userHeader, uid: uidHeader, groups };
  if (extras.length) user.extra = extra;
  return user;
}
