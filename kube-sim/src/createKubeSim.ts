import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { createCertificateAuthority, createServingCert } from './certs.ts';
import { RealClock, type SimClock } from './clock.ts';
import { SimCluster } from './cluster.ts';
import type { ControllerOptions } from './controllers/context.ts';
import { baseObjects, type ClusterSpec, type FleetSpec } from './fleet.ts';
import { demoFleet } from './fleets/demo.ts';
import { connectClusters } from './fleets/multiCluster.ts';
import { type FleetUser, resolveFleetUsers, tokenEntries, writeUserFiles } from './fleets/users.ts';
import type { KubeObject, StoredObject } from './types.ts';

export interface KubeSimOptions {
  /** 'demo', a fleet spec, or nothing for one cluster named "sim" */
  fleet?: 'demo' | FleetSpec;
  /** extra objects for the first cluster */
  seed?: readonly KubeObject[];
  /**
   * write `<cluster>.kubeconfig`, and for every fleet user `<cluster>.<user>.kubeconfig` and an entry in
   * users.json, here; @default none
   */
  outDir?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** events kept per cluster for watches that resume; @default 50_000 */
  historySize?: number;
  /** how often watches that asked for bookmarks get one; @default 60_000 */
  bookmarkIntervalMs?: number;
  now?: () => number;
  /** the clock every cluster's controllers and timestamps follow: `new RealClock({ speed: 20 })` to hurry the
   * world along, a ManualClock in unit tests; @default real time */
  clock?: SimClock;
  /** run the simulated controllers (Deployments, ReplicaSets, StatefulSets, Jobs, scheduler, kubelets, node
   * lifecycle, metrics); an object tunes them; @default true */
  controllers?: boolean | ControllerOptions;
}

export interface KubeSim extends AsyncDisposable {
  /** the first (host) cluster's URL */
  readonly url: string;
  /** the first (host) cluster's kubeconfig (YAML), with the cluster-admin token */
  readonly kubeconfig: string;
  readonly clusters: ReadonlyMap<string, SimCluster>;
  /** a cluster by name; the first one without a name */
  cluster(name?: string): SimCluster;
  /** create or replace objects in a cluster (the first one by default), status included */
  apply(objects: readonly KubeObject[], cluster?: string): StoredObject[];
  /** kubeconfig paths written to outDir, by cluster */
  readonly kubeconfigPaths: Readonly<Record<string, string>>;
  /** the fleet's users (FleetSpec.users), with the token each has on every cluster */
  readonly users: readonly FleetUser[];
  /** users.json in outDir (every fleet user's token, groups, roles and kubeconfigs), when outDir is set */
  readonly usersFile: string | undefined;
  /** the PEM of the certificate authority every cluster's serving certificate chains to */
  readonly caPem: string;
  close(): Promise<void>;
}

/** Start a fleet of simulated clusters, each on its own HTTPS listener. */
export async function createKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const clock = options.clock ?? new RealClock();
  const now = options.now ?? ((): number => clock.now());
  const fleet: FleetSpec =
    options.fleet === 'demo'
      ? demoFleet(new Date(now()))
      : (options.fleet ?? { clusters: [{ name: 'sim', role: 'host' }] });
  const host = options.host ?? '127.0.0.1';
  const ca = await createCertificateAuthority();
  const cert = await createServingCert(ca, [
    'localhost',
    '127.0.0.1',
    '::1',
    ...(host === '127.0.0.1' ? [] : [host]),
  ]);
  const clusters = new Map<string, SimCluster>();
  const seededAt = new Date(now());
  const users = resolveFleetUsers(fleet.users ?? []);
  try {
    for (const [i, spec] of fleet.clusters.entries()) {
      const c = new SimCluster({
        name: spec.name,
        ca,
        cert,
        host,
        ...(spec.port !== undefined ? { port: spec.port } : {}),
        ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
        ...(options.bookmarkIntervalMs !== undefined
          ? { bookmarkIntervalMs: options.bookmarkIntervalMs }
          : {}),
        ...(options.now ? { now: options.now } : {}),
        clock,
        ...(typeof options.controllers === 'object' ? { controllers: options.controllers } : {}),
        users: [
          ...(spec.users ?? []).map((u) => ({
            token: u.token,
            username: u.name,
            uid: u.uid ?? u.name,
            groups: u.groups ?? [],
          })),
          ...tokenEntries(users),
        ],
      });
      seedCluster(c, spec, seededAt, i === 0 ? (options.seed ?? []) : []);
      clusters.set(spec.name, c);
    }
    await Promise.all([...clusters.values()].map((c) => c.start()));
    const versions = new Map(
      fleet.clusters.flatMap((c) => (c.kubesphereVersion ? [[c.name, c.kubesphereVersion] as const] : [])),
    );
    for (const spec of fleet.clusters) {
      const host = clusters.get(spec.name);
      if (spec.multiCluster && host) await connectClusters(host, clusters, ca.certPem, seededAt, versions);
    }
    if (options.controllers !== false) for (const c of clusters.values()) c.controllers.start();
  } catch (err) {
    for (const c of clusters.values()) c.controllers.stop();
    await Promise.all([...clusters.values()].map((c) => c.stop()));
    throw err;
  }
  const first = [...clusters.values()][0];
  if (!first) throw new Error('kube-sim: a fleet needs at least one cluster');
  const kubeconfigPaths: Record<string, string> = {};
  let usersFile: string | undefined;
  if (options.outDir) {
    const dir = resolve(options.outDir);
    await mkdir(dir, { recursive: true });
    for (const c of clusters.values()) {
      const path = join(dir, `${c.name}.kubeconfig`);
      await writeFile(path, c.kubeconfig(), { mode: 0o600 });
      kubeconfigPaths[c.name] = path;
    }
    if (users.length) usersFile = await writeUserFiles(dir, clusters, users, kubeconfigPaths);
  }
  const cluster = (name?: string): SimCluster => {
    const c = name === undefined ? first : clusters.get(name);
    if (!c)
      throw new Error(
        `kube-sim: no cluster named "${String(name)}" (have: ${[...clusters.keys()].join(', ')})`,
      );
    return c;
  };
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const c of clusters.values()) c.controllers.stop();
    await Promise.all([...clusters.values()].map((c) => c.stop()));
  };
  return {
    get url() {
      return first.url;
    },
    get kubeconfig() {
      return first.kubeconfig();
    },
    clusters,
    cluster,
    apply: (objects, name) => cluster(name).apply(objects),
    kubeconfigPaths,
    users,
    usersFile,
    caPem: ca.certPem,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function seedCluster(c: SimCluster, spec: ClusterSpec, now: Date, extra: readonly KubeObject[]): void {
  c.apply(baseObjects(spec, now));
  c.apply(spec.objects ?? []);
  if (extra.length) c.apply(extra);
}
