/**
 * The footprint of `npm start` on kube-sim's demo fleet (issue 10): the resident memory of every process of the
 * stack and the time from launching `npm start` to its `fleetgraph ready` line. Self-contained (node: APIs only), so
 * the same file can be copied into an older checkout and measure it the same way.
 *
 *   npx tsx bench/stackFootprint.ts [--split] [--runs 3] [--warmup 1] [--dir <checkout>] [--label <name>]
 *                                   [--json <file>] [--idle-ms 10000] [--queries 200]
 *   npx tsx bench/stackFootprint.ts --marginal [--runs 3] [--idle-ms 10000] [--json <file>]
 *   npx tsx bench/stackFootprint.ts --summarize <file>
 *
 * Each run: `npm start -- --port <free port> [--split]` in <dir> (default: the current directory) in a process
 * group of its own; time to `fleetgraph ready`; idle for --idle-ms, then VmRSS (and Pss) of every descendant of the
 * npm process (found through the ppid links of /proc/<pid>/stat); an admin token from
 * `npm run --silent token -- --user admin` in <dir>; --queries sequential queries of
 * `{ cluster(name: "prod") { name status { phase } podCount } }` through the gateway (each answer checked); the
 * memory again; then SIGINT to the process group (what Ctrl-C does) and a wait until every process of the tree has
 * exited (after 30 s the survivors are reported and killed). Prints each run and a summary; --json appends one line
 * per run to <file>, and --summarize prints the tables of such a file, one column per label in order of first
 * appearance (run configurations interleaved, a b c a b c ..., so that the load of a shared machine hits them
 * alike). The --warmup runs (not counted, no idle wait) fill tsx's transform cache: on a cold cache every process
 * also runs an esbuild helper and starts slower.
 *
 * --marginal (a checkout with subgraph launchers, src/subgraph.ts): kube-sim's demo fleet alone, then, per round, one
 * shared process of every registered subgraph and one of each set with one subgraph left out (no gateway, no
 * load), measured once all its subgraphs are ready and --idle-ms has passed: what one subgraph adds to the shared
 * process, against the whole process it costs when split. Linux only (/proc).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const QUERY = '{ cluster(name: "prod") { name status { phase } podCount } }';
const STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 180_000;

interface ProcSample {
  pid: number;
  role: string;
  rssKb: number;
  pssKb: number;
  /** when the process started: clock ticks since boot (/proc/<pid>/stat field 22) */
  startTicks?: number;
}

interface Run {
  label: string;
  dir: string;
  commit: string;
  split: boolean;
  date: string;
  /** launch of `npm start` → its `kube-sim ready` line */
  kubeSimReadyMs: number;
  /** launch of `npm start` → its `fleetgraph ready` line */
  readyMs: number;
  /** launch of `npm start` → the gateway process started (so every subgraph was ready), from /proc start times */
  gatewaySpawnMs?: number;
  idle: ProcSample[];
  loaded: ProcSample[];
  load: { queries: number; totalMs: number; medianMs: number; p95Ms: number };
  /** SIGINT → every process of the tree gone */
  stopMs: number;
  /** processes still there STOP_TIMEOUT_MS after SIGINT (then killed) */
  leftovers: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** the median; for an even count, the mean of the two middle values */
function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => done(port));
    });
  });
}

// ---- /proc ----

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** pid → [ppid, state] of every process */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    if (!stat) continue;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { ppid: Number(fields[1]), state: fields[0] ?? '?' });
  }
  return table;
}

/** `root` and every live (not zombie) descendant of it */
function processTree(root: number): number[] {
  const table = processTable();
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift() as number;
    const entry = table.get(pid);
    if (!entry || entry.state === 'Z') continue;
    out.push(pid);
    for (const [child, e] of table) if (e.ppid === pid) queue.push(child);
  }
  return out;
}

function alive(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  if (!stat) return false;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
}

function commandLine(pid: number): string {
  return (readProc(pid, 'cmdline') ?? '').replaceAll('\0', ' ').trim();
}

/** what a process of the stack is, from its command line (tsx's esbuild helper is named after its parent) */
function roleOf(pid: number, root: number): string {
  const cmd = commandLine(pid);
  const comm = (readProc(pid, 'comm') ?? '?').trim();
  if (comm === 'sh' || comm === 'bash' || comm === 'dash') return 'sh';
  if (comm === 'esbuild') {
    const stat = readProc(pid, 'stat') ?? '';
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return `esbuild of ${roleOf(ppid, root)}`;
  }
  if (cmd.includes('kube-sim/src/cli.ts')) return 'kube-sim';
  if (cmd.includes('scripts/subgraphs.ts')) return 'subgraphs (all, one process)';
  const sub = /subgraphs\/([^/\s]+)\/src\/main\.ts/.exec(cmd);
  if (sub) return `subgraph ${sub[1]}`;
  if (cmd.includes('gateway/src/main.ts')) return 'gateway';
  if (cmd.includes('scripts/start.ts')) return 'launcher (scripts/start.ts)';
  if (pid === root) return 'npm';
  return comm;
}

function startTicks(pid: number): number {
  const stat = readProc(pid, 'stat') ?? '';
  // after "pid (comm) ", starttime is the 20th field (state is the 1st)
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

let clockTicks: number | undefined;
/** clock ticks per second (getconf CLK_TCK; 100 on Linux) */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function kbField(text: string | undefined, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : 0;
}

function sampleTree(root: number): ProcSample[] {
  return processTree(root).map((pid) => ({
    pid,
    role: roleOf(pid, root),
    rssKb: kbField(readProc(pid, 'status'), 'VmRSS'),
    pssKb: kbField(readProc(pid, 'smaps_rollup'), 'Pss'),
    startTicks: startTicks(pid),
  }));
}

// ---- one run ----

function waitForLine(
  lines: string[],
  child: ChildProcess,
  wanted: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const timer = setInterval(() => {
      if (lines.includes(wanted)) finish();
      else if (child.exitCode !== null || child.signalCode !== null)
        finish(new Error(`npm start exited before "${wanted}":\n${lines.slice(-30).join('\n')}`));
      else if (performance.now() - t0 > timeoutMs)
        finish(new Error(`no "${wanted}" within ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`));
    }, 5);
    function finish(err?: Error): void {
      clearInterval(timer);
      if (err) fail(err);
      else done(performance.now());
    }
  });
}

async function mintToken(dir: string): Promise<string> {
  const out = execFileSync('npm', ['run', '--silent', 'token', '--', '--user', 'admin'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const token = out.trim().split('\n').pop() ?? '';
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`npm run token printed no token: ${out}`);
  return token;
}

async function load(url: string, token: string, queries: number): Promise<Run['load']> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await res.json()) as {
      data?: { cluster?: { name?: string; status?: { phase?: string }; podCount?: number } };
      errors?: unknown[];
    };
    if (
      !res.ok ||
      body.errors ||
      body.data?.cluster?.name !== 'prod' ||
      typeof body.data.cluster.podCount !== 'number'
    )
      throw new Error(`query ${i + 1}: HTTP ${res.status} ${JSON.stringify(body)}`);
    times.push(performance.now() - t);
  }
  return {
    queries,
    totalMs: performance.now() - t0,
    medianMs: median(times),
    p95Ms: quantile(times, 0.95),
  };
}

let current: { child: ChildProcess; pids: Set<number> } | undefined;

/** SIGINT to the process group, then wait for every process of the tree; survivors after the timeout are killed */
async function stopTree(
  child: ChildProcess,
  pids: Set<number>,
): Promise<{ stopMs: number; leftovers: string[] }> {
  const root = child.pid as number;
  for (const pid of processTree(root)) pids.add(pid);
  const described = new Map(
    [...pids].map((pid) => [pid, `${pid} ${roleOf(pid, root)}: ${commandLine(pid)}`]),
  );
  const t0 = performance.now();
  try {
    process.kill(-root, 'SIGINT');
  } catch {
    // the group is gone already
  }
  while (performance.now() - t0 < STOP_TIMEOUT_MS) {
    for (const pid of processTree(root)) pids.add(pid);
    if ([...pids].every((pid) => !alive(pid))) return { stopMs: performance.now() - t0, leftovers: [] };
    await sleep(50);
  }
  const leftovers = [...pids].filter(alive).map((pid) => described.get(pid) ?? `${pid} ${commandLine(pid)}`);
  for (const pid of pids) {
    try {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return { stopMs: performance.now() - t0, leftovers };
}

async function runOnce(o: {
  dir: string;
  split: boolean;
  label: string;
  idleMs: number;
  queries: number;
}): Promise<Run> {
  const port = await freePort();
  const env = { ...process.env };
  // the defaults of `npm start`: kube-sim's demo fleet (KUBECONFIG would skip it), the default probe period
  for (const name of ['KUBECONFIG', 'PORT', 'PROBE_PERIOD_MS', 'PROBE_TIMEOUT_MS', 'LOG_LEVEL'])
    delete env[name];
  const lines: string[] = [];
  const t0 = performance.now();
  const child = spawn('npm', ['start', '--', '--port', String(port), ...(o.split ? ['--split'] : [])], {
    cwd: o.dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pids = new Set<number>([child.pid as number]);
  current = { child, pids };
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
    });
  try {
    const kubeSimReady = await waitForLine(lines, child, 'kube-sim ready', READY_TIMEOUT_MS);
    const ready = await waitForLine(lines, child, 'fleetgraph ready', READY_TIMEOUT_MS);
    for (const pid of processTree(child.pid as number)) pids.add(pid);
    await sleep(o.idleMs);
    const idle = sampleTree(child.pid as number);
    const npmStart = idle.find((p) => p.pid === child.pid)?.startTicks;
    const gatewayStart = idle.find((p) => p.role === 'gateway')?.startTicks;
    const token = await mintToken(o.dir);
    const loadResult = await load(`http://127.0.0.1:${port}/graphql`, token, o.queries);
    const loaded = sampleTree(child.pid as number);
    const { stopMs, leftovers } = await stopTree(child, pids);
    current = undefined;
    return {
      label: o.label,
      dir: o.dir,
      commit: gitCommit(o.dir),
      split: o.split,
      date: new Date().toISOString(),
      kubeSimReadyMs: kubeSimReady - t0,
      readyMs: ready - t0,
      ...(npmStart !== undefined && gatewayStart !== undefined
        ? { gatewaySpawnMs: ((gatewayStart - npmStart) / ticksPerSecond()) * 1000 }
        : {}),
      idle,
      loaded,
      load: loadResult,
      stopMs,
      leftovers,
    };
  } catch (e) {
    await stopTree(child, pids);
    current = undefined;
    throw e;
  }
}

function gitCommit(dir: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

// ---- printing ----

const mb = (kb: number): number => kb / 1024;
const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** "median (min–max)", or the one value */
function cell(all: readonly number[], digits = 1): string {
  const xs = all.filter(Number.isFinite);
  if (xs.length === 0) return '—';
  if (xs.length === 1) return fmt(xs[0] as number, digits);
  return `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
}

/** the process a role belongs to: tsx's esbuild helper counts with the process that started it */
const ownerOf = (role: string): string => role.replace(/^(?:esbuild of )+/, '');
const isService = (role: string): boolean => /^(?:gateway|subgraph)/.test(ownerOf(role));
const isWrapper = (role: string): boolean => /^(?:npm|sh|launcher)/.test(ownerOf(role));

/** the figures of one sample, in MB: each role, then the totals */
function figures(samples: ProcSample[], field: 'rssKb' | 'pssKb'): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) out.set(s.role, (out.get(s.role) ?? 0) + mb(s[field]));
  const sum = (pred: (s: ProcSample) => boolean): number =>
    samples.filter(pred).reduce((a, s) => a + mb(s[field]), 0);
  out.set(
    'total',
    sum(() => true),
  );
  out.set(
    'total without kube-sim',
    sum((s) => ownerOf(s.role) !== 'kube-sim'),
  );
  out.set(
    'services (subgraphs + gateway)',
    sum((s) => isService(s.role)),
  );
  out.set(
    'npm + sh + launcher',
    sum((s) => isWrapper(s.role)),
  );
  out.set(
    'tsx esbuild helpers',
    sum((s) => s.role.startsWith('esbuild of ')),
  );
  out.set('processes', samples.length);
  return out;
}

function roleOrder(role: string): number {
  const order = ['npm', 'sh', 'launcher', 'kube-sim', 'subgraphs (all', 'subgraph ', 'gateway'];
  const i = order.findIndex((p) => ownerOf(role).startsWith(p));
  return i < 0 ? order.length : i;
}

const TOTALS = [
  'total',
  'total without kube-sim',
  'services (subgraphs + gateway)',
  'npm + sh + launcher',
  'tsx esbuild helpers',
];

function summarize(runs: Run[]): string {
  const labels = [...new Set(runs.map((r) => r.label))];
  const byLabel = new Map(labels.map((l) => [l, runs.filter((r) => r.label === l)]));
  const roles = [...new Set(runs.flatMap((r) => r.idle.map((s) => s.role)))].sort(
    (a, b) =>
      roleOrder(a) - roleOrder(b) ||
      ownerOf(a).localeCompare(ownerOf(b)) ||
      Number(a.startsWith('esbuild')) - Number(b.startsWith('esbuild')),
  );
  const out: string[] = [];
  const header = (first: string): void => {
    out.push(`| ${first} | ${labels.map((l) => `${l} (n=${byLabel.get(l)?.length})`).join(' | ')} |`);
    out.push(`| --- | ${labels.map(() => '---').join(' | ')} |`);
  };
  for (const [when, field, title] of [
    ['idle', 'rssKb', 'RSS (MB), ready + idle'],
    ['loaded', 'rssKb', 'RSS (MB), after the load'],
    ['idle', 'pssKb', 'PSS (MB), ready + idle'],
    ['loaded', 'pssKb', 'PSS (MB), after the load'],
  ] as const) {
    header(title);
    const per = new Map(labels.map((l) => [l, (byLabel.get(l) ?? []).map((r) => figures(r[when], field))]));
    const rows = field === 'rssKb' ? [...roles, ...TOTALS, 'processes'] : TOTALS;
    for (const row of rows) {
      const cells = labels.map((l) => {
        const xs = (per.get(l) ?? []).map((f) => f.get(row)).filter((x): x is number => x !== undefined);
        return cell(xs, row === 'processes' ? 0 : 1);
      });
      if (cells.every((c) => c === '—' || /^0\.0(?: \(0\.0–0\.0\))?$/.test(c))) continue;
      out.push(`| ${TOTALS.includes(row) ? `**${row}**` : row} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  header('time');
  const timeRows: [string, (r: Run) => number, number][] = [
    ['to `fleetgraph ready` (s)', (r) => r.readyMs / 1000, 2],
    ['of which to `kube-sim ready` (s)', (r) => r.kubeSimReadyMs / 1000, 2],
    ['`kube-sim ready` → `fleetgraph ready` (s)', (r) => (r.readyMs - r.kubeSimReadyMs) / 1000, 2],
    [
      '`kube-sim ready` → gateway started: subgraphs start (s)',
      (r) => ((r.gatewaySpawnMs ?? Number.NaN) - r.kubeSimReadyMs) / 1000,
      2,
    ],
    [
      'gateway started → `fleetgraph ready` (s)',
      (r) => (r.readyMs - (r.gatewaySpawnMs ?? Number.NaN)) / 1000,
      2,
    ],
    ['queries: median latency (ms)', (r) => r.load.medianMs, 2],
    ['queries: all, sequential (s)', (r) => r.load.totalMs / 1000, 2],
    ['SIGINT → every process gone (s)', (r) => r.stopMs / 1000, 2],
  ];
  for (const [name, get, digits] of timeRows)
    out.push(`| ${name} | ${labels.map((l) => cell((byLabel.get(l) ?? []).map(get), digits)).join(' | ')} |`);
  out.push('');
  // ratios of each later label to each earlier one, pairing the i-th run of each (the same round when interleaved)
  const pairs = labels.flatMap((a, i) => labels.slice(i + 1).map((b) => [b, a] as const));
  if (pairs.length > 0) {
    out.push(`| ratio, paired by round | ${pairs.map(([b, a]) => `${b} / ${a}`).join(' | ')} |`);
    out.push(`| --- | ${pairs.map(() => '---').join(' | ')} |`);
    const total = (r: Run, when: 'idle' | 'loaded', field: 'rssKb' | 'pssKb', row: string): number =>
      figures(r[when], field).get(row) ?? Number.NaN;
    const ratioRows: [string, (r: Run) => number][] = [
      ['total RSS, idle', (r) => total(r, 'idle', 'rssKb', 'total')],
      ['total RSS without kube-sim, idle', (r) => total(r, 'idle', 'rssKb', 'total without kube-sim')],
      ['services RSS, idle', (r) => total(r, 'idle', 'rssKb', 'services (subgraphs + gateway)')],
      ['total RSS, after the load', (r) => total(r, 'loaded', 'rssKb', 'total')],
      [
        'total RSS without kube-sim, after the load',
        (r) => total(r, 'loaded', 'rssKb', 'total without kube-sim'),
      ],
      ['services RSS, after the load', (r) => total(r, 'loaded', 'rssKb', 'services (subgraphs + gateway)')],
      ['launcher RSS, idle', (r) => total(r, 'idle', 'rssKb', 'launcher (scripts/start.ts)')],
      ['launcher RSS, after the load', (r) => total(r, 'loaded', 'rssKb', 'launcher (scripts/start.ts)')],
      ['total PSS, idle', (r) => total(r, 'idle', 'pssKb', 'total')],
      ['services PSS, idle', (r) => total(r, 'idle', 'pssKb', 'services (subgraphs + gateway)')],
      ['time to ready', (r) => r.readyMs],
      ['`kube-sim ready` → `fleetgraph ready`', (r) => r.readyMs - r.kubeSimReadyMs],
    ];
    for (const [name, get] of ratioRows) {
      const cells = pairs.map(([b, a]) => {
        const bs = byLabel.get(b) ?? [];
        const as = byLabel.get(a) ?? [];
        const n = Math.min(bs.length, as.length);
        return cell(
          Array.from({ length: n }, (_, i) => get(bs[i] as Run) / get(as[i] as Run)),
          2,
        );
      });
      out.push(`| ${name} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  const leftovers = runs.flatMap((r) => r.leftovers.map((l) => `${r.label} ${r.date}: ${l}`));
  out.push(
    leftovers.length
      ? `processes that did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGINT (killed):\n${leftovers.join('\n')}`
      : 'every process exited after SIGINT',
  );
  return out.join('\n');
}

function describeRun(r: Run): string {
  const idle = figures(r.idle, 'rssKb');
  const loaded = figures(r.loaded, 'rssKb');
  const procs = r.idle.map((s) => `${s.role} ${fmt(mb(s.rssKb))}`).join(', ');
  return (
    `${r.label}: ready in ${fmt(r.readyMs / 1000, 2)} s (kube-sim ${fmt(r.kubeSimReadyMs / 1000, 2)} s); ` +
    `RSS idle ${fmt(idle.get('total') ?? 0)} MB [${procs}], after ${r.load.queries} queries ` +
    `${fmt(loaded.get('total') ?? 0)} MB (median ${fmt(r.load.medianMs, 2)} ms/query); stopped in ${fmt(r.stopMs / 1000, 2)} s` +
    (r.leftovers.length ? `; LEFT RUNNING (killed): ${r.leftovers.join('; ')}` : '')
  );
}

// ---- --marginal: what one more subgraph costs in a shared process ----

interface MarginalSample {
  kind: 'marginal';
  subset: string[];
  round: number;
  date: string;
  commit: string;
  /** launch → every subgraph of the subset answering /readyz */
  readyMs: number;
  samples: ProcSample[];
}

/** a shared process of the named subgraphs, as scripts/subgraphs.ts runs all of them (needs each src/subgraph.ts) */
const HOST_ENTRY = `
const { join } = await import('node:path');
const { pathToFileURL } = await import('node:url');
const { runSubgraphs } = await import('@fleetgraph/lib/subgraph');
const entries = JSON.parse(process.env.FOOTPRINT_SUBGRAPHS);
const launchers = [];
for (const e of entries)
  launchers.push((await import(pathToFileURL(join(process.cwd(), e.package, 'src', 'subgraph.ts')).href)).launcher);
runSubgraphs(launchers, { ports: Object.fromEntries(entries.map((e) => [e.name, e.port])) });
`;

function spawnGroup(dir: string, args: string[], env: NodeJS.ProcessEnv, lines: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
    });
  return child;
}

async function waitForHttp(url: string, child: ChildProcess, lines: string[]): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the subgraph host exited:\n${lines.slice(-30).join('\n')}`);
    if (performance.now() - t0 > READY_TIMEOUT_MS)
      throw new Error(`${url} not ready:\n${lines.slice(-30).join('\n')}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
}

/**
 * kube-sim's demo fleet once, then for each round a shared subgraph process of every registered subgraph and one of
 * each set with one subgraph left out (no gateway, no load): its memory once every subgraph is ready and idleMs has
 * passed. What a subgraph adds to the shared process is (all) - (all but it); run alone, it costs its own process.
 */
async function marginal(o: {
  dir: string;
  runs: number;
  idleMs: number;
  json?: string | undefined;
}): Promise<void> {
  const registry = Object.entries(
    JSON.parse(readFileSync(resolve(o.dir, 'schema', 'subgraphs.json'), 'utf8')) as Record<
      string,
      { package?: string }
    >,
  ).map(([name, e]) => ({ name, package: e.package ?? `subgraphs/${name}` }));
  for (const e of registry)
    if (!existsSync(resolve(o.dir, e.package, 'src', 'subgraph.ts')))
      throw new Error(
        `${e.package}/src/subgraph.ts is missing: --marginal needs a checkout with subgraph launchers`,
      );
  const all = registry.map((e) => e.name);
  const subsets = [all, ...(all.length > 1 ? all.map((n) => all.filter((m) => m !== n)) : [])];
  const env = { ...process.env };
  for (const name of ['KUBECONFIG', 'PORT', 'PROBE_PERIOD_MS', 'PROBE_TIMEOUT_MS', 'LOG_LEVEL'])
    delete env[name];
  const outDir = mkdtempSync(join(tmpdir(), 'stack-footprint-'));
  const simLines: string[] = [];
  const sim = spawnGroup(o.dir, ['kube-sim/src/cli.ts', '--fleet', 'demo', '--out', outDir], env, simLines);
  const simPids = new Set([sim.pid as number]);
  current = { child: sim, pids: simPids };
  const results: MarginalSample[] = [];
  try {
    await waitForLine(simLines, sim, 'kube-sim ready', READY_TIMEOUT_MS);
    const host = simLines
      .map((l) => /^cluster\s+(\S+)\s+(\S+)\s+kubeconfig\s+(\S+)/.exec(l))
      .find((m) => m?.[1] === 'host')?.[3];
    if (!host) throw new Error(`kube-sim printed no host kubeconfig:\n${simLines.join('\n')}`);
    for (let round = 1; round <= o.runs; round++) {
      for (const subset of subsets) {
        const entries = await Promise.all(
          registry
            .filter((e) => subset.includes(e.name))
            .map(async (e) => ({ ...e, port: await freePort() })),
        );
        const lines: string[] = [];
        const t0 = performance.now();
        const child = spawnGroup(
          o.dir,
          ['--input-type=module', '-e', HOST_ENTRY],
          {
            ...env,
            KUBECONFIG: resolve(o.dir, host),
            FLEETGRAPH_IDENTITY_SECRET: randomBytes(32).toString('base64url'),
            FLEETGRAPH_IDENTITY_SECRET_FILE: '',
            PROBE_PERIOD_MS: '5000',
            FOOTPRINT_SUBGRAPHS: JSON.stringify(entries),
          },
          lines,
        );
        const pids = new Set([child.pid as number]);
        current = { child, pids };
        try {
          for (const e of entries) await waitForHttp(`http://127.0.0.1:${e.port}/readyz`, child, lines);
          const readyMs = performance.now() - t0;
          await sleep(o.idleMs);
          const sample: MarginalSample = {
            kind: 'marginal',
            subset,
            round,
            date: new Date().toISOString(),
            commit: gitCommit(o.dir),
            readyMs,
            samples: sampleTree(child.pid as number),
          };
          results.push(sample);
          const total = (f: 'rssKb' | 'pssKb'): number => sample.samples.reduce((a, x) => a + mb(x[f]), 0);
          console.log(
            `round ${round}, one process of ${subset.join(' + ')}: ready in ${fmt(readyMs / 1000, 2)} s, ` +
              `RSS ${fmt(total('rssKb'))} MB, PSS ${fmt(total('pssKb'))} MB (${sample.samples.length} processes)`,
          );
          if (o.json) appendFileSync(o.json, `${JSON.stringify(sample)}\n`);
        } finally {
          const { leftovers } = await stopTree(child, pids);
          if (leftovers.length) console.log(`LEFT RUNNING (killed): ${leftovers.join('; ')}`);
          current = { child: sim, pids: simPids };
        }
      }
    }
  } finally {
    const { leftovers } = await stopTree(sim, simPids);
    if (leftovers.length) console.log(`LEFT RUNNING (killed): ${leftovers.join('; ')}`);
    current = undefined;
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`\n${summarizeMarginal(results)}`);
}

function summarizeMarginal(samples: MarginalSample[]): string {
  const key = (s: string[]): string => s.join(' + ');
  const subsets = [...new Set(samples.map((s) => key(s.subset)))];
  const totals = (f: 'rssKb' | 'pssKb', k: string): number[] =>
    samples.filter((s) => key(s.subset) === k).map((s) => s.samples.reduce((a, x) => a + mb(x[f]), 0));
  const out = ['| one shared process of | RSS (MB) | PSS (MB) | ready (s) |', '| --- | --- | --- | --- |'];
  for (const k of subsets)
    out.push(
      `| ${k} | ${cell(totals('rssKb', k))} | ${cell(totals('pssKb', k))} | ${cell(
        samples.filter((s) => key(s.subset) === k).map((s) => s.readyMs / 1000),
        2,
      )} |`,
    );
  const all = subsets[0];
  if (all && subsets.length > 1) {
    out.push(
      '',
      '| the shared process gains, adding | RSS (MB), paired by round | PSS (MB), paired by round |',
    );
    out.push('| --- | --- | --- |');
    const allNames = all.split(' + ');
    for (const k of subsets.slice(1)) {
      const added = allNames.filter((n) => !k.split(' + ').includes(n)).join(' + ');
      const diff = (f: 'rssKb' | 'pssKb'): number[] => {
        const a = totals(f, all);
        const b = totals(f, k);
        return Array.from(
          { length: Math.min(a.length, b.length) },
          (_, i) => (a[i] as number) - (b[i] as number),
        );
      };
      out.push(`| ${added} (to ${k}) | ${cell(diff('rssKb'))} | ${cell(diff('pssKb'))} |`);
    }
  }
  return out.join('\n');
}

// ---- main ----

const { values } = parseArgs({
  options: {
    split: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    dir: { type: 'string' },
    label: { type: 'string' },
    json: { type: 'string' },
    'idle-ms': { type: 'string', default: '10000' },
    queries: { type: 'string', default: '200' },
    summarize: { type: 'string' },
    marginal: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.summarize) {
  const runs = readFileSync(values.summarize, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Run | MarginalSample);
  const stacks = runs.filter((r): r is Run => !('kind' in r));
  const shared = runs.filter((r): r is MarginalSample => 'kind' in r);
  if (stacks.length) console.log(summarize(stacks));
  if (shared.length) console.log(`${stacks.length ? '\n' : ''}${summarizeMarginal(shared)}`);
  process.exit(0);
}

const dir = resolve(values.dir ?? process.cwd());
if (!existsSync(resolve(dir, 'scripts', 'start.ts'))) {
  console.error(`stackFootprint: ${dir} is no fleetgraph checkout (no scripts/start.ts)`);
  process.exit(2);
}
const runsWanted = Number(values.runs);
const warmup = Number(values.warmup);
const idleMs = Number(values['idle-ms']);
const queries = Number(values.queries);
if (![runsWanted, warmup, idleMs, queries].every((n) => Number.isInteger(n) && n >= 0) || runsWanted < 1) {
  console.error(
    'stackFootprint: --runs, --warmup, --idle-ms and --queries take whole numbers (--runs at least 1)',
  );
  process.exit(2);
}
const label = values.label ?? `${gitCommit(dir)}${values.split ? ' split' : ''}`;

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    const run = current;
    console.error(`stackFootprint: ${signal}, stopping the stack`);
    void (run ? stopTree(run.child, run.pids) : Promise.resolve()).then(() => process.exit(130));
  });

if (values.marginal) {
  await marginal({ dir, runs: runsWanted, idleMs, json: values.json });
  process.exit(0);
}

const results: Run[] = [];
for (let i = 0; i < warmup; i++) {
  const run = await runOnce({ dir, split: values.split, label, idleMs: 0, queries });
  console.log(`warm-up, not counted: ${describeRun(run)}`);
}
for (let i = 0; i < runsWanted; i++) {
  const run = await runOnce({ dir, split: values.split, label, idleMs, queries });
  results.push(run);
  console.log(describeRun(run));
  if (values.json) appendFileSync(values.json, `${JSON.stringify(run)}\n`);
}
if (runsWanted > 1) console.log(`\n${summarize(results)}`);
