import { ConfigError } from '../config/index.ts';
import { createLogger, type Logger } from '../telemetry/index.ts';
import type { BaseSubgraphConfig } from './baseConfig.ts';

/** A startable, closable service (a subgraph or the gateway) with a URL to report. */
export interface Runnable {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly url: string;
}

/**
 * The body of every service's main.ts: load and validate config (exit 2 naming the bad variable), build the
 * service, start it, and drain it on SIGTERM or SIGINT (exit 0), or exit 1 if it cannot start.
 */
export function runMain<Cfg extends Pick<BaseSubgraphConfig, 'logLevel' | 'logJson'>>(options: {
  service: string;
  loadConfig: () => Cfg;
  create: (config: Cfg, log: Logger) => Runnable;
}): void {
  let config: Cfg;
  try {
    config = options.loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${options.service}: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({
    level: config.logLevel,
    json: config.logJson,
    attrs: { service: options.service },
  });
  let service: Runnable;
  try {
    service = options.create(config, log);
  } catch (e) {
    log.error('failed to start', { error: e });
    process.exit(1);
  }
  drainOnSignal(log, () => service.close(), process.env['FLEETGRAPH_PARENT_PID']);
  service.start().then(
    () => log.info('ready', { url: service.url }),
    (e: unknown) => {
      log.error('failed to start', { error: e });
      process.exit(1);
    },
  );
}

/**
 * Drains (runs `close`, then exits 0, or 1 if it fails) on SIGTERM or SIGINT, and when the supervisor whose pid is
 * `parentPid` (FLEETGRAPH_PARENT_PID, set by npm start) is gone, since it may die without signalling us.
 */
export function drainOnSignal(
  log: Logger,
  close: () => Promise<unknown>,
  parentPid: string | undefined,
): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('signal received, draining', { signal });
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('shutdown failed', { error: e });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const parent = Number(parentPid ?? 0);
  if (parent > 0) {
    setInterval(() => {
      if (process.ppid !== parent) stop('parent exited');
    }, 1000).unref();
  }
}
