import type { IncomingMessage, ServerResponse } from 'node:http';

import { isClusterAdmin, type UserInfo } from './auth.ts';
import type { SimCluster } from './cluster.ts';
import { sendJson } from './http.ts';
import { isObject } from './objects.ts';
import { badRequest, forbidden, methodNotAllowed, unknownPath } from './status.ts';
import type { KubeObject } from './types.ts';

/**
 * Fault injection and inspection over HTTPS, under /__sim/ on each cluster's listener, for the cluster-admin
 * token only. Documented in docs/kube-sim.md.
 */
export async function handleSimRequest(
  cluster: SimCluster,
  user: UserInfo,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  raw: Buffer,
): Promise<void> {
  if (!isClusterAdmin(user))
    throw forbidden(`User "${user.username}" cannot use the kube-sim control endpoints`);
  const path = url.pathname.replace(/^\/__sim\//, '').replace(/\/$/, '');
  let body: Record<string, unknown> = {};
  if (raw.length) {
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      throw badRequest('kube-sim: the body must be a JSON object');
    }
  }
  const num = (key: string, fallback?: number): number => {
    const v = body[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw badRequest(`kube-sim: "${key}" must be a non-negative number`);
    return v;
  };
  const method = req.method ?? 'GET';
  if (method === 'GET') {
    if (path === 'requests') {
      const since = Number(url.searchParams.get('since') ?? 0);
      return sendJson(res, 200, { items: cluster.requestLog.filter((e) => e.seq > since) });
    }
    if (path === 'state') {
      return sendJson(res, 200, {
        name: cluster.name,
        resourceVersion: cluster.store.resourceVersion,
        oldestResumableResourceVersion: cluster.store.oldestResumableRv,
        watchers: cluster.store.watcherCount(),
        objects: Object.fromEntries(
          cluster.store.groupResources().map((gr) => [gr, cluster.store.count(gr)]),
        ),
      });
    }
    throw unknownPath();
  }
  if (method !== 'POST') throw methodNotAllowed();
  switch (path) {
    case 'compact':
      cluster.store.compact();
      return sendJson(res, 200, { compactedTo: cluster.store.resourceVersion });
    case 'watches/reset':
      return sendJson(res, 200, { closed: cluster.store.closeWatches('end') });
    case 'watches/drop':
      return sendJson(res, 200, { closed: cluster.store.closeWatches('destroy') });
    case 'events/drop':
      cluster.store.dropNextEvents(num('count'));
      return sendJson(res, 200, {});
    case 'latency':
      cluster.setLatency(num('ms'));
      return sendJson(res, 200, {});
    case 'fail': {
      const rule: Parameters<SimCluster['failNext']>[0] = {
        count: num('count', 1),
        status: num('status', 503),
      };
      if (typeof body['message'] === 'string') rule.message = body['message'];
      if (typeof body['pathPrefix'] === 'string') rule.pathPrefix = body['pathPrefix'];
      cluster.failNext(rule);
      return sendJson(res, 200, {});
    }
    case 'clear':
      cluster.clearFaults();
      return sendJson(res, 200, {});
    case 'restart': {
      const downMs = num('downMs', 0);
      sendJson(res, 202, { restartingInMs: downMs });
      res.once('finish', () => setTimeout(() => void cluster.restart(downMs), 10));
      return;
    }
    case 'offline': {
      const mode = body['mode'] ?? 'refuse';
      if (mode !== 'refuse' && mode !== 'hang')
        throw badRequest('kube-sim: "mode" must be "refuse" or "hang"');
      const forMs = num('forMs', 0);
      if (forMs <= 0)
        throw badRequest('kube-sim: "forMs" is required over HTTP, or the cluster could not come back');
      sendJson(res, 202, { mode, forMs });
      res.once('finish', () => {
        setTimeout(() => {
          void cluster.offline(mode).then(() => setTimeout(() => void cluster.online(), forMs));
        }, 10);
      });
      return;
    }
    case 'objects': {
      const items = body['items'];
      if (!Array.isArray(items) || !items.every((i) => isObject(i) && isObject(i['metadata']))) {
        throw badRequest('kube-sim: "items" must be a list of objects with metadata');
      }
      return sendJson(res, 200, { items: cluster.apply(items as KubeObject[]) });
    }
    default:
      throw unknownPath();
  }
}
