import { createKubeSim, type KubeObject, type SimCluster } from '../kube-sim/src/index.ts';
import {
  type BenchResult,
  type BenchSuite,
  inUse,
  median,
  nowMs,
  quantile,
  sample,
  settledHeap,
  sleep,
  tick,
} from './harness.ts';
import { countOf, Http } from './http.ts';
import { makeNamespace, makePod } from './pods.ts';

/**
 * kube-sim over real HTTPS (undici, the sim's CA, the admin bearer token), client and server in one process:
 * LIST latency at 10k and 100k pods (plain and paginated) against a 10-pod LIST, watch fan-out to 100
 * watchers against 1 watcher, and heap per 10k stored pods.
 */

const NS = { small: 'bench-small', big: 'bench-big', watch: 'bench-watch' } as const;
/** timed runs; the small requests first warm up the JIT (a few hundred requests until their latency settles) */
const RUNS = { baseline: 100, list10k: 10, list100k: 3, paged: 3, list10Full: 50 } as const;
const WATCHERS = 100;
const WATCH_PODS = 1_000;
/** changes made while the watchers listen */
const CHANGES = 2_000;
/** changes per cluster.apply call */
const BATCH = 50;
/** the producer waits while the slowest watcher is more than this many events behind */
const WINDOW = 500;
const PAGE = 500;
/** appears once per pod in the server's JSON (owner references say "ReplicaSet") */
const POD_MARKER = Buffer.from('"kind":"Pod","metadata":');
const MB = 1024 * 1024;

/** create pods [from, to) of a namespace through cluster.apply; returns the ms spent inside apply */
function seedPods(cluster: SimCluster, namespace: string, from: number, to: number): number {
  let ms = 0;
  for (let i = from; i < to; i += 1_000) {
    const pods: KubeObject[] = [];
    for (let j = i; j < Math.min(to, i + 1_000); j++) pods.push(makePod(namespace, j));
    const t0 = nowMs();
    cluster.apply(pods);
    ms += nowMs() - t0;
  }
  return ms;
}

/** every page of a paginated LIST; returns the pages and the pods seen */
async function pagedList(http: Http, path: string): Promise<{ pages: number; pods: number }> {
  let pages = 0;
  let pods = 0;
  let token: string | undefined;
  do {
    const q = `limit=${PAGE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const body = await http.getBuffer(`${path}?${q}`);
    pages++;
    pods += countOf(body, POD_MARKER);
    // The metadata comes before the items: read it without parsing the 500 pods.
    const head: unknown = JSON.parse(
      `${body.subarray(0, body.indexOf('"items":[')).toString().replace(/,$/, '')}}`,
    );
    const meta = (head as { metadata?: { continue?: unknown } }).metadata;
    token = typeof meta?.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
  } while (token);
  return { pages, pods };
}

interface WatchRun {
  ms: number;
  /** changes made, which is the events every watcher received */
  events: number;
}

/**
 * Open `n` watches from the current resourceVersion, then apply `updates` through cluster.apply (BATCH per
 * call, pacing so that the slowest watcher stays within WINDOW events) and time until every watcher has
 * every event. n = 0 times the writes alone.
 */
async function watchRun(
  http: Http,
  cluster: SimCluster,
  n: number,
  updates: readonly KubeObject[],
): Promise<WatchRun> {
  const path = `/api/v1/namespaces/${NS.watch}/pods`;
  const listed = JSON.parse((await http.getBuffer(`${path}?limit=1`)).toString()) as {
    metadata: { resourceVersion: string };
  };
  const rv0 = Number(listed.metadata.resourceVersion);
  const lines = new Array<number>(n).fill(0);
  let waiter: { pred: () => boolean; resolve: () => void } | undefined;
  const notify = (): void => {
    if (waiter?.pred()) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  const slowest = (): number => lines.reduce((a, b) => Math.min(a, b), Infinity);
  const until = async (pred: () => boolean): Promise<void> => {
    if (pred()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (waiter = { pred, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const stuck = `slowest watcher at ${slowest()} events, ${cluster.store.watcherCount()} watches open`;
          reject(new Error(`watch bench: no progress for 60 s (${stuck})`));
        }, 60_000);
      }),
    ]);
    clearTimeout(timer);
  };
  const closers = await Promise.all(
    lines.map((_, i) =>
      http.watch(`${path}?watch=true&resourceVersion=${rv0}`, (k) => {
        lines[i] = (lines[i] ?? 0) + k;
        notify();
      }),
    ),
  );
  if (cluster.store.watcherCount() !== n)
    throw new Error(`expected ${n} watches, server has ${cluster.store.watcherCount()}`);
  // Every change is one pod in the watched namespace: the resourceVersion counts the events to expect.
  const made = (): number => cluster.store.resourceVersion - rv0;
  const t0 = nowMs();
  for (let i = 0; i < updates.length; i += BATCH) {
    cluster.apply(updates.slice(i, i + BATCH));
    if (n === 0) await tick();
    else await until(() => slowest() >= made() - WINDOW);
  }
  if (n > 0) await until(() => slowest() >= made());
  const ms = nowMs() - t0;
  if (made() < updates.length) throw new Error(`${updates.length} updates made only ${made()} changes`);
  if (n > 0 && Math.max(...lines) !== made())
    throw new Error(`watchers got ${lines.join()} of ${made()} events`);
  for (const close of closers) close();
  for (let i = 0; i < 500 && cluster.store.watcherCount() > 0; i++) await sleep(10);
  return { ms, events: made() };
}

async function run(log: (line: string) => void): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const add = (r: Omit<BenchResult, 'suite'>): void => {
    rows.push({ suite: 'kube-sim', ...r });
  };
  const latency = (name: string, samples: number[], baseline: string | undefined, note: string): void => {
    const base = (q: string): { baseline?: string } => (baseline ? { baseline: `${baseline}, ${q}` } : {});
    add({ name: `${name}, median`, value: median(samples), unit: 'ms', ...base('median'), note, samples });
    add({ name: `${name}, p95`, value: quantile(samples, 0.95), unit: 'ms', ...base('p95'), note });
  };
  // Every seeded event stays in history, so 10k and 100k pods are measured with the same bookkeeping.
  const sim = await createKubeSim({ historySize: 250_000, controllers: false });
  const cluster = sim.cluster();
  const http = new Http(sim.url, sim.caPem, cluster.adminToken);
  const pods = (ns: string): string => `/api/v1/namespaces/${ns}/pods`;
  /** a cold (first) LIST checked for its pod count, then `runs` timed ones */
  const listRows = async (label: string, count: number, runs: number): Promise<void> => {
    log(`${label}: first (cold) request, then ${runs} timed`);
    await settledHeap();
    const before = inUse();
    const t0 = nowMs();
    const first = await http.get(pods(NS.big), POD_MARKER);
    const coldMs = nowMs() - t0;
    if (first.matches !== count) throw new Error(`${label}: got ${first.matches} pods, expected ${count}`);
    const totals: number[] = [];
    const heads: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = nowMs();
      heads.push((await http.get(pods(NS.big))).headersMs);
      totals.push(nowMs() - t);
    }
    latency(label, totals, 'LIST 10 pods', 'until the whole body is read (not parsed)');
    add({
      name: `${label}, response headers, median`,
      value: median(heads),
      unit: 'ms',
      baseline: `${label}, median`,
      note: 'time to first byte: near 1.00x means the body was built before anything was sent',
      samples: heads,
    });
    add({
      name: `${label}, first request`,
      value: coldMs,
      unit: 'ms',
      baseline: `${label}, median`,
      note: 'cold: every pod is serialized once, then cached',
    });
    add({ name: `${label}, response size`, value: first.bytes / MB, unit: 'MB' });
    add({
      name: `${label}, memory held at first byte`,
      value: (first.inUseAtHeaders - before) / MB,
      unit: 'MB',
      baseline: `${label}, response size`,
      note: 'heap + external growth when the headers arrive (cold request): ~1x means the body is queued whole',
    });
  };
  try {
    cluster.apply(Object.values(NS).map(makeNamespace));
    seedPods(cluster, NS.small, 0, 10);
    seedPods(cluster, NS.watch, 0, WATCH_PODS);

    log('baseline: LIST 10 pods and GET /version');
    latency(
      'LIST 10 pods',
      await sample(RUNS.baseline, 300, () => http.get(pods(NS.small))),
      undefined,
      `baseline: a 10-pod namespace, ${WATCH_PODS + 10} pods stored`,
    );
    const version = await sample(RUNS.baseline, 100, () => http.get('/version'));
    add({
      name: 'GET /version, median',
      value: median(version),
      unit: 'ms',
      baseline: 'LIST 10 pods, median',
      note: 'the smallest request: TLS, auth and routing only',
      samples: version,
    });

    log('seeding 10k pods');
    const h0 = await settledHeap();
    let seedMs = seedPods(cluster, NS.big, 0, 10_000);
    await sleep(100); // let keep-alive timers that fell due while seeding run before the next request
    const h10k = await settledHeap();
    await listRows('LIST 10k pods', 10_000, RUNS.list10k);
    const h10kListed = await settledHeap();

    log('seeding 90k more pods');
    seedMs += seedPods(cluster, NS.big, 10_000, 100_000);
    await sleep(100);
    const h100k = await settledHeap();
    add({
      name: 'heap per 10k pods, 10k stored',
      value: (h10k - h0) / MB,
      unit: 'MB',
      note: 'heapUsed after gc: objects, indexes, history; nothing listed yet',
    });
    add({
      name: 'heap per 10k pods, 10k to 100k stored',
      value: (h100k - h10kListed) / 9 / MB,
      unit: 'MB',
      baseline: 'heap per 10k pods, 10k stored',
      note: 'the 90k pods added on top: 1.00x means linear',
    });
    add({
      name: 'heap per 10k pods left behind by one LIST',
      value: (h10kListed - h10k) / MB,
      unit: 'MB',
      baseline: 'heap per 10k pods, 10k stored',
      note: 'what listing the 10k pods kept (their serialized JSON)',
    });
    add({
      name: 'seed: cluster.apply creates',
      value: 100_000 / (seedMs / 1000),
      unit: 'pods/s',
      note: 'time inside cluster.apply while seeding 100k pods, 1,000 per call',
    });

    await listRows('LIST 100k pods', 100_000, RUNS.list100k);

    log(`LIST 100k pods paginated (limit=${PAGE}), ${RUNS.paged} timed`);
    const paged: number[] = [];
    let pages = 0;
    for (let i = 0; i < RUNS.paged; i++) {
      const t0 = nowMs();
      const r = await pagedList(http, pods(NS.big));
      paged.push(nowMs() - t0);
      if (r.pods !== 100_000) throw new Error(`paginated LIST: got ${r.pods} pods`);
      pages = r.pages;
    }
    latency(
      `LIST 100k pods paginated (${pages} x ${PAGE})`,
      paged,
      'LIST 100k pods',
      'every page read whole; only the metadata is parsed',
    );

    log('LIST 10 pods again, now with 100k pods in another namespace');
    latency(
      'LIST 10 pods, 100k stored',
      await sample(RUNS.list10Full, 20, () => http.get(pods(NS.small))),
      'LIST 10 pods',
      'the baseline request with the cluster full',
    );

    let revision = 0;
    const nextUpdates = (): KubeObject[] => {
      const out: KubeObject[] = [];
      for (let i = 0; i < CHANGES; i++) {
        if (i % WATCH_PODS === 0) revision++;
        out.push(makePod(NS.watch, i % WATCH_PODS, revision));
      }
      return out;
    };
    log(`watch: ${CHANGES} updates with 0, 1 and ${WATCHERS} watchers`);
    const writes = await watchRun(http, cluster, 0, nextUpdates());
    const one = await watchRun(http, cluster, 1, nextUpdates());
    const many = await watchRun(http, cluster, WATCHERS, nextUpdates());
    add({
      name: `writes only: ${CHANGES} updates, no watcher`,
      value: writes.events / (writes.ms / 1000),
      unit: 'changes/s',
      baseline: 'watch, 1 watcher: events delivered',
      note: 'cluster.apply alone: the ceiling for a single watcher',
    });
    add({
      name: 'watch, 1 watcher: events delivered',
      value: one.events / (one.ms / 1000),
      unit: 'events/s',
      note: 'baseline: every change reaches the one watcher',
    });
    add({
      name: `watch, ${WATCHERS} watchers: events delivered`,
      value: (many.events * WATCHERS) / (many.ms / 1000),
      unit: 'events/s',
      baseline: 'watch, 1 watcher: events delivered',
      note: `${CHANGES} changes x ${WATCHERS} watchers / time until the slowest has all`,
    });
    add({
      name: `watch, ${WATCHERS} watchers: time until all have every event`,
      value: many.ms,
      unit: 'ms',
      baseline: 'watch, 1 watcher: time until it has every event',
    });
    add({ name: 'watch, 1 watcher: time until it has every event', value: one.ms, unit: 'ms' });
  } finally {
    await http.close();
    await sim.close();
  }
  return rows;
}

export const kubeSimSuite: BenchSuite = {
  name: 'kube-sim',
  description:
    'kube-sim over HTTPS: LIST latency at 10k/100k pods, watch fan-out to 100 watchers, heap per 10k pods',
  run,
};
