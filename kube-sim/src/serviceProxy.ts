import type { IncomingMessage, ServerResponse } from 'node:http';

import type { KubeApi } from './api.ts';
import { isObject } from './objects.ts';
import { notFound, StatusError } from './status.ts';
import type { StoredObject } from './types.ts';

/**
 * The API server's service proxy: `/api/v1/namespaces/<ns>/services/<[scheme:]name[:port]>/proxy/<path>`, any
 * method (RBAC: the method's verb on `services/proxy`, checked before this runs). As kube-apiserver's
 * ServiceREST.ResourceLocation does, it picks one ready endpoint of the Service, round-robin: a pod matching the
 * Service's selector with condition Ready=True and no deletionTimestamp (kube-sim has no Endpoints controller, so
 * the endpoints are computed from the pods on each request). kube-sim runs no containers, so the pod's answer is
 * played: an ingress-nginx controller (image `…nginx-ingress-controller…`) answers as its default backend, 404
 * `default backend - 404`; any other pod answers 200 with a line naming itself. Every answer carries
 * `x-sim-pod: <pod>`. No ready endpoint: 503 `no endpoints available for service "<name>"`; a port the Service
 * does not have: 503 `no service port "<port>" found for service "<name>"`; no Service: 404.
 */

/** per API (cluster), the round-robin position per service */
const cursors = new WeakMap<KubeApi, Map<string, number>>();

function serviceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

/** `[scheme:]name[:port]`, as net.SplitSchemeNamePort reads it */
function splitName(id: string): { name: string; port: string } {
  const parts = id.split(':');
  if (parts.length === 3 && (parts[0] === 'http' || parts[0] === 'https'))
    return { name: parts[1] ?? '', port: parts[2] ?? '' };
  if (parts.length === 2) return { name: parts[0] ?? '', port: parts[1] ?? '' };
  return { name: id, port: '' };
}

const labelsOf = (v: unknown): Record<string, string> =>
  isObject(v) ? (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) as never) : {};

/** Ready=True and not terminating */
export function isReadyEndpoint(pod: StoredObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const status = isObject(pod['status']) ? pod['status'] : {};
  const conditions = Array.isArray(status['conditions']) ? status['conditions'] : [];
  return conditions.some((c) => isObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

/** the ready endpoint pods of a Service, by name */
export function readyEndpoints(api: KubeApi, namespace: string, service: StoredObject): StoredObject[] {
  const spec = isObject(service['spec']) ? service['spec'] : {};
  const selector = labelsOf(spec['selector']);
  const keys = Object.keys(selector);
  // a Service without a selector has manually managed Endpoints, which kube-sim does not serve
  if (keys.length === 0) return [];
  return api.store
    .list('pods', namespace)
    .filter((p) => {
      const labels = p.metadata.labels ?? {};
      return keys.every((k) => labels[k] === selector[k]) && isReadyEndpoint(p);
    })
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

function images(pod: StoredObject): string[] {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  const containers = Array.isArray(spec['containers']) ? spec['containers'] : [];
  return containers.map((c) => (isObject(c) && typeof c['image'] === 'string' ? c['image'] : ''));
}

export function serveServiceProxy(
  api: KubeApi,
  namespace: string,
  id: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { name, port } = splitName(id);
  const service = api.store.get('services', namespace, name);
  if (!service) throw notFound({ group: '', resource: 'services', name });
  if (port !== '') {
    const spec = isObject(service['spec']) ? service['spec'] : {};
    const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
    const known = ports.some((p) => isObject(p) && (p['name'] === port || String(p['port']) === port));
    if (!known) throw serviceUnavailable(`no service port "${port}" found for service "${name}"`);
  }
  const endpoints = readyEndpoints(api, namespace, service);
  if (endpoints.length === 0) throw serviceUnavailable(`no endpoints available for service "${name}"`);
  let byService = cursors.get(api);
  if (!byService) {
    byService = new Map();
    cursors.set(api, byService);
  }
  const key = `${namespace}/${name}`;
  const n = byService.get(key) ?? 0;
  byService.set(key, n + 1);
  const pod = endpoints[n % endpoints.length] as StoredObject;
  const podName = pod.metadata.name;
  const nginx = images(pod).some((i) => i.includes('nginx-ingress-controller'));
  const body = nginx ? 'default backend - 404' : `${podName}: ${req.method ?? 'GET'} ${path}\n`;
  res.writeHead(nginx ? 404 : 200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'x-sim-pod': podName,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
