import type { UserInfo } from '../auth.ts';
import { parseRequestPath, requestVerb } from '../requestInfo.ts';
import { forbidden, type StatusError } from '../status.ts';

/**
 * Authorization attributes of a request (k8s.io/apiserver authorizer.AttributesRecord), built as the
 * apiserver's RequestInfoFactory builds them, and the 403 the apiserver words from them.
 */

export interface ResourceAttributes {
  resourceRequest: true;
  user: UserInfo;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** '' at the cluster scope */
  namespace: string;
  /** '' when the request names no object */
  name: string;
}

export interface NonResourceAttributes {
  resourceRequest: false;
  user: UserInfo;
  verb: string;
  path: string;
}

export type Attributes = ResourceAttributes | NonResourceAttributes;

/** a name the apiserver accepts as a path segment (path.IsValidPathSegmentName) */
const isPathSegmentName = (n: string): boolean => n !== '' && n !== '.' && n !== '..' && !/[/%]/.test(n);

/** the name a field selector pins with metadata.name=<n> or metadata.name==<n> (fields.RequiresExactMatch) */
function pinnedName(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m && !term.includes('!=')) return m[1];
  }
  return undefined;
}

/** the attributes of an HTTP request by `user` */
export function requestAttributes(user: UserInfo, method: string, url: URL): Attributes {
  const nonResource = (): NonResourceAttributes => ({
    resourceRequest: false,
    user,
    verb: method.toLowerCase(),
    path: url.pathname,
  });
  let pathname = url.pathname;
  // The legacy /watch/ prefix (/api/v1/watch/namespaces/x/pods) is a watch of what follows it.
  const legacyWatch = /^\/(?:api\/[^/]+|apis\/[^/]+\/[^/]+)\/watch\//.exec(pathname);
  if (legacyWatch) pathname = pathname.replace('/watch/', '/');
  let info;
  try {
    info = parseRequestPath(pathname);
  } catch {
    return nonResource();
  }
  if (info.kind !== 'resource') return nonResource();
  const q = url.searchParams;
  let verb = requestVerb(method, info.name !== undefined, q);
  if (legacyWatch && (method === 'GET' || method === 'HEAD')) verb = 'watch';
  let name = info.name ?? '';
  if (name === '' && (verb === 'list' || verb === 'watch')) {
    const pinned = pinnedName(q.get('fieldSelector'));
    if (pinned !== undefined && isPathSegmentName(pinned)) name = pinned;
  }
  // /api/v1/namespaces/<n> addresses namespace <n> in its own namespace, as the apiserver sees it.
  let namespace = info.namespace ?? '';
  if (info.group === '' && info.resource === 'namespaces' && info.name !== undefined) namespace = info.name;
  return {
    resourceRequest: true,
    user,
    verb,
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: info.subresource ?? '',
    namespace,
    name,
  };
}

/** the 403 the apiserver sends (responsewriters.Forbidden + errors.NewForbidden) */
export function forbiddenError(a: Attributes, reason: string): StatusError {
  const who = `User ${JSON.stringify(a.user.username)}`;
  if (!a.resourceRequest) {
    const msg = `${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
    return forbidden(`forbidden: ${reason ? `${msg}: ${reason}` : msg}`);
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  const msg = `${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${scope}`;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  const t: { group: string; resource: string; name?: string } = { group: a.group, resource: a.resource };
  if (a.name) t.name = a.name;
  return forbidden(`${subject} is forbidden: ${reason ? `${msg}: ${reason}` : msg}`, t);
}
