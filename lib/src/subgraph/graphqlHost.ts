import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';

import { sendJson } from './httpHost.ts';

/**
 * The HTTP server every fleetgraph service (each subgraph and the gateway) runs: GraphQL over HTTP and a WebSocket
 * server on one path, /healthz, /readyz and /metrics, and the order of a graceful stop.
 */

export interface HostReadiness {
  ready: boolean;
  /** merged into the /readyz JSON body */
  body?: Record<string, unknown>;
}

export interface GraphQLHostOptions {
  /** the GraphQL path, for HTTP and WebSocket */
  path: string;
  /** what /metrics serves */
  registry: Registry;
  /**
   * checks a /metrics request first; resolves false when it refused it (and answered it)
   * @default every request may read /metrics
   */
  authorizeMetrics?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** the service's own readiness; /readyz is also unready before listen() and while stopping */
  readiness: () => HostReadiness | Promise<HostReadiness>;
  /** GraphQL over HTTP on `path` */
  graphql: (req: IncomingMessage, res: ServerResponse, url: URL) => void;
  /** tried first for every other request; returns true when it answered (the explorer) */
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** checks a WebSocket upgrade before it is accepted; a refusal answers 401 @default accept */
  authorizeUpgrade?: (req: IncomingMessage) => { ok: true } | { ok: false; reason: string };
}

export interface GraphQLHost {
  /** WebSocket connections on `path` arrive here (hand it to graphql-ws's useServer) */
  readonly wss: WebSocketServer;
  readonly port: number;
  listen(port: number, host: string): Promise<void>;
  /** /readyz says 'stopping' and new WebSocket upgrades are refused from now on */
  beginStop(): void;
  /** stops accepting, waits for open requests up to graceMs, then cuts what is left */
  closeHttp(graceMs: number): Promise<void>;
}

export function createGraphQLHost(o: GraphQLHostOptions): GraphQLHost {
  let listening = false;
  let stopping = false;
  let port = 0;

  const readyz = async (res: ServerResponse): Promise<void> => {
    let r: HostReadiness;
    try {
      r = await o.readiness();
    } catch (e) {
      r = { ready: false, body: { error: e instanceof Error ? e.message : String(e) } };
    }
    const ready = listening && !stopping && r.ready;
    sendJson(res, ready ? 200 : 503, {
      status: ready ? 'ready' : stopping ? 'stopping' : 'not ready',
      ...r.body,
    });
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') return void readyz(res);
    if (url.pathname === '/metrics') {
      const allowed = o.authorizeMetrics ? o.authorizeMetrics(req, res) : Promise.resolve(true);
      void allowed.then(async (ok) => {
        if (!ok) return;
        const text = await o.registry.metrics();
        res.writeHead(200, { 'content-type': o.registry.contentType });
        res.end(text);
      });
      return;
    }
    if (o.handle?.(req, res)) return;
    if (url.pathname !== o.path) return sendJson(res, 404, { message: `not found; GraphQL is at ${o.path}` });
    o.graphql(req, res, url);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== o.path || stopping) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const verdict = o.authorizeUpgrade?.(req) ?? { ok: true };
    if (!verdict.ok) {
      const body = JSON.stringify({
        errors: [{ message: verdict.reason, extensions: { code: 'UNAUTHENTICATED' } }],
      });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    wss,
    get port() {
      return port;
    },
    async listen(wanted, host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(wanted, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as AddressInfo).port;
      listening = true;
    },
    beginStop() {
      stopping = true;
    },
    async closeHttp(graceMs) {
      stopping = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), graceMs);
      grace.unref();
      await closed;
      clearTimeout(grace);
    },
  };
}
