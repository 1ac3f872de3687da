/**
 * `npm run bench`: run every benchmark suite, print one table, write bench/results/latest.json.
 *
 * How to read the table
 * - Every row is measured in this run, on this machine, with the HTTPS client and the server in the same
 *   Node process. Absolute values (ms, MB, events/s) compare only with runs on the same machine; the
 *   "ratio vs baseline" column divides a row by the row it names (same run) and is what carries over.
 * - Latency rows come in pairs: median and 95th percentile (nearest rank: with 3 runs it is the slowest)
 *   of N timed requests, each timed until its whole body is read. "LIST 10 pods" is the baseline:
 *   "LIST 10k pods, median ... 600x LIST 10 pods, median" means the 10k LIST takes 600 times as long.
 *   Compare the 10k and 100k rows: with cost linear in the data, the 100k ratio is about 10x the 10k one.
 * - "response headers" is the time to first byte as a share of the whole request, "memory held at first
 *   byte" the memory growth at that moment against the response size: near 1x for both means the server
 *   built and queued the whole body before sending any of it. "first request" is the cold LIST (every pod
 *   serialized for the first time) against the warm median. The paginated LIST (limit=500 with continue)
 *   is compared with the single 100k LIST.
 * - Watch rows are throughput, higher is better: events delivered per second, counted per watcher, until
 *   the slowest watcher has every event. 100 watchers against 1 watcher is the fan-out factor: 100x would
 *   mean extra watchers cost nothing, 1x that total delivery does not grow with watchers at all. "writes
 *   only" is the same updates with nobody watching, the ceiling for one watcher.
 * - Memory rows are heapUsed deltas after global.gc(), per 10,000 pods; "10k to 100k" at 1.00x of the 10k
 *   row means memory grows linearly.
 * There are no thresholds: nothing here fails on a slow number. A suite throws only when a result is
 * wrong (a LIST missing pods, a watcher missing events). Node needs --expose-gc: without it this file
 * starts itself again with the flag.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type BenchResult, type BenchSuite, formatTable, withRatios } from './harness.ts';
import { fleetStartSuite } from './fleetStart.bench.ts';
import { kubeSimSuite } from './kubeSim.bench.ts';
import { subscriptionsSuite } from './subscriptions.bench.ts';

const SUITES: readonly BenchSuite[] = [fleetStartSuite, kubeSimSuite, subscriptionsSuite];
const here = dirname(fileURLToPath(import.meta.url));

/** start this file again under node --expose-gc; resolves with the child's exit code */
function reexecWithGc(): Promise<number> {
  const args = [
    '--expose-gc',
    '--max-old-space-size=8192',
    '--import',
    import.meta.resolve('tsx'),
    fileURLToPath(import.meta.url),
    ...process.argv.slice(2),
  ];
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, BENCH_CHILD: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  };
  let rows: BenchResult[] = [];
  // `npm run bench -- <suite> ...` runs only those suites
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) {
    throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  }
  for (const suite of SUITES.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    log(`suite ${suite.name}: ${suite.description}`);
    rows.push(...(await suite.run(log)));
  }
  rows = withRatios(rows);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = cpus();
  const machine = `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${process.platform}/${process.arch}`;
  process.stdout.write(`\n${formatTable(rows)}\n\n${machine}; wall clock ${wallSeconds.toFixed(1)} s\n`);
  const out = join(here, 'results', 'latest.json');
  await mkdir(dirname(out), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? '',
      node: process.version,
      platform: process.platform,
    },
    wallSeconds,
    results: rows,
  };
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`results written to ${out}\n`);
}

if (typeof globalThis.gc !== 'function' && process.env['BENCH_CHILD'] !== '1') {
  process.exitCode = await reexecWithGc();
} else {
  await main();
}
