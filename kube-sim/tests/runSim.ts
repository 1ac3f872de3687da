import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** `npm run sim` as a user runs it: a child process, its output, and a promise for the `kube-sim ready` line. */

const root = join(import.meta.dirname, '..', '..');

export interface RunningSim {
  /** everything printed up to and including `kube-sim ready` */
  ready: Promise<string>;
  exited: Promise<number | null>;
  stop(): void;
  output(): string;
}

export function runSim(args: string[]): RunningSim {
  const child = spawn(process.execPath, ['--import', 'tsx', 'kube-sim/src/cli.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (out.includes('kube-sim ready\n')) resolve(out);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) =>
      reject(new Error(`kube-sim exited with ${String(code)} before it was ready:\n${out}`)),
    );
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { ready, exited, stop: () => child.kill('SIGTERM'), output: () => out };
}
