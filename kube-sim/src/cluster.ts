import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';

import { KubeApi } from './api.ts';
import { newToken, TokenTable, type TokenEntry, type UserInfo } from './auth.ts';
import { Authorizer } from './authz/authorizer.ts';
import { accessReview } from './authz/reviews.ts';
import type { CertificateAuthority, ServingCert } from './certs.ts';
import { RealClock, type SimClock } from './clock.ts';
import type { ControllerOptions } from './controllers/context.ts';
import { ControllerManager } from './controllers/manager.ts';
import type { NodeControls } from './controllers/nodes.ts';
import { handleApi, sendStatus } from './http.ts';
import { toKubeconfig } from './kubeconfig.ts';
import { PodLogStore } from './podLogs.ts';
import { Registry } from './registry.ts';
import { handleSimRequest } from './simEndpoints.ts';
import { internalError, isStatusError } from './status.ts';
import { ObjectStore } from './store.ts';
import {
  type FailRule,
  injectFailure,
  type OfflineMode,
  type RequestLogEntry,
  type SimFaults,
} from './faults.ts';
import { readBody } from './params.ts';
import { groupResource, type KubeObject, type StoredObject } from './types.ts';

/** One simulated cluster: its own HTTPS listener, objects, resourceVersion sequence, users and faults. */

export interface SimClusterOptions {
  name: string;
  ca: CertificateAuthority;
  cert: ServingCert;
  host?: string;
  port?: number;
  historySize?: number;
  bookmarkIntervalMs?: number;
  requestLogSize?: number;
  users?: TokenEntry[];
  now?: () => number;
  /** the clock controllers and timestamps follow; @default real time */
  clock?: SimClock;
  /** tuning of the simulated controllers (createKubeSim starts them) */
  controllers?: ControllerOptions;
}

const VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0-kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-26T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export type { FailRule, OfflineMode, RequestLogEntry, SimFaults };

export class SimCluster {
  readonly name: string;
  readonly store: ObjectStore;
  readonly registry = new Registry();
  readonly api: KubeApi;
  readonly tokens = new TokenTable();
  /** container logs: controllers append lines, GET pods/<name>/log serves them (podLogs.ts) */
  readonly logs = new PodLogStore({
    now: () => (this.options.now ?? Date.now)(),
    podUid: (namespace, pod) => this.store.get('pods', namespace, pod)?.metadata.uid,
  });
  /** RBAC and impersonation, from this cluster's own Roles and bindings (seeded with the bootstrap policy) */
  readonly authz: Authorizer;
  /** the cluster-admin token (group system:masters) */
  readonly adminToken: string;
  readonly requestLog: RequestLogEntry[] = [];
  private seq = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private port: number;
  private readonly host: string;
  private latencyMs = 0;
  private failRules: FailRule[] = [];
  private offlineMode: OfflineMode | undefined;
  private readonly options: SimClusterOptions;
  /** the clock the controllers, timestamps and logs follow */
  readonly clock: SimClock;
  /** the simulated controllers, scheduler, kubelets and metrics-server (controllers/manager.ts) */
  readonly controllers: ControllerManager;

  constructor(options: SimClusterOptions) {
    this.clock = options.clock ?? new RealClock();
    this.options = { ...options, now: options.now ?? (() => this.clock.now()) };
    this.name = options.name;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    const storeOptions: ConstructorParameters<typeof ObjectStore>[0] = {};
    if (options.historySize !== undefined) storeOptions.historySize = options.historySize;
    if (this.options.now) storeOptions.now = this.options.now;
    this.store = new ObjectStore(storeOptions);
    this.api = new KubeApi(this.store, this.registry, this.options.now);
    this.adminToken = newToken();
    this.tokens.add({
      token: this.adminToken,
      username: 'kube-sim-admin',
      uid: 'kube-sim-admin',
      groups: ['system:masters'],
    });
    for (const u of options.users ?? []) this.tokens.add(u);
    this.authz = new Authorizer(this.api);
    this.controllers = new ControllerManager({
      api: this.api,
      clock: this.clock,
      cluster: this.name,
      options: options.controllers ?? {},
      logs: () => this.logs,
    });
  }

  /** kubelet controls: `nodes.setReady(name, false)` stops a node's kubelet (NotReady after the grace period) */
  get nodes(): NodeControls {
    return this.controllers.nodes;
  }

  get url(): string {
    return `https://${this.host}:${this.port}`;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** a kubeconfig (YAML) with the CA, this cluster's URL and the admin token, or another user's token */
  kubeconfig(token = this.adminToken, user?: string): string {
    const o: Parameters<typeof toKubeconfig>[0] = {
      cluster: this.name,
      server: this.url,
      caPem: this.options.ca.certPem,
      token,
    };
    if (user !== undefined) o.user = user;
    return toKubeconfig(o);
  }

  async start(): Promise<void> {
    if (this.server?.listening) return;
    const server = createServer(
      { cert: this.options.cert.certPem, key: this.options.cert.keyPem, keepAlive: true },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);
    // Idle keep-alive connections live long, as with the apiserver's Go server, so a client that was busy for
    // seconds does not find its pooled connection closed under it.
    server.keepAliveTimeout = 90_000;
    server.headersTimeout = 95_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  /** close the listener and every connection; objects are kept */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.store.closeWatches('destroy');
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** take the cluster off the network: 'refuse' closes the listener; 'hang' accepts connections and never answers */
  async offline(mode: OfflineMode = 'refuse'): Promise<void> {
    this.offlineMode = mode;
    if (mode === 'refuse') await this.stop();
    else this.store.closeWatches('destroy');
  }

  async online(): Promise<void> {
    const was = this.offlineMode;
    this.offlineMode = undefined;
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
    if (was === 'refuse' || !this.listening) await this.start();
  }

  /** every fault, in one place: the programmatic twin of the /__sim/ endpoints */
  get faults(): SimFaults {
    return {
      compact: () => this.store.compact(),
      resetWatches: () => this.store.closeWatches('end'),
      dropWatches: () => this.store.closeWatches('destroy'),
      dropNextEvents: (n) => this.store.dropNextEvents(n),
      latency: (ms) => this.setLatency(ms),
      failNext: (rule) => this.failNext(rule),
      clear: () => this.clearFaults(),
      offline: (mode) => this.offline(mode),
      online: () => this.online(),
      restart: (downMs) => this.restart(downMs),
    };
  }

  get isOffline(): OfflineMode | undefined {
    return this.offlineMode;
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  failNext(rule: FailRule): void {
    this.failRules.push({ ...rule });
  }

  clearFaults(): void {
    this.latencyMs = 0;
    this.failRules = [];
  }

  /** create or replace objects as they are given, status included (CRDs and namespaces first) */
  apply(objects: readonly KubeObject[]): StoredObject[] {
    const rank = (o: KubeObject): number =>
      o.kind === 'CustomResourceDefinition' ? 0 : o.kind === 'Namespace' ? 1 : 2;
    const out: StoredObject[] = [];
    for (const obj of [...objects].sort((a, b) => rank(a) - rank(b))) {
      const type = this.registry.forKind(String(obj.apiVersion), String(obj.kind));
      if (!type)
        throw new Error(
          `kube-sim: no type serves ${String(obj.apiVersion)} ${String(obj.kind)} in cluster ${this.name}`,
        );
      const namespace = type.namespaced ? (obj.metadata.namespace ?? 'default') : '';
      const target = { type, namespace, name: obj.metadata.name };
      const current = this.store.get(groupResource(type), namespace, obj.metadata.name ?? '');
      if (!current) {
        out.push(this.api.create(target, obj, { trusted: true }).object);
        continue;
      }
      const next = {
        ...structuredClone(obj),
        metadata: { ...structuredClone(obj.metadata), resourceVersion: current.metadata.resourceVersion },
      };
      let written = this.api.replace(target, current, next, { trusted: true }).object;
      if (type.status && obj['status'] !== undefined) {
        // replace() kept the stored status on the main resource; the seed's own status goes through /status.
        const status = { ...structuredClone(written), status: structuredClone(obj['status']) };
        written = this.api.replace(target, written, status, { trusted: true }, 'status').object;
      }
      out.push(written);
    }
    return out;
  }

  private log(req: IncomingMessage, url: URL, user: UserInfo | undefined, status: number): void {
    const header = (h: string | string[] | undefined): string =>
      Array.isArray(h) ? h.join(', ') : (h ?? '');
    this.requestLog.push({
      seq: ++this.seq,
      time: new Date().toISOString(),
      method: req.method ?? '',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      user: user?.username ?? '',
      status,
      accept: header(req.headers.accept),
      contentType: header(req.headers['content-type']),
      userAgent: header(req.headers['user-agent']),
      impersonateUser: header(req.headers['impersonate-user']),
    });
    const max = this.options.requestLogSize ?? 10_000;
    if (this.requestLog.length > max) this.requestLog.splice(0, this.requestLog.length - max);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kube-sim');
    let user: UserInfo | undefined;
    res.on('error', () => undefined);
    try {
      if (this.offlineMode === 'hang') {
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      }
      const raw = await readBody(req);
      user = this.tokens.authenticate(req, url.pathname);
      user = this.authz.effectiveUser(user, req);
      this.authz.check(user, req.method ?? 'GET', url);
      const actor = user;
      if (url.pathname.startsWith('/__sim/')) {
        await handleSimRequest(this, user, req, res, url, raw);
        return;
      }
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      injectFailure(this.failRules, url.pathname);
      await handleApi(
        {
          api: this.api,
          version: VERSION,
          bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 60_000,
          logs: this.logs,
          review: (type, ns, body) => accessReview(this.authz, actor, type, ns, body),
        },
        req,
        res,
        url,
        raw,
      );
    } catch (err) {
      const status = isStatusError(err)
        ? err
        : internalError(err instanceof Error ? err.message : String(err));
      if (!isStatusError(err)) console.error(`kube-sim[${this.name}] ${req.method} ${url.pathname}:`, err);
      if (status.code === 429) res.setHeader('Retry-After', '1');
      sendStatus(res, status);
    } finally {
      if (!url.pathname.startsWith('/__sim/requests'))
        this.log(req, url, user, res.headersSent ? res.statusCode : 0);
    }
  }
}
