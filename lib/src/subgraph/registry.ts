import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type DocumentNode, parse } from 'graphql';

/**
 * The subgraph registry (schema/subgraphs.json) and the schema loader. The registry is the one list of subgraphs:
 * compose, codegen, `npm start`, the tests' stack and the README's table all derive from it. A subgraph's schema is
 * schema/shared.graphql (the federation link, the scalars and the @shareable value types every domain uses)
 * followed by schema/<name>.graphql.
 */

/** the repository's schema/ folder (lib/src/subgraph → ../../../schema) */
export const defaultSchemaDir = fileURLToPath(new URL('../../../schema/', import.meta.url));

export interface SubgraphEntry {
  /** the subgraph's name: its schema is schema/<name>.graphql, its package subgraphs/<name> */
  name: string;
  /** the port it listens on when run alone (PORT overrides it) */
  port: number;
  /** the package folder, relative to the repository root */
  package: string;
}

const NAME = /^[a-z][a-z0-9]*$/;

/** the registered subgraphs, in registry order; throws naming what is wrong with the file */
export function readSubgraphRegistry(schemaDir: string = defaultSchemaDir): SubgraphEntry[] {
  const file = join(schemaDir, 'subgraphs.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { port?: unknown; package?: unknown }>;
  const ports = new Set<number>();
  return Object.entries(raw).map(([name, entry]) => {
    if (!NAME.test(name))
      throw new Error(`${file}: "${name}" is not a subgraph name (lower-case letters and digits)`);
    const { port } = entry;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`${file}: ${name}.port must be a port number, got ${JSON.stringify(port)}`);
    if (ports.has(port)) throw new Error(`${file}: port ${port} is registered twice`);
    ports.add(port);
    const pkg = typeof entry.package === 'string' ? entry.package : `subgraphs/${name}`;
    return { name, port, package: pkg };
  });
}

/** the SDL of subgraph `name`: schema/shared.graphql, then schema/<name>.graphql */
export function readSubgraphSdl(name: string, schemaDir: string = defaultSchemaDir): string {
  const shared = readFileSync(join(schemaDir, 'shared.graphql'), 'utf8');
  const own = readFileSync(join(schemaDir, `${name}.graphql`), 'utf8');
  return `${shared}\n${own}`;
}

/** the parsed schema of subgraph `name` (shared types included), as createDomainSubgraph serves it */
export function loadSubgraphTypeDefs(name: string, schemaDir: string = defaultSchemaDir): DocumentNode {
  return parse(readSubgraphSdl(name, schemaDir));
}
