import type { IncomingMessage, ServerResponse } from 'node:http';

import type { KubeApi, Target } from './api.ts';
import { makeFilter } from './listing.ts';
import { isObject } from './objects.ts';
import { bool, deleteOptions, intParam, listOptions, parseBody, str, writeOptions } from './params.ts';
import { patchObject, toPatchType } from './patch.ts';
import { PodLogStore } from './podLogs.ts';
import { servePodLog } from './podLogsHttp.ts';
import { parseRequestPath, type RequestInfo, requestVerb } from './requestInfo.ts';
import { getScale, writeScale } from './scale.ts';
import { serveServiceProxy } from './serviceProxy.ts';
import {
  badRequest,
  expired,
  methodNotAllowed,
  StatusError,
  tooLargeResourceVersion,
  unknownPath,
} from './status.ts';
import { printerFor, rowJson, sendTable, tableHead, tableRequest, watchTableEncoder } from './table.ts';
import { apiVersionOf, groupResource, type ResourceType } from './types.ts';
import { jsonOf, createHttpWatch } from './watch.ts';

/** The Kubernetes REST API over HTTP: routing, parameters, bodies, list and watch streaming. */

export interface ApiHttpOptions {
  api: KubeApi;
  version: Record<string, string>;
  bookmarkIntervalMs: number;
  /** the cluster's pod logs (pods/log reads them); its clock also dates the ages in Table output */
  logs?: PodLogStore | undefined;
  /** answers a POST of an authorization.k8s.io access review (authz/reviews.ts), as the requesting user */
  review?: (type: ResourceType, namespace: string | undefined, body: unknown) => unknown;
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  warnings: readonly string[] = [],
): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  if (warnings.length) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

export function handleApi(
  o: ApiHttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  raw: Buffer,
): void | Promise<void> {
  const info = parseRequestPath(url.pathname);
  const { api } = o;
  const method = req.method ?? 'GET';
  switch (info.kind) {
    case 'discovery':
      if (method !== 'GET') throw methodNotAllowed();
      if (info.path === 'api') {
        const host = req.headers.host ?? '127.0.0.1';
        sendJson(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
        });
      } else {
        sendJson(res, 200, api.registry.groupList());
      }
      return;
    case 'group': {
      const list = api.registry.groupList() as { groups: { name: string }[] };
      const group = list.groups.find((g) => g.name === info.group);
      if (!group) throw unknownPath();
      sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
      return;
    }
    case 'groupVersion':
      if (!api.registry.hasGroupVersion(info.group, info.version)) throw unknownPath();
      sendJson(res, 200, api.registry.resourceList(info.group, info.version));
      return;
    case 'nonResource':
      return nonResource(o, info.path, res);
    case 'resource':
      return resource(o, info, req, res, url, raw);
    default: {
      const never: never = info;
      throw new Error(`unhandled request ${JSON.stringify(never)}`);
    }
  }
}

function nonResource(o: ApiHttpOptions, path: string, res: ServerResponse): void {
  if (path === '/version' || path === '/version/') return sendJson(res, 200, o.version);
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  throw unknownPath();
}

function resource(
  o: ApiHttpOptions,
  info: Extract<RequestInfo, { kind: 'resource' }>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  raw: Buffer,
): void | Promise<void> {
  const { api } = o;
  const type = api.registry.get(info.group, info.version, info.resource);
  if (!type) throw unknownPath();
  if (info.namespace !== undefined && !type.namespaced) throw unknownPath();
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const t: Target = { type, namespace: info.namespace ?? '', name: info.name };
  const sub = info.subresource;
  if (sub === 'proxy') {
    if (type.group !== '' || type.resource !== 'services' || info.name === undefined || !info.namespace)
      throw unknownPath();
    return serveServiceProxy(api, info.namespace, info.name, info.proxyPath ?? '/', req, res);
  }
  if (
    sub !== undefined &&
    !((sub === 'status' && type.status) || (sub === 'scale' && type.scale) || (sub === 'log' && type.log))
  ) {
    throw unknownPath();
  }
  if (sub === undefined && !type.verbs.includes(requestVerb(method, info.name !== undefined, q))) {
    throw methodNotAllowed();
  }
  if (info.name === undefined) {
    // Collections: a namespaced type addressed without a namespace is listed across all namespaces.
    const namespace = type.namespaced ? info.namespace : undefined;
    if (method === 'GET') {
      if (bool(q, 'watch')) return watch(o, type, namespace, q, req, res);
      return list(o, type, namespace, q, req, res);
    }
    if (method === 'POST') {
      if (type.namespaced && info.namespace === undefined) throw methodNotAllowed();
      if (o.review && type.group === 'authorization.k8s.io') {
        return sendJson(
          res,
          201,
          o.review(type, info.namespace, parseBody(raw, req.headers['content-type'], true)),
        );
      }
      const r = api.create(t, parseBody(raw, req.headers['content-type'], true), writeOptions(q));
      return sendJson(res, 201, r.object, r.warnings);
    }
    if (method === 'DELETE') {
      const body = parseBody(raw, req.headers['content-type'], false);
      const deleted = api.deleteCollection(type, namespace, { ...listOptions(q), ...deleteOptions(q, body) });
      return sendJson(res, 200, {
        kind: type.listKind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(api.store.resourceVersion) },
        items: deleted,
      });
    }
    throw methodNotAllowed();
  }
  if (sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    return podLog(o, t, q, res);
  }
  if (sub === 'scale') {
    if (method === 'GET') return sendJson(res, 200, getScale(api, t));
    if (method === 'PUT')
      return sendJson(
        res,
        200,
        writeScale(api, t, parseBody(raw, req.headers['content-type'], false), writeOptions(q)),
      );
    if (method === 'PATCH') {
      const pt = toPatchType(req.headers['content-type'], { ...type, strategic: true });
      return sendJson(res, 200, writeScale(api, t, parseBody(raw, pt, true), writeOptions(q), pt));
    }
    throw methodNotAllowed();
  }
  const status = sub === 'status' ? 'status' : undefined;
  switch (method) {
    case 'GET':
      if (bool(q, 'watch')) {
        // A watch on one object: the collection filtered by name.
        q.set(
          'fieldSelector',
          [q.get('fieldSelector'), `metadata.name=${info.name}`].filter(Boolean).join(','),
        );
        return watch(o, type, type.namespaced ? info.namespace : undefined, q, req, res);
      }
      {
        const rv = q.get('resourceVersion');
        if (rv && rv !== '0' && Number(rv) > api.store.resourceVersion)
          throw tooLargeResourceVersion(rv, api.store.resourceVersion);
      }
      {
        // kubectl get asks for a Table (Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...)
        const obj = api.get(t);
        const table = tableRequest(req.headers.accept, q);
        if (!table) return sendJson(res, 200, obj);
        return sendTable(res, type, table, obj, clock(o));
      }
    case 'PUT': {
      const r = api.update(t, parseBody(raw, req.headers['content-type'], true), writeOptions(q), status);
      return sendJson(res, 200, r.object, r.warnings);
    }
    case 'PATCH': {
      const pt = toPatchType(req.headers['content-type'], type);
      const opts = { ...writeOptions(q), force: bool(q, 'force') };
      const r = patchObject(api, t, pt, parseBody(raw, pt, true), opts, status);
      return sendJson(res, r.created ? 201 : 200, r.object, r.warnings);
    }
    case 'DELETE': {
      if (status) throw methodNotAllowed();
      const body = parseBody(raw, req.headers['content-type'], false);
      const obj = api.delete(t, deleteOptions(q, body));
      // Like the apiserver's delete handler: 202 only when the object is still there and the client asked for
      // cascading with orphanDependents=false; 200 otherwise, also for finalizers and namespaces.
      const pending = api.store.get(groupResource(type), t.namespace, t.name ?? '') !== undefined;
      const cascade = isObject(body) && body['orphanDependents'] === false;
      return sendJson(res, pending && cascade ? 202 : 200, obj);
    }
    case 'POST':
      throw methodNotAllowed();
    default:
      throw methodNotAllowed();
  }
}

async function list(
  o: ApiHttpOptions,
  type: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const result = o.api.list(type, namespace, listOptions(q));
  const table = tableRequest(req.headers.accept, q);
  // The store updates its cached arrays in place; the response must show the state at the list's resourceVersion.
  const items = result.items.slice();
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continue !== undefined) metadata['continue'] = result.continue;
  if (result.remainingItemCount !== undefined) metadata['remainingItemCount'] = result.remainingItemCount;
  const apiVersion = apiVersionOf(type);
  const printer = table && printerFor(type);
  const now = clock(o);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // Stream the items in batches, waiting for the socket to drain: a list of 100,000 pods never becomes one
  // string, nor one buffer in memory.
  let ok = res.write(
    table && printer
      ? tableHead(printer, table, metadata)
      : `{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[`,
  );
  for (let i = 0; i < items.length; i += LIST_BATCH) {
    if (!ok && !(await drained(res))) return;
    const batch = items.slice(i, i + LIST_BATCH).map((obj) =>
      table && printer
        ? rowJson(printer, obj, apiVersion, table, now)
        : // Lists do not fill the watch JSON cache: that would keep a second copy of every object listed.
          obj.apiVersion === apiVersion
          ? jsonOf(obj, false)
          : JSON.stringify({ ...obj, apiVersion }),
    );
    ok = res.write((i === 0 ? '' : ',') + batch.join(','));
  }
  res.end(']}');
}

/** the cluster clock (the one pod logs use), for the ages in Table output */
const clock = (o: ApiHttpOptions): number => (o.logs?.now ?? Date.now)();

const LIST_BATCH = 200;

/** resolves true once the response can take more, false if the client went away */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

function watch(
  o: ApiHttpOptions,
  type: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { store } = o.api;
  const filter = makeFilter(type, str(q, 'labelSelector'), str(q, 'fieldSelector'));
  const rvParam = q.get('resourceVersion') ?? '';
  const initial = bool(q, 'sendInitialEvents');
  const bookmarks = bool(q, 'allowWatchBookmarks');
  if (initial && (q.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks)) {
    throw new StatusError(
      422,
      'Invalid',
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and resourceVersionMatch is NotOlderThan and allowWatchBookmarks is true',
      {},
    );
  }
  let fromRv: number | undefined;
  if (rvParam !== '' && rvParam !== '0' && !initial) {
    fromRv = Number(rvParam);
    if (!Number.isSafeInteger(fromRv) || fromRv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
    if (fromRv > store.resourceVersion) throw tooLargeResourceVersion(rvParam, store.resourceVersion);
  }
  // with a Table Accept, every event's object is a one-row Table
  const table = tableRequest(req.headers.accept, q);
  const sink = createHttpWatch({
    res,
    encode: table && watchTableEncoder(type, table, () => clock(o)),
    gr: groupResource(type),
    namespace,
    filter,
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    bookmarks,
    bookmarkIntervalMs: o.bookmarkIntervalMs,
    timeoutSeconds: intParam(q, 'timeoutSeconds'),
    currentRv: () => store.resourceVersion,
    onClose: (s) => store.unwatch(s),
  });
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  sink.start();
  if (!store.watch(sink, fromRv)) {
    sink.error(expired(`too old resource version: ${rvParam} (${store.oldestResumableRv})`));
    return;
  }
  if (initial) sink.bookmark({ 'k8s.io/initial-events-end': 'true' });
}

function podLog(o: ApiHttpOptions, t: Target, q: URLSearchParams, res: ServerResponse): void {
  let logs = o.logs ?? fallbackLogs.get(o.api);
  if (!logs) {
    logs = new PodLogStore();
    fallbackLogs.set(o.api, logs);
  }
  servePodLog(o.api, logs, t, q, res);
}

/** pod logs for an API served without a PodLogStore of its own */
const fallbackLogs = new WeakMap<KubeApi, PodLogStore>();
