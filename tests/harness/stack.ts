import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readSubgraphRegistry } from '@fleetgraph/lib/registry';

import { type DevUser, mintDevToken, readDevUsers } from '../../gateway/src/auth/devIssuer.ts';

import {
  freePort,
  type ServiceProcess,
  spawnService,
  stopService,
  waitForLine,
  waitForReady,
} from './processes.ts';

/**
 * The whole fleetgraph stack, started in order and each part checked ready: kube-sim's demo fleet (unless a
 * kubeconfig is given), every subgraph of schema/subgraphs.json (in one process by default, or one process each with
 * `split`), then the gateway. Used by `npm start`
 * and by the end-to-end tests. Each start makes a new random JWT secret (written to <outDir>/jwt.secret, mode 0600,
 * for `npm run token`) and a new identity secret shared by the gateway and the subgraphs.
 */

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface StackOptions {
  /** serve this cluster instead of starting kube-sim @default undefined (kube-sim's demo fleet) */
  kubeconfig?: string;
  /** kube-sim's fleet @default 'demo' */
  fleet?: string;
  /** where kube-sim writes kubeconfigs and users.json @default '.fleetgraph' */
  outDir?: string;
  /** the gateway's port; 0 picks a free one @default 4000 */
  port?: number;
  /** the clusters subgraph's probe period @default 10000 */
  probePeriodMs?: number;
  /** how long one probe of the clusters subgraph may take (PROBE_TIMEOUT_MS) @default 3000 */
  probeTimeoutMs?: number;
  /**
   * one process per subgraph (each subgraph's own main.ts, as deployments run them) instead of every subgraph in
   * one process sharing one fleet access (scripts/subgraphs.ts)
   * @default false
   */
  split?: boolean;
  /** every process's LOG_LEVEL @default the LOG_LEVEL of this process, or 'info' */
  logLevel?: string;
  /** every line a process prints, with its name @default ignore */
  onLine?: (name: string, line: string) => void;
  /** how long each process may take to become ready @default 60000 */
  readyTimeoutMs?: number;
}

export interface Stack extends AsyncDisposable {
  gatewayUrl: string;
  gatewayWsUrl: string;
  /** subgraph name → its GraphQL URL */
  subgraphUrls: Record<string, string>;
  /** kube-sim's cluster kubeconfig paths by name (empty with an external kubeconfig) */
  kubeconfigs: Record<string, string>;
  /** the host cluster's kubeconfig path */
  hostKubeconfig: string;
  processes: Map<string, ServiceProcess>;
  /** the fleet users of kube-sim's users.json (none with an external kubeconfig) */
  users: DevUser[];
  /** an access token the gateway accepts for `user`, with the user's groups from users.json */
  token(user: string, options?: { groups?: string[]; ttlSeconds?: number }): Promise<string>;
  /** stops every process, the gateway first */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const onLine = options.onLine ?? (() => {});
  const timeout = options.readyTimeoutMs ?? 60_000;
  const processes = new Map<string, ServiceProcess>();
  const started: ServiceProcess[] = [];
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FLEETGRAPH_PARENT_PID: String(process.pid),
    LOG_LEVEL: options.logLevel ?? process.env['LOG_LEVEL'] ?? 'info',
  };
  const stop = async (): Promise<void> => {
    for (const p of [...started].reverse()) await stopService(p);
  };
  const outDir = resolve(repoRoot, options.outDir ?? '.fleetgraph');
  const jwtSecret = randomBytes(32).toString('base64url');
  const identitySecret = randomBytes(32).toString('base64url');
  const jwtSecretFile = join(outDir, 'jwt.secret');
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(jwtSecretFile, `${jwtSecret}\n`, { mode: 0o600 });
    let hostKubeconfig = options.kubeconfig ?? '';
    const kubeconfigs: Record<string, string> = {};
    if (!options.kubeconfig) {
      const sim = spawnService({
        name: 'kube-sim',
        entry: 'kube-sim/src/cli.ts',
        args: ['--fleet', options.fleet ?? 'demo', '--out', outDir],
        cwd: repoRoot,
        env: baseEnv,
        onLine,
      });
      processes.set('kube-sim', sim);
      started.push(sim);
      await waitForLine(sim, (l) => l === 'kube-sim ready', timeout);
      for (const line of sim.lines) {
        const m = /^cluster\s+(\S+)\s+(\S+)\s+kubeconfig\s+(\S+)/.exec(line);
        if (m?.[1] && m[3]) kubeconfigs[m[1]] = resolve(repoRoot, m[3]);
      }
      hostKubeconfig = kubeconfigs['host'] ?? Object.values(kubeconfigs)[0] ?? '';
      if (!hostKubeconfig) throw new Error('kube-sim printed no kubeconfig');
    }
    const subgraphUrls: Record<string, string> = {};
    const subgraphEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      KUBECONFIG: hostKubeconfig,
      FLEETGRAPH_IDENTITY_SECRET: identitySecret,
      FLEETGRAPH_IDENTITY_SECRET_FILE: '',
      ...(options.probePeriodMs ? { PROBE_PERIOD_MS: String(options.probePeriodMs) } : {}),
      ...(options.probeTimeoutMs ? { PROBE_TIMEOUT_MS: String(options.probeTimeoutMs) } : {}),
    };
    const registry = readSubgraphRegistry();
    const ports = Object.fromEntries(
      await Promise.all(registry.map(async (e) => [e.name, await freePort()] as const)),
    );
    const groups = options.split
      ? registry.map((e) => ({ name: e.name, entry: join(e.package, 'src', 'main.ts'), members: [e.name] }))
      : [{ name: 'subgraphs', entry: 'scripts/subgraphs.ts', members: registry.map((e) => e.name) }];
    await Promise.all(
      groups.map(async (group) => {
        const p = spawnService({
          name: group.name,
          entry: group.entry,
          cwd: repoRoot,
          env: {
            ...subgraphEnv,
            ...(options.split
              ? { PORT: String(ports[group.name]) }
              : { SUBGRAPH_PORTS: group.members.map((n) => `${n}=${ports[n]}`).join(',') }),
          },
          onLine,
        });
        processes.set(group.name, p);
        started.push(p);
        for (const name of group.members) {
          await waitForReady(p, `http://127.0.0.1:${ports[name]}/readyz`, timeout);
          subgraphUrls[name] = `http://127.0.0.1:${ports[name]}/graphql`;
        }
      }),
    );
    const requested = options.port ?? 4000;
    const port = requested === 0 ? await freePort() : requested;
    const gateway = spawnService({
      name: 'gateway',
      entry: 'gateway/src/main.ts',
      cwd: repoRoot,
      env: {
        ...baseEnv,
        PORT: String(port),
        SUPERGRAPH: join(repoRoot, 'schema', 'supergraph.graphql'),
        SUBGRAPH_URLS: Object.entries(subgraphUrls)
          .map(([n, u]) => `${n}=${u}`)
          .join(','),
        AUTH_JWT_SECRET: '',
        AUTH_JWT_SECRET_FILE: jwtSecretFile,
        FLEETGRAPH_IDENTITY_SECRET: identitySecret,
        FLEETGRAPH_IDENTITY_SECRET_FILE: '',
      },
      onLine,
    });
    processes.set('gateway', gateway);
    started.push(gateway);
    await waitForReady(gateway, `http://127.0.0.1:${port}/readyz`, timeout);
    const users = options.kubeconfig ? [] : readDevUsers(join(outDir, 'users.json'));
    const stack: Stack = {
      gatewayUrl: `http://127.0.0.1:${port}/graphql`,
      gatewayWsUrl: `ws://127.0.0.1:${port}/graphql`,
      subgraphUrls,
      kubeconfigs,
      hostKubeconfig,
      processes,
      users,
      token: (user, opts = {}) =>
        mintDevToken({
          secret: jwtSecret,
          user,
          groups: opts.groups ?? users.find((u) => u.name === user)?.groups ?? [],
          ttlSeconds: opts.ttlSeconds ?? 3600,
        }),
      stop,
      [Symbol.asyncDispose]: stop,
    };
    return stack;
  } catch (e) {
    await stop();
    throw e;
  }
}
