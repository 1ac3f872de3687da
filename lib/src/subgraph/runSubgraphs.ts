import { createFleetAccess, type FleetAccess } from '../auth/index.ts';
import { ConfigError } from '../config/index.ts';
import { createLogger, type Logger } from '../telemetry/index.ts';
import type { BaseSubgraphConfig } from './baseConfig.ts';
import type { DomainSubgraph } from './createDomainSubgraph.ts';
import { drainOnSignal } from './runMain.ts';

/**
 * How a process runs subgraphs: one (a subgraph's own main.ts, as a deployment runs it) or several sharing one
 * fleet (the embedded default of `npm start`). Each subgraph exports a SubgraphLauncher from its subgraph.ts.
 */
export interface SubgraphLauncher<Cfg extends BaseSubgraphConfig = BaseSubgraphConfig> {
  /** the registered name (schema/subgraphs.json) */
  name: string;
  /** reads and validates every environment variable the subgraph uses (PORT among them) */
  loadConfig(env: NodeJS.ProcessEnv): Cfg;
  /** builds the subgraph (not started) on a fleet that may be shared with other subgraphs of the process */
  create(config: Cfg, deps: { fleet: FleetAccess; log: Logger }): DomainSubgraph;
}

/** a launcher, typed (the config type flows from loadConfig to create) */
export function defineSubgraph<Cfg extends BaseSubgraphConfig>(
  launcher: SubgraphLauncher<Cfg>,
): SubgraphLauncher {
  return launcher as unknown as SubgraphLauncher;
}

export interface RunSubgraphsOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * each subgraph's port, by name (0 picks a free one); a subgraph not named here reads PORT
   * @default {}
   */
  ports?: Record<string, number>;
}

/**
 * The body of a subgraph process: load and validate every launcher's config (exit 2 naming the bad variable),
 * build one fleet access from the first one's KUBECONFIG, build and start every subgraph on it, and drain them all
 * on SIGTERM or SIGINT (exit 0), or exit 1 if one cannot start. Logs `ready` with each subgraph's URL.
 */
export function runSubgraphs(
  launchers: readonly SubgraphLauncher[],
  options: RunSubgraphsOptions = {},
): void {
  const env = options.env ?? process.env;
  const ports = options.ports ?? {};
  const configs: BaseSubgraphConfig[] = [];
  try {
    for (const l of launchers) {
      const port = ports[l.name];
      configs.push(l.loadConfig(port === undefined ? env : { ...env, PORT: String(port) }));
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${launchers.map((l) => l.name).join(', ')}: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const first = configs[0];
  if (!first) throw new Error('runSubgraphs: no subgraph to run');
  const root = createLogger({
    level: first.logLevel,
    json: first.logJson,
    attrs: { service: launchers.length === 1 ? (launchers[0]?.name ?? '') : 'subgraphs' },
  });
  let subgraphs: DomainSubgraph[];
  try {
    const fleet = createFleetAccess(first.kube, root);
    subgraphs = launchers.map((l, i) =>
      l.create(configs[i] as BaseSubgraphConfig, {
        fleet,
        log: launchers.length === 1 ? root : root.child({ subgraph: l.name }),
      }),
    );
  } catch (e) {
    root.error('failed to start', { error: e });
    process.exit(1);
  }
  drainOnSignal(root, () => Promise.all(subgraphs.map((s) => s.close())), env['FLEETGRAPH_PARENT_PID']);
  for (const s of subgraphs) {
    s.start().then(
      () => root.info('ready', { subgraph: s.name, url: s.url }),
      (e: unknown) => {
        root.error('failed to start', { subgraph: s.name, error: e });
        process.exit(1);
      },
    );
  }
}
