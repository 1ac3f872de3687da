import { KubeConfig } from '@kubernetes/client-node';

import type { KubeSim } from '../src/index.ts';

/** Test helpers shared by kube-sim's tests. */

/** a client-node KubeConfig loaded from the kubeconfig kube-sim hands out (TLS verified against its CA) */
export function kubeConfigOf(sim: KubeSim, cluster?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(sim.cluster(cluster).kubeconfig());
  return kc;
}

/** poll until `check` returns a value other than undefined/false, or fail after `timeoutMs` */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

export function pod(namespace: string, name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'nginx:1.27' }], nodeName: 'sim-node-1' },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTPS request to a simulated cluster, TLS verified against its CA, as the admin unless a token is given. */
export async function raw(
  sim: KubeSim,
  method: string,
  path: string,
  opts: {
    body?: unknown;
    contentType?: string;
    token?: string | null;
    headers?: Record<string, string>;
    cluster?: string;
  } = {},
): Promise<RawResponse> {
  const { request } = await import('node:https');
  const c = sim.cluster(opts.cluster);
  const url = new URL(path, c.url);
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? c.adminToken : opts.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sim.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
  } & Record<string, unknown>;
}

export interface OpenWatch {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: WatchEvent[];
  ended: Promise<void>;
  /** wait until at least n events arrived */
  next(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  close(): void;
}

/** Open a watch and collect its newline-delimited events. */
export async function openWatch(sim: KubeSim, path: string, cluster?: string): Promise<OpenWatch> {
  const { request } = await import('node:https');
  const c = sim.cluster(cluster);
  const url = new URL(path, c.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', headers: { Authorization: `Bearer ${c.adminToken}` }, ca: sim.caPem },
      (res) => {
        const events: WatchEvent[] = [];
        let buf = '';
        let endedResolve: () => void = () => undefined;
        const ended = new Promise<void>((r) => (endedResolve = r));
        res.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)) as WatchEvent);
            buf = buf.slice(i + 1);
          }
        });
        res.on('end', endedResolve);
        res.on('close', endedResolve);
        res.on('error', endedResolve);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          ended,
          next: (n, timeoutMs = 10_000) =>
            waitFor(() => (events.length >= n ? events.slice() : undefined), `${n} watch events`, timeoutMs),
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
