/** Parse an API path into what it addresses (k8s.io/apiserver pkg/endpoints/request RequestInfoFactory, in small). */

export type RequestInfo =
  | {
      kind: 'resource';
      group: string;
      version: string;
      namespace?: string;
      resource: string;
      name?: string;
      subresource?: string;
      /** what follows a `proxy` subresource, from its `/` (services/<name>/proxy/<path>) */
      proxyPath?: string;
    }
  | { kind: 'discovery'; path: 'api' | 'apis' }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'group'; group: string }
  | { kind: 'nonResource'; path: string };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestPath(pathname: string): RequestInfo {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', path: 'api' };
    const version = parts[1] ?? '';
    if (parts.length === 2) return { kind: 'groupVersion', group: '', version };
    return resource('', version, parts.slice(2), pathname);
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', path: 'apis' };
    const group = parts[1] ?? '';
    if (parts.length === 2) return { kind: 'group', group };
    const version = parts[2] ?? '';
    if (parts.length === 3) return { kind: 'groupVersion', group, version };
    return resource(group, version, parts.slice(3), pathname);
  }
  return { kind: 'nonResource', path: pathname };
}

function resource(group: string, version: string, rest: string[], pathname: string): RequestInfo {
  // The legacy /watch/ prefix: /api/v1/watch/namespaces/x/pods is served as a watch by the caller.
  let parts = rest;
  if (
    parts[0] === 'namespaces' &&
    parts.length >= 3 &&
    !(parts.length === 3 && NAMESPACE_SUBRESOURCES.has(parts[2] ?? ''))
  ) {
    const namespace = parts[1] ?? '';
    parts = parts.slice(2);
    const info: RequestInfo = { kind: 'resource', group, version, namespace, resource: parts[0] ?? '' };
    if (parts[1] !== undefined) info.name = parts[1];
    if (parts[2] !== undefined) info.subresource = parts[2];
    if (parts[2] === 'proxy') info.proxyPath = `/${parts.slice(3).join('/')}`;
    else if (parts.length > 3) return { kind: 'nonResource', path: pathname };
    return info;
  }
  const info: RequestInfo = { kind: 'resource', group, version, resource: parts[0] ?? '' };
  if (parts[1] !== undefined) info.name = parts[1];
  if (parts[2] !== undefined) info.subresource = parts[2];
  if (parts.length > 3) return { kind: 'nonResource', path: pathname };
  return info;
}

/** The API verb of a resource request, as RBAC and discovery name it (k8s.io/apiserver RequestInfoFactory). */
export function requestVerb(method: string, hasName: boolean, query: URLSearchParams): string {
  const watching = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watching) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
