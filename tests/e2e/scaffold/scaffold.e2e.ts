import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';

import { composeSupergraph } from '../../../scripts/compose.ts';
import { eventually, query } from '../../harness/graphqlClient.ts';
import { repoRoot, type Stack, type startStack } from '../../harness/stack.ts';

/**
 * `npm run new:subgraph -- widgets` in a copy of the repository (never in the repository itself): the scaffold
 * registers and composes the new subgraph, its generated test passes, and the whole stack started from the copy
 * serves the new field through the gateway next to a field of the clusters subgraph, with the value kube-sim holds.
 *
 * The copy is the working tree's files (git ls-files: tracked and untracked, not ignored) and a node_modules whose
 * entries are symlinks to the repository's, except @fleetgraph/*: those are the same relative links npm made
 * (`lib -> ../../lib`), so inside the copy every workspace package is the copy's own. A copy that symlinks the
 * whole node_modules would not do: tsx maps @fleetgraph/lib to the copy's lib through tsconfig `paths`, but vitest
 * follows node_modules/@fleetgraph/lib to the REAL repository's lib, whose schema/ has no widgets.graphql. The
 * first test checks which lib the copy resolves.
 */

const NAME = 'widgets';
const FIELD = `${NAME}ServiceCount`;

let copy: string;
let stack: Stack | undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** the environment for a child process, without the variables of this vitest run (a child vitest reads them) */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TEST') delete env[key];
  return env;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** the working tree's files and a node_modules whose workspace links point into the copy (see above) */
function copyRepository(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fleetgraph-scaffold-')));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(repoRoot, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(repoRoot, f), join(dir, f));
  }
  const modules = join(repoRoot, 'node_modules');
  mkdirSync(join(dir, 'node_modules', '@fleetgraph'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    // vite's caches stay per copy; the workspace packages are linked below
    if (entry === '@fleetgraph' || entry === '.vite' || entry === '.vite-temp' || entry === '.cache')
      continue;
    symlinkSync(join(modules, entry), join(dir, 'node_modules', entry));
  }
  for (const entry of readdirSync(join(modules, '@fleetgraph')))
    symlinkSync(
      readlinkSync(join(modules, '@fleetgraph', entry)),
      join(dir, 'node_modules', '@fleetgraph', entry),
    );
  return dir;
}

/** what kube-sim holds: the Services of `cluster` (in `namespaces`, or all), listed with its admin kubeconfig */
async function servicesIn(cluster: string, namespaces?: string[]): Promise<number> {
  const kc = loadKubeConfig({ kind: 'kubeconfig', path: stack?.kubeconfigs[cluster] ?? '' });
  const paths = namespaces
    ? namespaces.map((ns) => `/api/v1/namespaces/${ns}/services`)
    : ['/api/v1/services'];
  let n = 0;
  for (const p of paths) n += (await kubeRequest<{ items: unknown[] }>(kc, p)).items.length;
  return n;
}

beforeAll(() => {
  copy = copyRepository();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (copy) rmSync(copy, { recursive: true, force: true });
}, 60_000);

describe('npm run new:subgraph', () => {
  it('the copy resolves every workspace package to its own files', () => {
    expect(existsSync(join(copy, 'scripts', 'newSubgraph.ts'))).toBe(true);
    for (const pkg of ['lib', 'kube-sim', 'gateway'])
      expect(realpathSync(join(copy, 'node_modules', '@fleetgraph', pkg))).toBe(join(copy, pkg));
    expect(realpathSync(join(copy, 'node_modules', 'graphql'))).toBe(
      realpathSync(join(repoRoot, 'node_modules', 'graphql')),
    );
  });

  it('refuses a bad, a reserved and a taken name with exit 2, writing nothing', async () => {
    const registry = readFileSync(join(copy, 'schema', 'subgraphs.json'), 'utf8');
    const subgraphs = readdirSync(join(copy, 'subgraphs')).sort();
    // the repository's own script, pointed at the copy with --root
    const script = join(repoRoot, 'scripts', 'newSubgraph.ts');
    const cases: Array<[string, RegExp]> = [
      ['Bad-Name', /"Bad-Name" is not a subgraph name/],
      ['shared', /"shared" is reserved: schema\/shared.graphql/],
      ['clusters', /"clusters" is already registered/],
    ];
    const runs = await Promise.all(
      cases.map(([name]) =>
        run(process.execPath, ['--import', 'tsx', script, name, '--root', copy], copy, 60_000),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(cases[i]?.[1] ?? /never/);
      expect(r.stderr).toMatch(/usage: npm run new:subgraph/);
    });
    expect(readFileSync(join(copy, 'schema', 'subgraphs.json'), 'utf8')).toBe(registry);
    expect(readdirSync(join(copy, 'subgraphs')).sort()).toEqual(subgraphs);
  }, 90_000);

  it(`scaffolds ${NAME}: registered on the next port, composed, generated`, async () => {
    const before = JSON.parse(readFileSync(join(copy, 'schema', 'subgraphs.json'), 'utf8')) as Record<
      string,
      { port: number }
    >;
    const r = await run('npm', ['run', 'new:subgraph', '--', NAME], copy, 120_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`scaffolded the ${NAME} subgraph`);

    const registryText = readFileSync(join(copy, 'schema', 'subgraphs.json'), 'utf8');
    const after = JSON.parse(registryText) as Record<string, { port: number; package: string }>;
    const nextPort = Math.max(...Object.values(before).map((e) => e.port)) + 1;
    expect(after).toEqual({ ...before, [NAME]: { port: nextPort, package: `subgraphs/${NAME}` } });
    // one entry per line, as the file was
    expect(registryText.split('\n').filter((l) => l.includes('"port"'))).toHaveLength(
      Object.keys(after).length,
    );

    // the supergraph written in the copy is what composing the copy's schema gives, and has the new field
    const composed = composeSupergraph(join(copy, 'schema'));
    expect('errors' in composed ? composed.errors : []).toEqual([]);
    const written = readFileSync(join(copy, 'schema', 'supergraph.graphql'), 'utf8');
    if ('supergraphSdl' in composed) expect(written).toContain(composed.supergraphSdl);
    expect(written).toMatch(new RegExp(`${FIELD}: Int @join__field\\(graph: ${NAME.toUpperCase()}\\)`));

    const generated = readFileSync(
      join(copy, 'subgraphs', NAME, 'src', '__generated__', 'resolvers-types.ts'),
      'utf8',
    );
    expect(generated).toContain(`${FIELD}?: Resolver<`);
    expect(generated).toContain("import type { ClusterModel } from '../services/model.ts'");
    // npm run compose also wrote the README's subgraphs table (where it has one)
    const readme = readFileSync(join(copy, 'README.md'), 'utf8');
    if (readme.includes('<!-- subgraphs:begin'))
      expect(readme).toMatch(new RegExp(`^\\| ${NAME} +\\| ${nextPort} +\\|.*\\bCluster\\b`, 'm'));
    // where the entity map is, Cluster's row names the new subgraph among those that extend it
    const map = readFileSync(join(copy, 'docs', 'architecture.md'), 'utf8').split('### The entity map')[1];
    if (map !== undefined) expect(map).toMatch(new RegExp(`^\\| Cluster +\\|[^\\n]*\\b${NAME}\\b`, 'm'));
    for (const f of [
      'docs/subgraphs/widgets.md',
      'subgraphs/widgets/src/errors.ts',
      'schema/widgets.graphql',
    ])
      expect(existsSync(join(copy, f)), f).toBe(true);

    // and the repository itself is untouched
    expect(existsSync(join(repoRoot, 'subgraphs', NAME))).toBe(false);
    expect(readFileSync(join(repoRoot, 'schema', 'subgraphs.json'), 'utf8')).not.toContain(`"${NAME}"`);
  }, 120_000);

  it('its generated test passes in the copy, and so do the schema tests (the entity map) where there are some', async () => {
    const report = join(copy, '.vitest-report.json');
    const mine = join(copy, 'subgraphs', NAME, 'tests', `${NAME}.test.ts`);
    const schemaTests = existsSync(join(copy, 'tests', 'schema'))
      ? readdirSync(join(copy, 'tests', 'schema'))
          .filter((f) => f.endsWith('.test.ts'))
          .map((f) => join(copy, 'tests', 'schema', f))
      : [];
    const r = await run(
      'npx',
      [
        'vitest',
        'run',
        '--project',
        'unit',
        `subgraphs/${NAME}/`,
        ...(schemaTests.length > 0 ? ['tests/schema/'] : []),
        '--reporter=json',
        `--outputFile=${report}`,
      ],
      copy,
      120_000,
    );
    const json = (
      existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : { numFailedTests: -1, testResults: [] }
    ) as {
      numFailedTests: number;
      testResults: Array<{
        name: string;
        status: string;
        assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
      }>;
    };
    const failures = json.testResults
      .flatMap((t) => t.assertionResults)
      .filter((a) => a.status !== 'passed')
      .map((a) => `${a.fullName}: ${a.failureMessages.join('\n').slice(0, 2000)}`);
    expect(r.code, failures.length > 0 ? failures.join('\n\n') : `${r.stdout}\n${r.stderr}`).toBe(0);
    const results = json.testResults.map((t) => [t.name, t.status]).sort();
    expect(results).toEqual([mine, ...schemaTests].sort().map((f) => [f, 'passed']));
    expect(json.numFailedTests).toBe(0);
    expect(json.testResults.find((t) => t.name === mine)?.assertionResults.length).toBeGreaterThanOrEqual(4);
  }, 150_000);

  it('the stack started from the copy serves the new field through the gateway', async () => {
    const copied = (await import(pathToFileURL(join(copy, 'tests', 'harness', 'stack.ts')).href)) as {
      startStack: typeof startStack;
    };
    stack = await copied.startStack({
      port: 0,
      outDir: join(copy, '.fleetgraph'),
      probePeriodMs: 1000,
      logLevel: 'warn',
    });
    expect(Object.keys(stack.subgraphUrls)).toContain(NAME);
    const q = `{ cluster(name: "prod") { name status { phase } ${FIELD} } }`;
    const tokens = { admin: await stack.token('admin'), alice: await stack.token('alice') };

    /** polls until `user` gets prod, READY, with the Services kube-sim holds in `namespaces` (all by default) */
    const servesWhatKubeSimHolds = async (
      user: keyof typeof tokens,
      namespaces?: string[],
    ): Promise<number> => {
      let want = -1;
      let last: unknown;
      await eventually(
        async () => {
          want = await servicesIn('prod', namespaces);
          const res = await query(stack?.gatewayUrl ?? '', q, undefined, tokens[user]);
          last = res;
          return (
            res.errors === undefined &&
            JSON.stringify(res.data) ===
              JSON.stringify({ cluster: { name: 'prod', status: { phase: 'READY' }, [FIELD]: want } })
          );
        },
        30_000,
        `${user}'s ${FIELD} of prod to be what kube-sim holds`,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}; kube-sim holds ${want}, the gateway answered ${JSON.stringify(last)}`);
      });
      return want;
    };

    // the platform admin counts every Service of prod (some, so the comparison means something)
    const all = await servesWhatKubeSimHolds('admin');
    expect(all).toBeGreaterThan(0);
    // alice (workspace retail: projects shop and payments on prod) counts only those namespaces' Services
    const mine = await servesWhatKubeSimHolds('alice', ['shop', 'payments']);
    expect(mine).toBeLessThan(all);
  }, 180_000);
});
