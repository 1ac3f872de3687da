/** The small harness the benchmark suites share: result rows, statistics, timing and the printed table. */

export interface BenchResult {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** name of the row (same suite) this one is compared with */
  baseline?: string;
  /** value / baseline value */
  ratio?: number;
  /** what the row measures, in a few words */
  note?: string;
  /** raw samples, for the JSON report */
  samples?: number[];
}

export interface BenchSuite {
  name: string;
  /** what the suite needs, for the header */
  description: string;
  run(log: (line: string) => void): Promise<BenchResult[]>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** nearest-rank quantile (p95 of 7 samples is the largest one) */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export const nowMs = (): number => performance.now();

/** run `fn` `runs` times after `warmup` discarded runs; returns the durations in ms */
export async function sample(runs: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = nowMs();
    await fn();
    const ms = nowMs() - t0;
    if (i >= warmup) out.push(ms);
  }
  return out;
}

/** heap and external (Buffer) memory in use now, in bytes */
export function inUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** global.gc() twice (finalizers and weak maps may need a second pass), then heapUsed in bytes */
export async function settledHeap(): Promise<number> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('bench: run node with --expose-gc (bench/run.ts does this itself)');
  for (let i = 0; i < 2; i++) {
    gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

/** fill in `ratio` for every row that names a baseline row of its suite */
export function withRatios(rows: BenchResult[]): BenchResult[] {
  return rows.map((r) => {
    if (r.baseline === undefined) return r;
    const base = rows.find((b) => b.suite === r.suite && b.name === r.baseline);
    return base && base.value !== 0 ? { ...r, ratio: r.value / base.value } : r;
  });
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** a plain-text table: name | value | unit | ratio vs baseline */
export function formatTable(rows: readonly BenchResult[]): string {
  const cells = rows.map((r) => [
    `${r.suite}: ${r.name}`,
    formatValue(r.value),
    r.unit,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(r.ratio >= 100 ? 0 : 2)}x ${r.baseline ?? ''}`,
  ]);
  const head = ['name', 'value', 'unit', 'ratio vs baseline'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string =>
    c
      .map((x, i) => (i === 1 ? x.padStart(widths[i] ?? 0) : x.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
