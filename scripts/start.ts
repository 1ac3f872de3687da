/**
 * npm start: the whole stack on the embedded default — kube-sim's demo fleet, every registered subgraph (in one
 * process sharing one fleet access, or one process each with --split, as deployments run them) and the gateway,
 * started in order and each checked ready — then prints `fleetgraph ready`, the explorer URL,
 * a token for each demo user, a sample query and a sample subscription. Ctrl-C (SIGINT) or SIGTERM stops every process it started.
 *
 *   npm start [-- --kubeconfig <path>] [--port <n>] [--probe-period-ms <n>] [--split]
 *
 * With --kubeconfig (or KUBECONFIG set), kube-sim is skipped and that cluster is served.
 */
import { parseArgs } from 'node:util';

import { startStack } from '../tests/harness/stack.ts';

const usage = 'usage: npm start [-- --kubeconfig <path>] [--port <n>] [--probe-period-ms <n>] [--split]';

function fail(message: string): never {
  console.error(`fleetgraph: ${message}\n${usage}`);
  process.exit(2);
}

let values: {
  kubeconfig?: string | undefined;
  port?: string | undefined;
  'probe-period-ms'?: string | undefined;
  split?: boolean | undefined;
};
try {
  ({ values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string' },
      'probe-period-ms': { type: 'string' },
      split: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const portText = values.port ?? process.env['PORT'] ?? '4000';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`the port must be an integer from 0 to 65535, got "${portText}"`);
const probeText = values['probe-period-ms'] ?? process.env['PROBE_PERIOD_MS'] ?? '5000';
const probePeriodMs = Number(probeText);
if (!Number.isInteger(probePeriodMs) || probePeriodMs < 100)
  fail(`--probe-period-ms must be an integer >= 100, got "${probeText}"`);
const kubeconfig = values.kubeconfig ?? process.env['KUBECONFIG'];

const width = 9;
const prefix = (name: string): string => `[${name}]`.padEnd(width + 2);
const stack = await startStack({
  ...(kubeconfig ? { kubeconfig } : {}),
  port,
  probePeriodMs,
  split: values.split ?? false,
  onLine: (name, line) =>
    console.log(name === 'kube-sim' || line.includes(`[${name}]`) ? line : `${prefix(name)} ${line}`),
}).catch((e: unknown) => {
  console.error(`fleetgraph: failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\nfleetgraph: ${signal}, stopping every process`);
  void stack.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
// `npm start` runs us under `sh -c`, which does not pass SIGTERM on: when our parent dies, stop everything too
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown('parent exited');
}, 1000).unref();

const explorer = `http://localhost:${new URL(stack.gatewayUrl).port}/graphql`;
// a token for each demo user (kube-sim's users.json); with --kubeconfig, one for a user named "admin"
const users = stack.users.length > 0 ? stack.users : [{ name: 'admin', groups: [] }];
const tokens = await Promise.all(users.map(async (u) => ({ ...u, token: await stack.token(u.name) })));
const first = tokens[0]?.token ?? '';
console.log(`
fleetgraph ready
  explorer (GraphiQL)  ${explorer}
  GraphQL over HTTP    POST ${explorer}
  subscriptions        ws://localhost:${new URL(stack.gatewayUrl).port}/graphql  (graphql-transport-ws)
  subgraphs            ${Object.entries(stack.subgraphUrls)
    .map(([n, u]) => `${n} ${u}`)
    .join(', ')}
  host kubeconfig      ${stack.hostKubeconfig}

  access tokens (1 hour; more with: npm run token -- --user <name>):
${tokens.map((t) => `    ${t.name.padEnd(16)} ${t.groups.length ? `[${t.groups.join(', ')}]` : ''}\n      ${t.token}`).join('\n')}

  a first query (as ${tokens[0]?.name ?? 'admin'}):
    curl -s ${explorer} -H 'content-type: application/json' \\
      -H "authorization: Bearer ${first}" \\
      -d '{"query":"{ clusters { nodes { name role kubernetesVersion status { phase } podCount } } }"}'

  a first subscription (paste into the explorer; first put {"Authorization": "Bearer <token>"} in its Headers tab):
    subscription { clusterChanged { type name cluster { status { phase reason lastProbeTime } podCount } } }

Ctrl-C stops everything.`);
