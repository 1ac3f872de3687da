import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  type ConstArgumentNode,
  type ConstDirectiveNode,
  Kind,
  type ObjectTypeDefinitionNode,
  parse,
} from 'graphql';
import { composeServices } from '@apollo/composition';
import { describe, expect, it } from 'vitest';

import { composeSupergraph } from '../../scripts/compose.ts';

/**
 * The entity map of docs/architecture.md against the composed supergraph: every entity of the graph is in the
 * table and every row is in the graph, with its key, its one owner, the subgraphs that extend it and those that only
 * refer to it.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Row {
  key: string;
  owner: string;
  extendedBy: string[];
  referredToBy: string[];
}

const list = (cell: string): string[] =>
  cell
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();

function documentedMap(): Map<string, Row> {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### The entity map'));
  const rows = new Map<string, Row>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 7 || cells[1] === 'entity' || cells[1]?.startsWith('---')) continue;
    const [, entity = '', key = '', owner = '', extended = '', referred = ''] = cells;
    rows.set(entity, { key, owner, extendedBy: list(extended), referredToBy: list(referred) });
  }
  return rows;
}

const arg = (d: ConstDirectiveNode, name: string): ConstArgumentNode | undefined =>
  d.arguments?.find((a) => a.name.value === name);

function composedMap(sdl: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const def of parse(sdl).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const joins = ((def as ObjectTypeDefinitionNode).directives ?? []).filter(
      (d) => d.name.value === 'join__type' && arg(d, 'key'),
    );
    if (joins.length === 0) continue;
    const row: Row = { key: '', owner: '', extendedBy: [], referredToBy: [] };
    const owners: string[] = [];
    for (const d of joins) {
      const graph = String((arg(d, 'graph')?.value as { value: string }).value).toLowerCase();
      const key = (arg(d, 'key')?.value as { value: string }).value;
      const flag = (n: string): boolean =>
        (arg(d, n)?.value as { value?: boolean } | undefined)?.value === true;
      const notResolvable = (arg(d, 'resolvable')?.value as { value?: boolean } | undefined)?.value === false;
      row.key = key;
      if (notResolvable) row.referredToBy.push(graph);
      else if (flag('extension')) row.extendedBy.push(graph);
      else owners.push(graph);
    }
    expect(owners, `${def.name.value} has exactly one owner in the supergraph`).toHaveLength(1);
    row.owner = owners[0] ?? '';
    row.extendedBy.sort();
    row.referredToBy.sort();
    rows.set(def.name.value, row);
  }
  return rows;
}

describe('the entity map', () => {
  it('docs/architecture.md names the owner, extenders and referrers of every entity of the supergraph', () => {
    const composed = composeSupergraph();
    if ('errors' in composed) throw new Error(composed.errors.join('\n'));
    const documented = documentedMap();
    expect(documented.size).toBeGreaterThan(0);
    expect(Object.fromEntries(composedMap(composed.supergraphSdl))).toEqual(Object.fromEntries(documented));
  });

  it('the checked-in supergraph is the composition of the registered subgraphs', () => {
    const composed = composeSupergraph();
    if ('errors' in composed) throw new Error(composed.errors.join('\n'));
    const checkedIn = readFileSync(join(root, 'schema', 'supergraph.graphql'), 'utf8');
    expect(checkedIn).toContain(composed.supergraphSdl);
  });
});

describe('the shared schema', () => {
  const sharedSdl = readFileSync(join(root, 'schema', 'shared.graphql'), 'utf8');
  const service = (name: string, own: string) => ({
    name,
    url: `http://localhost/${name}`,
    typeDefs: parse(`${sharedSdl}\n${own}`),
  });

  it('lets two subgraphs that both return the shared value types compose', () => {
    const result = composeServices([
      service('one', 'type Query { a: Label, page: PageInfo, res: ResourceList, ev: KubeEvent }'),
      service('two', 'type Query { b: Label, log: LogLine, res2: ResourceList, w: Warning }'),
    ]);
    expect(result.errors?.map((e) => e.message)).toBeUndefined();
    const label = parse(result.supergraphSdl ?? '').definitions.find(
      (d): d is ObjectTypeDefinitionNode =>
        d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Label',
    );
    expect(label?.directives?.filter((d) => d.name.value === 'join__type')).toHaveLength(2);
  });

  it('is what makes that work: the same value type declared twice without @shareable does not compose', () => {
    const plain = (name: string) => ({
      name,
      url: `http://localhost/${name}`,
      typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Label { key: String! value: String! }
        type Query { ${name}: Label }`),
    });
    const result = composeServices([plain('one'), plain('two')]);
    expect(result.errors?.map((e) => e.message).join('\n')).toMatch(
      /Label\.key.*resolved from multiple subgraphs/s,
    );
  });
});
