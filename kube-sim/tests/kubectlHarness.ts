import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

import { findKubectl } from '../../tests/harness/clients.ts';
import {
  createKubeSim,
  type KubeObject,
  type KubeSim,
  type KubeSimOptions,
  type RequestLogEntry,
  type SimCluster,
  type StoredObject,
} from '../src/index.ts';
import { groupResource } from '../src/types.ts';
import { waitFor as pollUntil } from './support.ts';

/**
 * Drives a kube-sim with a real kubectl (shared by the kubectl*.test.ts files and the kubectl parts of others). Which
 * kubectl is tests/harness/clients.ts's choice: FLEETGRAPH_KUBECTL when set, else the packaged 1.31 (the modern client
 * the suites are written for, whatever the machine has installed), else a kubectl on PATH. Older clients stay covered
 * by opting in: FLEETGRAPH_KUBECTL=kubectl runs the suites with the machine's one (Debian's 1.20 in .ci/run).
 */

const execFileAsync = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** another kubeconfig file (e.g. one with a wrong token) */
  kubeconfig?: string;
  /** reuse a cache dir; by default every run gets a fresh one, so discovery is never stale */
  cacheDir?: string;
  /** @default 20_000 */
  timeoutMs?: number;
}

interface ExecError {
  code?: number | string | null;
  killed?: boolean;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
}

const isExecError = (e: unknown): e is ExecError => typeof e === 'object' && e !== null && 'stderr' in e;

/**
 * true when there is a kubectl for this machine, false (the suites skip) only where there is none at all: no
 * FLEETGRAPH_KUBECTL, no packaged one for this platform, none on PATH. One that is there and does not run throws, so
 * the suites fail instead of skipping.
 */
export async function kubectlAvailable(): Promise<boolean> {
  const kubectl = await findKubectl();
  if (!kubectl) return false;
  await execFileAsync(kubectl.path, ['version', '--client'], { timeout: 15_000 });
  return true;
}

async function kubectlPath(): Promise<string> {
  const kubectl = await findKubectl();
  if (!kubectl) throw new Error('no kubectl: set FLEETGRAPH_KUBECTL, or put one on PATH');
  return kubectl.path;
}

/** Poll `probe` until it returns something other than undefined/false (support.ts's waitFor, label first). */
export const waitFor = <T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> => pollUntil(probe, what, timeoutMs);

/** the query string of a logged request as parameters */
export const query = (e: RequestLogEntry): URLSearchParams => new URLSearchParams(e.query);

/** the logged requests with this method and path */
export const requestsTo = (
  entries: readonly RequestLogEntry[],
  method: string,
  path: string,
): RequestLogEntry[] => entries.filter((e) => e.method === method && e.path === path);

/** the one logged request with this method and path (throws, listing what was logged, when there is not exactly one) */
export function only(entries: readonly RequestLogEntry[], method: string, path: string): RequestLogEntry {
  const found = requestsTo(entries, method, path);
  const [first] = found;
  if (found.length !== 1 || !first) {
    const seen = entries.map((e) => `${e.method} ${e.path}?${e.query} ${e.status}`);
    throw new Error(`expected one ${method} ${path}, got ${found.length}: ${JSON.stringify(seen)}`);
  }
  return first;
}

/** one column of a table kubectl printed, header lines (NAME, NAMESPACE, EVENT) excluded */
export function column(stdout: string, index = 0): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r[0] !== '' && r[0] !== 'NAME' && r[0] !== 'NAMESPACE' && r[0] !== 'EVENT')
    .map((r) => r[index] ?? '');
}

/** A long-running kubectl (get -w, delete that waits): output so far, and a way to wait for and stop it. */
export class KubectlProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(private readonly child: ReturnType<typeof spawn>) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** stdout split into trimmed, non-empty lines */
  lines(): string[] {
    return this.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  async waitForLine(what: string, match: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return waitFor(
      `kubectl to print ${what} (stdout so far: ${JSON.stringify(this.stdout)}, stderr: ${JSON.stringify(this.stderr)})`,
      () => this.lines().find(match),
      timeoutMs,
    );
  }

  async exit(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`kubectl did not exit within ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exit();
  }
}

export class KubectlHarness {
  private cacheSeq = 0;
  private readonly processes: KubectlProcess[] = [];

  private constructor(
    readonly sim: KubeSim,
    readonly dir: string,
    readonly kubeconfigPath: string,
    /** the kubectl executable this harness runs */
    readonly kubectl: string,
  ) {}

  static async start(options: KubeSimOptions = {}): Promise<KubectlHarness> {
    const kubectl = await kubectlPath();
    const dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
    const sim = await createKubeSim(options);
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, sim.kubeconfig, { mode: 0o600 });
    return new KubectlHarness(sim, dir, kubeconfigPath, kubectl);
  }

  get cluster(): SimCluster {
    return this.sim.cluster();
  }

  /** the sequence number of the last logged request; pass it to requestsSince */
  mark(): number {
    return this.cluster.requestLog.at(-1)?.seq ?? 0;
  }

  requestsSince(mark: number): RequestLogEntry[] {
    return this.cluster.requestLog.filter((e) => e.seq > mark);
  }

  /** a stored object, straight from the simulator's store */
  stored(gr: string, namespace: string, name: string): StoredObject | undefined {
    return this.cluster.store.get(gr, namespace, name);
  }

  /** the stored objects of a type, through the registry (works for CRD-served types too) */
  storedOfKind(apiVersion: string, kind: string, namespace?: string): readonly StoredObject[] {
    const type = this.cluster.registry.forKind(apiVersion, kind);
    if (!type) return [];
    return this.cluster.store.list(groupResource(type), namespace);
  }

  /** write a manifest (objects as a multi-document YAML, or raw text) to the temp dir; returns its path */
  async manifest(name: string, content: KubeObject | readonly KubeObject[] | string): Promise<string> {
    const path = join(this.dir, name);
    const text =
      typeof content === 'string'
        ? content
        : (Array.isArray(content) ? content : [content]).map((o) => stringify(o)).join('---\n');
    await writeFile(path, text);
    return path;
  }

  /** write a kubeconfig for this cluster with another token */
  async kubeconfigWithToken(name: string, token: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, this.cluster.kubeconfig(token), { mode: 0o600 });
    return path;
  }

  freshCacheDir(): string {
    return join(this.dir, `cache-${++this.cacheSeq}`);
  }

  private argv(args: readonly string[], opts: RunOptions): string[] {
    return [
      '--kubeconfig',
      opts.kubeconfig ?? this.kubeconfigPath,
      '--cache-dir',
      opts.cacheDir ?? this.freshCacheDir(),
      ...args,
    ];
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.dir };
    delete env['KUBECONFIG'];
    return env;
  }

  /** run kubectl to completion; a non-zero exit is a result, not an exception */
  async run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeout = opts.timeoutMs ?? 20_000;
    try {
      const { stdout, stderr } = await execFileAsync(this.kubectl, this.argv(args, opts), {
        timeout,
        env: this.env(),
        encoding: 'utf8',
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      if (!isExecError(err)) throw err;
      if (err.killed || typeof err.code !== 'number') {
        throw new Error(
          `kubectl ${args.join(' ')} did not finish (signal ${String(err.signal)}, timeout ${timeout} ms); stderr: ${err.stderr ?? ''}`,
        );
      }
      return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  /** run kubectl and require exit code 0; returns stdout */
  async ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r.stdout;
  }

  /** start kubectl in the background (get -w, a delete that waits) */
  spawn(args: readonly string[], opts: RunOptions = {}): KubectlProcess {
    const child = spawn(this.kubectl, this.argv(args, opts), {
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new KubectlProcess(child);
    this.processes.push(p);
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop().catch(() => undefined)));
    await this.sim.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
