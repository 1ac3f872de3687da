/**
 * npm run new:subgraph -- <name> [--root <dir>]: scaffolds a registered, tested subgraph (docs/adding-a-subgraph.md).
 *
 * It registers <name> in schema/subgraphs.json on the next free port, writes schema/<name>.graphql (an extension of
 * the Cluster entity with one working field), subgraphs/<name>/ in the shape every subgraph has (with an in-process
 * test against kube-sim's demo fleet) and docs/subgraphs/<name>.md, and adds <name> to the Cluster row of the
 * entity map in docs/architecture.md; then it runs `npm run compose` there (schema/supergraph.graphql and the
 * README's subgraphs table), generates the new package's resolver types from codegen.ts, formats what it wrote
 * with prettier, and prints the next steps.
 * The files come from scripts/newSubgraph/templates. `--root` scaffolds in another copy of the repository (the
 * scaffold's e2e test does). Exits 2 on a bad, reserved or taken name (writing nothing), 1 if composition or codegen
 * fails (the written files are left for you to fix).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import type { CodegenConfig } from '@graphql-codegen/cli';

// the registry module alone, not lib/subgraph's index (Apollo Server and more): a refusal answers at once, and
// prettier and codegen load only once the name is accepted
import { readSubgraphRegistry } from '../lib/src/subgraph/registry.ts';
import {
  entityMapWith,
  registryWith,
  renderTemplates,
  templateVars,
  whyNot,
} from './newSubgraph/scaffold.ts';

const usage = 'usage: npm run new:subgraph -- <name> [--root <repository>]';

function fail(message: string, code = 2): never {
  console.error(`new:subgraph: ${message}`);
  if (code === 2) console.error(usage);
  process.exit(code);
}

let parsed: { values: { root?: string | undefined; help?: boolean | undefined }; positionals: string[] };
try {
  parsed = parseArgs({
    options: { root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
const [name, ...extra] = parsed.positionals;
if (name === undefined) fail('give the new subgraph a name');
if (extra.length > 0) fail(`one name at a time, got ${parsed.positionals.join(' ')}`);

const root = resolve(parsed.values.root ?? join(import.meta.dirname, '..'));
const schemaDir = join(root, 'schema');
let registry: ReturnType<typeof readSubgraphRegistry>;
try {
  registry = readSubgraphRegistry(schemaDir);
} catch (e) {
  fail(`${root} is not a fleetgraph repository: ${e instanceof Error ? e.message : String(e)}`);
}
const why = whyNot(
  name,
  root,
  registry.map((e) => e.name),
);
if (why) fail(why);

const port = Math.max(4000, ...registry.map((e) => e.port)) + 1;
const pkg = `subgraphs/${name}`;
const vars = templateVars(name, port, root);
const files = renderTemplates(vars);

const prettier = await import('prettier');

/** `text` as `npm run check:format` wants it for `path` (the repository's .prettierrc) */
async function formatted(path: string, text: string): Promise<string> {
  const file = join(root, path);
  const config = await prettier.resolveConfig(file, { editorconfig: true });
  return prettier.format(text, { ...config, filepath: file });
}

const registryPath = 'schema/subgraphs.json';
const written: string[] = [];
for (const f of files) {
  const file = join(root, f.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await formatted(f.path, f.text));
  written.push(f.path);
}
// the entity map: Cluster is now extended by this subgraph too (tests/schema/entityMap.test.ts checks the table)
const architecturePath = 'docs/architecture.md';
const architecture = existsSync(join(root, architecturePath))
  ? entityMapWith(readFileSync(join(root, architecturePath), 'utf8'), 'Cluster', name)
  : undefined;
if (architecture !== undefined) {
  writeFileSync(join(root, architecturePath), await formatted(architecturePath, architecture));
  written.push(`${architecturePath} (the entity map: Cluster is extended by ${name})`);
}
const registryText = registryWith(readFileSync(join(root, registryPath), 'utf8'), name, {
  port,
  package: pkg,
});
writeFileSync(join(root, registryPath), await formatted(registryPath, registryText));

// exactly what `npm run compose` does in that repository (the supergraph, and whatever else compose:check covers)
const compose = spawnSync('npm', ['run', '--silent', 'compose'], { cwd: root, encoding: 'utf8' });
if (compose.status !== 0) {
  process.stderr.write(compose.stderr || compose.stdout || String(compose.error ?? ''));
  fail(
    `wrote ${written.join(', ')} and registered ${name}, but npm run compose failed: fix schema/${name}.graphql, then npm run compose`,
    1,
  );
}
const supergraph = readFileSync(join(schemaDir, 'supergraph.graphql'), 'utf8');
if (!supergraph.includes(`${vars.field}:`))
  fail(`schema/supergraph.graphql does not have Cluster.${vars.field} after composition`, 1);

// codegen.ts builds its config from the registry, relative to the working directory, at import time
const generatedPath = join(pkg, 'src', '__generated__', 'resolvers-types.ts');
try {
  process.chdir(root);
  const { generate } = await import('@graphql-codegen/cli');
  const config = ((await import(pathToFileURL(join(root, 'codegen.ts')).href)) as { default: CodegenConfig })
    .default;
  const target = config.generates[generatedPath];
  if (target === undefined) throw new Error(`codegen.ts has no output ${generatedPath}`);
  await generate({ ...config, silent: true, generates: { [generatedPath]: target } }, true);
} catch (e) {
  fail(
    `codegen failed for ${pkg}: ${e instanceof Error ? e.message : String(e)}; fix it, then npm run codegen`,
    1,
  );
}

const here = root === resolve(import.meta.dirname, '..') ? '' : ` in ${root}`;
const entityMapStep =
  architecture === undefined
    ? `add ${name} to the entity map of docs/architecture.md (no Cluster row was found there)`
    : 'keep the entity map of docs/architecture.md current';
console.log(`new:subgraph: scaffolded the ${name} subgraph${here}

  registered  ${registryPath}: ${name} on port ${port}, package ${pkg}
  wrote       ${written.join('\n              ')}
  composed    npm run compose: ${compose.stdout.trim().split('\n').join('; ')}
              (the supergraph now has Cluster.${vars.field})
  generated   ${generatedPath}

next steps:
  1. npx vitest run --project unit ${pkg}
       the scaffold's test: Cluster.${vars.field} against kube-sim's demo fleet, for admin, a workspace
       member and a user with no bindings
  2. npm start   (or npm start -- --split: one process per subgraph), then as admin:
       { cluster(name: "prod") { name status { phase } ${vars.field} } }
  3. npm install
       records the new workspace in package-lock.json (npm ci refuses a lock file without it); nothing imports
       @fleetgraph/subgraph-${name} by package name, so everything above runs before it
  4. make it the ${name} domain: replace src/services/ and Cluster.${vars.field} with its own features
       (edit schema/${name}.graphql, then npm run compose && npm run codegen),
       ${entityMapStep}, and keep docs/subgraphs/${name}.md current (see docs/adding-a-subgraph.md)
  5. npm run check:format && npm run check:lint && npm run check:types && npm run compose:check &&
     npm run codegen:check && npm run errors:check`);
