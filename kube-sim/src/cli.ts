import { parseArgs } from 'node:util';

import { createKubeSim } from './createKubeSim.ts';
import { FleetSpecError, type FleetSpec, loadFleetSpec } from './fleet.ts';
import { parseScaleArg, scaleFleet } from './fleets/scale.ts';
import { describeUser } from './fleets/users.ts';

/** npm run sim -- [--fleet demo|scale:N,M,K[,seed]|<fleet spec file>] [--out <dir>] [--host <addr>] */

const usage =
  'usage: npm run sim -- [--fleet demo|scale:<clusters>,<nodes>,<pods per node>[,<seed>]|<fleet spec file>]' +
  ' [--out <dir>] [--host 127.0.0.1]';

async function toFleet(arg: string): Promise<'demo' | FleetSpec> {
  if (arg === 'demo') return 'demo';
  if (arg.startsWith('scale:')) {
    const o = parseScaleArg(arg);
    if (!o)
      throw new FleetSpecError(`--fleet ${arg}: expected scale:<clusters>,<nodes>,<pods per node>[,<seed>]`);
    try {
      return scaleFleet(o);
    } catch (e) {
      throw new FleetSpecError(`--fleet ${arg}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return loadFleetSpec(arg);
}

async function main(): Promise<void> {
  let values: {
    fleet?: string | undefined;
    out?: string | undefined;
    host?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      options: {
        fleet: { type: 'string' },
        out: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const outDir = values.out ?? '.fleetgraph';
  const fleet = await toFleet(values.fleet ?? 'demo');
  const sim = await createKubeSim({ fleet, outDir, ...(values.host ? { host: values.host } : {}) });
  for (const c of sim.clusters.values()) {
    console.log(`cluster ${c.name.padEnd(10)} ${c.url}  kubeconfig ${sim.kubeconfigPaths[c.name] ?? ''}`);
  }
  for (const u of sim.users) console.log(describeUser(u));
  if (sim.usersFile) {
    console.log(`users   ${sim.usersFile}  (and <cluster>.<user>.kubeconfig for each user)`);
  }
  const firstPath = Object.values(sim.kubeconfigPaths)[0] ?? '';
  console.log(`try: KUBECONFIG=${firstPath} kubectl get nodes`);
  console.log('kube-sim ready');
  const shutdown = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // started by a supervisor (fleetgraph's npm start) that may die without signalling: stop with it
  const parent = Number(process.env['FLEETGRAPH_PARENT_PID'] ?? 0);
  if (parent > 0) {
    setInterval(() => {
      if (process.ppid !== parent) shutdown();
    }, 1000).unref();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof FleetSpecError ? `kube-sim: ${e.message}` : e);
  process.exit(1);
});
