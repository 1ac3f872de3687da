import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';

import { Supergraph } from '@apollo/federation-internals';
import type { SupergraphSdlHook } from '@apollo/gateway';

import type { Logger } from '@fleetgraph/lib/telemetry';

/** Where the gateway's supergraph comes from. */
export type SupergraphSource =
  | { kind: 'file'; path: string; /** poll period @default 1000 */ pollMs?: number }
  | { kind: 'url'; url: string; /** poll period @default 10000 */ pollMs?: number }
  | { kind: 'sdl'; sdl: string };

/** refuses an SDL that is not a valid supergraph, naming the problem */
export function validateSupergraph(sdl: string): void {
  Supergraph.build(sdl);
}

async function load(source: SupergraphSource): Promise<string> {
  switch (source.kind) {
    case 'file':
      return readFile(source.path, 'utf8');
    case 'url': {
      const res = await fetch(source.url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET ${source.url}: HTTP ${res.status}`);
      return res.text();
    }
    case 'sdl':
      return source.sdl;
    default: {
      const never: never = source;
      throw new Error(`unknown supergraph source ${JSON.stringify(never)}`);
    }
  }
}

export function describeSource(source: SupergraphSource): string {
  return source.kind === 'file' ? source.path : source.kind === 'url' ? source.url : 'inline SDL';
}

/**
 * The `supergraphSdl` hook of ApolloGateway: loads the supergraph, then watches it (a file by polling its mtime,
 * a URL by polling) and hands each valid new version to the gateway, which swaps schemas between requests, so
 * no HTTP traffic is dropped. An invalid new version is logged and ignored; the last good one stays.
 */
export function supergraphHook(source: SupergraphSource, log: Logger): SupergraphSdlHook {
  return async ({ update }) => {
    let current = await load(source);
    validateSupergraph(current);
    const check = async (): Promise<void> => {
      try {
        const next = await load(source);
        if (next === current) return;
        validateSupergraph(next);
        current = next;
        log.info('supergraph changed, reloading', { source: describeSource(source) });
        update(next);
      } catch (e) {
        log.error('new supergraph rejected; keeping the current one', {
          source: describeSource(source),
          error: e,
        });
      }
    };
    let cleanup = (): Promise<void> => Promise.resolve();
    if (source.kind === 'file') {
      const listener = (): void => void check();
      watchFile(source.path, { interval: source.pollMs ?? 1000 }, listener);
      cleanup = () => {
        unwatchFile(source.path, listener);
        return Promise.resolve();
      };
    } else if (source.kind === 'url') {
      const timer = setInterval(() => void check(), source.pollMs ?? 10_000);
      timer.unref();
      cleanup = () => {
        clearInterval(timer);
        return Promise.resolve();
      };
    }
    return { supergraphSdl: current, cleanup };
  };
}
