import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Child processes of a fleetgraph stack: spawned with tsx, their output passed on line by line. */

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** resolves with the exit code (or signal) once the process has exited */
  exited: Promise<number | string>;
  /** every line the process printed so far (stdout and stderr), the last 5000 */
  lines: string[];
  /** emits 'line' for each line */
  output: EventEmitter<{ line: [string] }>;
}

/** a free TCP port on 127.0.0.1 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function spawnService(o: {
  name: string;
  /** a TypeScript entry file, relative to cwd */
  entry: string;
  args?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  onLine: (name: string, line: string) => void;
}): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', o.entry, ...(o.args ?? [])], {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const output = new EventEmitter<{ line: [string] }>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 5000) lines.shift();
      o.onLine(o.name, line);
      output.emit('line', line);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { name: o.name, child, exited, lines, output };
}

/** resolves when `predicate` matches a line the process prints; rejects if it exits first or after timeoutMs */
export function waitForLine(
  p: ServiceProcess,
  predicate: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const found = p.lines.find(predicate);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${p.name}: no expected output within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onLine = (line: string): void => {
      if (predicate(line)) done(undefined, line);
    };
    const onExit = (): void =>
      done(new Error(`${p.name} exited before it was ready:\n${p.lines.slice(-20).join('\n')}`));
    function done(err: Error | undefined, line?: string): void {
      clearTimeout(timer);
      p.output.off('line', onLine);
      p.child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line ?? '');
    }
    p.output.on('line', onLine);
    p.child.once('exit', onExit);
  });
}

/** polls `url` until it answers 200; rejects if the process exits first or after timeoutMs */
export async function waitForReady(p: ServiceProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${p.name} exited before it was ready:\n${p.lines.slice(-20).join('\n')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status} ${await res.text()}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.name} was not ready within ${timeoutMs} ms (${url}: ${last})`);
}

/** SIGTERM, then SIGKILL after graceMs */
export async function stopService(p: ServiceProcess, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}
