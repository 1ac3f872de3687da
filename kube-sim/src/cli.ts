import { parseArgs } from 'node:util';

import { createKubeSim } from './createKubeSim.ts';
import { FleetSpecError, loadFleetSpec } from './fleet.ts';

/** npm run sim -- [--fleet demo|<fleet spec file>] [--out <dir>] */

const usage = 'usage: npm run sim -- [--fleet demo|<fleet spec file>] [--out <dir>] [--host 127.0.0.1]';

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
  const fleetArg = values.fleet ?? 'demo';
  const outDir = values.out ?? '.fleetgraph';
  const fleet = fleetArg === 'demo' ? 'demo' : await loadFleetSpec(fleetArg);
  const sim = await createKubeSim({ fleet, outDir, ...(values.host ? { host: values.host } : {}) });
  for (const c of sim.clusters.values()) {
    console.log(`cluster ${c.name.padEnd(10)} ${c.url}  kubeconfig ${sim.kubeconfigPaths[c.name] ?? ''}`);
  }
  const firstPath = Object.values(sim.kubeconfigPaths)[0] ?? '';
  console.log(`try: KUBECONFIG=${firstPath} kubectl get nodes`);
  console.log('kube-sim ready');
  const shutdown = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(e instanceof FleetSpecError ? `kube-sim: ${e.message}` : e);
  process.exit(1);
});
