/**
 * Every registered subgraph (schema/subgraphs.json) in this one Node process: each keeps its own HTTP endpoint,
 * schema and federation boundary (the gateway still federates over HTTP), and all share one fleet access, so one
 * copy of the host's RBAC, one set of cluster watches and one informer per watched collection. This is how
 * `npm start` runs them by default; `npm start -- --split` runs each subgraph's own main.ts instead, as a
 * deployment does.
 *
 *   SUBGRAPH_PORTS=clusters=4001,workloads=4002 tsx scripts/subgraphs.ts
 *
 * A subgraph missing from SUBGRAPH_PORTS listens on its registered port. Every other variable is each subgraph's
 * own (KUBECONFIG, FLEETGRAPH_IDENTITY_SECRET, LOG_LEVEL, PROBE_PERIOD_MS, ...).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { readSubgraphRegistry, runSubgraphs, type SubgraphLauncher } from '@fleetgraph/lib/subgraph';

const root = join(import.meta.dirname, '..');
const registry = readSubgraphRegistry();

function parsePorts(text: string | undefined): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    const port = Number(value);
    if (
      !name ||
      !registry.some((e) => e.name === name) ||
      !Number.isInteger(port) ||
      port < 0 ||
      port > 65535
    ) {
      console.error(
        `subgraphs: SUBGRAPH_PORTS must be name=port pairs of registered subgraphs (${registry.map((e) => e.name).join(', ')}), got "${part}"`,
      );
      process.exit(2);
    }
    ports[name] = port;
  }
  return ports;
}

const ports = parsePorts(process.env['SUBGRAPH_PORTS']);
const launchers: SubgraphLauncher[] = [];
for (const entry of registry) {
  const module = (await import(pathToFileURL(join(root, entry.package, 'src', 'subgraph.ts')).href)) as {
    launcher?: SubgraphLauncher;
  };
  if (!module.launcher) {
    console.error(
      `subgraphs: ${entry.package}/src/subgraph.ts exports no \`launcher\` (see docs/adding-a-subgraph.md)`,
    );
    process.exit(2);
  }
  launchers.push(module.launcher);
  ports[entry.name] ??= entry.port;
}
runSubgraphs(launchers, { ports });
