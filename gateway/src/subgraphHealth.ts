import type { FleetDataSource } from './dataSource.ts';

/**
 * Whether every subgraph answers, for the gateway's /readyz: `{ __typename }` to each, at most once per second
 * (concurrent /readyz calls share one round), each with a 2 s timeout.
 */
export class SubgraphHealth {
  private last: { at: number; result: Record<string, string> } | undefined;
  private running: Promise<Record<string, string>> | undefined;

  constructor(
    private readonly services: () => ReadonlyMap<string, FleetDataSource>,
    /** extra headers of each probe (the gateway's signed identity) */
    private readonly headers: () => Record<string, string> = () => ({}),
  ) {}

  check(): Promise<Record<string, string>> {
    if (this.last && Date.now() - this.last.at < 1000) return Promise.resolve(this.last.result);
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<Record<string, string>> {
    const entries = await Promise.all(
      [...this.services()].map(async ([name, ds]): Promise<[string, string]> => {
        try {
          const res = await fetch(ds.url, {
            method: 'POST',
            headers: { ...this.headers(), 'content-type': 'application/json' },
            body: '{"query":"{ __typename }"}',
            signal: AbortSignal.timeout(2000),
          });
          return [name, res.ok ? 'ok' : `HTTP ${res.status}`];
        } catch (e) {
          return [
            name,
            e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e),
          ];
        }
      }),
    );
    const result = Object.fromEntries(entries);
    this.last = { at: Date.now(), result };
    return result;
  }
}
