/**
 * The pieces of `npm run new:subgraph` that decide what to write: the name rules, the template rendering and the
 * registry edit. They read the repository but write nothing; scripts/newSubgraph.ts does the writing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** scripts/newSubgraph/templates: a tree mirroring the repository, with `NAME` in paths and `{{var}}` in text */
export const TEMPLATES_DIR = join(import.meta.dirname, 'templates');

/** what schema/subgraphs.json accepts (lib/src/subgraph/registry.ts), kept short enough to read in a process list */
const NAME = /^[a-z][a-z0-9]{0,29}$/;

/**
 * Names a subgraph may not take, and why: files of schema/ and processes of the stack that would collide, the
 * repository's own folders and packages, and GraphQL's root and federation names.
 */
export const RESERVED: Readonly<Record<string, string>> = {
  shared: 'schema/shared.graphql is the schema every subgraph shares',
  supergraph: 'schema/supergraph.graphql is the composed graph',
  subgraph: 'it names the kit (lib/src/subgraph)',
  subgraphs: 'the stack runs every subgraph in one process by that name (scripts/subgraphs.ts)',
  gateway: 'the gateway is a process and package of its own',
  kubesim: 'kube-sim is a process and package of its own',
  sim: 'kube-sim is a process and package of its own',
  lib: 'lib is the shared package',
  tests: 'tests is the e2e package',
  test: 'it reads as a test fixture, not a domain',
  schema: 'it is a folder of the repository',
  scripts: 'it is a folder of the repository',
  docs: 'it is a folder of the repository',
  bench: 'it is a folder of the repository',
  docker: 'it is a folder of the repository',
  fleetgraph: 'it is the name of the whole graph',
  query: 'it is a GraphQL root type',
  mutation: 'it is a GraphQL root type',
  subscription: 'it is a GraphQL root type',
  federation: 'it is an Apollo Federation name',
  link: 'it is an Apollo Federation name',
};

/** why `name` cannot be a new subgraph of the repository at `root`, or undefined if it can */
export function whyNot(name: string, root: string, registered: readonly string[]): string | undefined {
  if (!NAME.test(name))
    return `"${name}" is not a subgraph name: 1 to 30 lower-case letters and digits, starting with a letter (e.g. "storage", "gpu2")`;
  const reserved = RESERVED[name];
  if (reserved !== undefined) return `"${name}" is reserved: ${reserved}`;
  if (registered.includes(name))
    return `"${name}" is already registered in schema/subgraphs.json (registered: ${registered.join(', ')})`;
  for (const path of targets(name))
    if (existsSync(join(root, path))) return `${path} already exists; remove it or choose another name`;
  return undefined;
}

/** the values the templates use */
export interface TemplateVars {
  /** the subgraph's name, e.g. `widgets` */
  name: string;
  /** e.g. `Widgets` (codegen's context convention: `<Pascal>Context`) */
  Pascal: string;
  /** e.g. `WIDGETS`, for error-code examples */
  NAME: string;
  /** the example field the domain owns on Cluster, e.g. `widgetsServiceCount` */
  field: string;
  /** the port it listens on when run alone */
  port: string;
  /** graphql's version, as lib depends on it */
  graphqlVersion: string;
}

export function templateVars(name: string, port: number, root: string): TemplateVars {
  const lib = JSON.parse(readFileSync(join(root, 'lib', 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const graphqlVersion = lib.dependencies?.['graphql'];
  if (!graphqlVersion)
    throw new Error('lib/package.json has no graphql dependency to pin the new package to');
  return {
    name,
    Pascal: name.charAt(0).toUpperCase() + name.slice(1),
    NAME: name.toUpperCase(),
    field: `${name}ServiceCount`,
    port: String(port),
    graphqlVersion,
  };
}

function templateFiles(dir: string = TEMPLATES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? templateFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .filter((f) => f.endsWith('.tmpl'))
    .sort();
}

/** a template's path in the repository: `NAME` segments and file stems become the name, `.tmpl` goes */
function targetOf(template: string, name: string): string {
  return relative(TEMPLATES_DIR, template)
    .split(/[\\/]/)
    .map((part) => part.replace(/^NAME(?=\.|$)/, name))
    .join('/')
    .replace(/\.tmpl$/, '');
}

/** the files the scaffold writes for `name`, relative to the repository root */
export function targets(name: string): string[] {
  return templateFiles().map((t) => targetOf(t, name));
}

/** every template rendered: `{{var}}` replaced; an unknown `{{var}}` is a bug in the templates, so it throws */
export function renderTemplates(vars: TemplateVars): Array<{ path: string; text: string }> {
  const values: Record<string, string> = { ...vars };
  return templateFiles().map((template) => ({
    path: targetOf(template, vars.name),
    text: readFileSync(template, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`${relative(TEMPLATES_DIR, template)}: unknown {{${key}}}`);
      return value;
    }),
  }));
}

/**
 * schema/subgraphs.json's text with one more entry, written as the others are (one line per subgraph, 2-space
 * indentation) and everything already there left byte for byte; checked by parsing the result.
 */
export function registryWith(text: string, name: string, entry: { port: number; package: string }): string {
  const before = JSON.parse(text) as Record<string, unknown>;
  const line = `  ${JSON.stringify(name)}: { "port": ${entry.port}, "package": ${JSON.stringify(entry.package)} }`;
  const close = text.lastIndexOf('}');
  const head = text.slice(0, close).trimEnd();
  const next =
    Object.keys(before).length === 0 ? `{\n${line}\n}\n` : `${head},\n${line}\n${text.slice(close)}`;
  const after = JSON.parse(next) as Record<string, unknown>;
  if (JSON.stringify(after) !== JSON.stringify({ ...before, [name]: entry }))
    throw new Error('schema/subgraphs.json: could not add the entry without changing the others');
  return next.endsWith('\n') ? next : `${next}\n`;
}

/**
 * docs/architecture.md's text with `name` added to the "extended by" cell of `entity`'s row in the entity map (the
 * table tests/schema/entityMap.test.ts holds the supergraph to), or undefined when there is no such map or row.
 * The table is re-aligned by prettier afterwards.
 */
export function entityMapWith(doc: string, entity: string, name: string): string | undefined {
  const start = doc.indexOf('### The entity map');
  if (start < 0) return undefined;
  const lines = doc.slice(start).split('\n');
  const cellsOf = (line: string): string[] => line.split('|').map((c) => c.trim());
  const header = lines.findIndex((l) => l.trimStart().startsWith('|'));
  if (header < 0) return undefined;
  const column = cellsOf(lines[header] ?? '').indexOf('extended by');
  if (column < 0) return undefined;
  for (let i = header + 2; i < lines.length && lines[i]?.trimStart().startsWith('|'); i++) {
    const cells = cellsOf(lines[i] ?? '');
    if (cells[1] !== entity) continue;
    const extenders = (cells[column] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (extenders.includes(name)) return doc;
    cells[column] = [...extenders, name].sort().join(', ');
    lines[i] = cells.join(' | ').trim();
    return doc.slice(0, start) + lines.join('\n');
  }
  return undefined;
}
