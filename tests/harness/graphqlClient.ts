import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client for tests, and a subscription whose events can be awaited one by one. */

/** a graphql-ws client sending `token` as connectionParams.authorization */
export function wsClient(url: string, token: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${token}` },
  });
}

export interface TestSubscription {
  /** the next event not yet taken; rejects after timeoutMs or if the subscription errored or completed first */
  next(timeoutMs?: number): Promise<ExecutionResult>;
  /** takes events until one matches; rejects after timeoutMs */
  waitFor(test: (e: ExecutionResult) => boolean, timeoutMs?: number): Promise<ExecutionResult>;
  /** every event received so far */
  readonly events: ExecutionResult[];
  readonly completed: boolean;
  readonly error: unknown;
  /** unsubscribe (sends `complete` upstream) */
  close(): void;
}

export function subscribe(
  client: Client,
  payload: { query: string; variables?: Record<string, unknown> },
): TestSubscription {
  const events: ExecutionResult[] = [];
  let taken = 0;
  let completed = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
  };
  const unsubscribe = client.subscribe(payload, {
    next: (e) => {
      events.push(e as ExecutionResult);
      poke();
    },
    error: (e) => {
      error = e;
      poke();
    },
    complete: () => {
      completed = true;
      poke();
    },
  });
  const next = async (timeoutMs = 15_000): Promise<ExecutionResult> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = events[taken];
      if (e) {
        taken++;
        return e;
      }
      if (error !== undefined) throw new Error(`subscription failed: ${JSON.stringify(error)}`);
      if (completed) throw new Error('subscription completed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms (after ${events.length} events)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  return {
    next,
    async waitFor(test, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = await next(Math.max(1, deadline - Date.now()));
        if (test(e)) return e;
      }
    },
    events,
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
    close: unsubscribe,
  };
}

/** POSTs a GraphQL operation over HTTP, with `token` as the bearer token */
export async function query(
  url: string,
  q: string,
  variables: Record<string, unknown> | undefined,
  token: string,
): Promise<ExecutionResult & { status: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: q, ...(variables ? { variables } : {}) }),
  });
  return { status: res.status, ...((await res.json()) as ExecutionResult) };
}

/** one Prometheus sample's value from a /metrics text (the first series of that name) */
export async function metric(baseUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

/** polls until `fn` returns true */
export async function eventually(
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
