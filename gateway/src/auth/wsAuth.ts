import type { IncomingMessage } from 'node:http';

import { CloseCode } from 'graphql-ws';
import { type ExecutionResult, GraphQLError } from 'graphql';

import { stripIdentityHeaders } from '@fleetgraph/lib/identity';
import type { Logger } from '@fleetgraph/lib/telemetry';

import { bearerToken, type TokenVerifier, unauthenticated, type VerifiedToken } from './verify.ts';

/**
 * Authentication of graphql-ws connections: the token comes in `connectionParams.authorization` (any case, so the
 * explorer's `Authorization` works) as "Bearer <JWT>" and is checked in onConnect. Every failure of the token
 * (missing, malformed, bad signature, expired, a refresh token...) closes the socket with 4401 Unauthorized: the
 * remedy is always a new access token, and graphql-ws clients do not retry 4401 (they do retry 4403, which stays
 * reserved for authorization). A connection lives only as long as its token: at `exp`, every subscription on it
 * gets one last result with an UNAUTHENTICATED error ("the token expired") and completes, then the socket closes
 * with 4401.
 */

/** the part of graphql-ws's server Context (with use/ws's extra) this module uses */
export interface WsConnectionContext {
  readonly connectionParams?: Readonly<Record<string, unknown>> | undefined;
  readonly subscriptions: Record<string, unknown>;
  readonly extra: {
    readonly socket: { close(code: number, reason: string): void };
    readonly request: IncomingMessage;
  };
}

export interface WsAuthOptions {
  verifier: TokenVerifier;
  log: Logger;
  /** the clock the expiry timers are set by @default Date.now */
  now?: () => number;
  /** how long to wait for subscriptions to deliver their last result before closing @default 2000 */
  drainMs?: number;
  /** connections one user may hold open at once; one more is closed with TOO_MANY_CONNECTIONS @default unlimited */
  maxConnectionsPerUser?: number;
}

/** the close code of a connection over its user's MAX_CONNECTIONS_PER_USER (graphql-ws clients retry it, with backoff) */
export const TOO_MANY_CONNECTIONS = 4430;

interface Connection {
  token: VerifiedToken;
  expiry: AbortController;
  timer: NodeJS.Timeout | undefined;
}

/** setTimeout takes at most 2^31-1 ms (about 24.8 days): a later expiry is re-armed */
const MAX_TIMEOUT = 2 ** 31 - 1;

export class WsAuth {
  private readonly connections = new WeakMap<object, Connection>();
  /** operation context value → its connection */
  private readonly byContext = new WeakMap<object, Connection>();
  /** open connections per user name */
  private readonly perUser = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: WsAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** graphql-ws onConnect: false (after closing with 4401) when the token is missing or invalid */
  async onConnect(ctx: WsConnectionContext): Promise<boolean> {
    stripIdentityHeaders(ctx.extra.request.headers);
    const params = ctx.connectionParams ?? {};
    const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
    const token = bearerToken(key === undefined ? undefined : params[key]);
    let verified: VerifiedToken;
    try {
      if (token === undefined)
        throw unauthenticated(
          'authentication required: send connectionParams.authorization "Bearer <token>"',
        );
      verified = await this.options.verifier.verify(token);
    } catch (e) {
      const reason = e instanceof GraphQLError ? e.message : 'the token could not be verified';
      this.options.log.debug('websocket refused', { reason });
      // close with 4401 first; graphql-ws's own close(4403) after `return false` is then a no-op
      ctx.extra.socket.close(CloseCode.Unauthorized, truncate(`Unauthorized: ${reason}`));
      return false;
    }
    const name = verified.user.name;
    const open = this.perUser.get(name) ?? 0;
    const max = this.options.maxConnectionsPerUser;
    if (max !== undefined && open >= max) {
      this.options.log.warn('websocket refused: too many connections for the user', { user: name, open });
      ctx.extra.socket.close(TOO_MANY_CONNECTIONS, `Too many connections: at most ${max} per user`);
      return false;
    }
    this.perUser.set(name, open + 1);
    const connection: Connection = { token: verified, expiry: new AbortController(), timer: undefined };
    this.connections.set(ctx, connection);
    if (verified.expiresAt) this.arm(ctx, connection, verified.expiresAt.getTime());
    return true;
  }

  /** the verified token of a connection (after onConnect accepted it) */
  tokenOf(ctx: WsConnectionContext): VerifiedToken | undefined {
    return this.connections.get(ctx)?.token;
  }

  /** ties an operation's context value to its connection, so subscriptions can end with the token */
  bind<T extends object>(ctx: WsConnectionContext, contextValue: T): T {
    const c = this.connections.get(ctx);
    if (c) this.byContext.set(contextValue, c);
    return contextValue;
  }

  /** graphql-ws onClose/onDisconnect */
  onClose(ctx: WsConnectionContext): void {
    const c = this.connections.get(ctx);
    if (!c) return;
    if (c.timer) clearTimeout(c.timer);
    this.connections.delete(ctx);
    const name = c.token.user.name;
    const left = (this.perUser.get(name) ?? 1) - 1;
    if (left > 0) this.perUser.set(name, left);
    else this.perUser.delete(name);
  }

  /**
   * a subscription result that ends, with an UNAUTHENTICATED error, when the token of its connection expires
   */
  guard(
    contextValue: unknown,
    result: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
  ): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
    const c = contextValue && typeof contextValue === 'object' ? this.byContext.get(contextValue) : undefined;
    if (!c || !(Symbol.asyncIterator in result)) return result;
    return endOnAbort(result, c.expiry.signal, () => ({
      errors: [unauthenticated('the token expired')],
    }));
  }

  private arm(ctx: WsConnectionContext, c: Connection, at: number): void {
    const delay = at - this.now();
    if (delay > MAX_TIMEOUT) {
      c.timer = setTimeout(() => this.arm(ctx, c, at), MAX_TIMEOUT);
      return;
    }
    c.timer = setTimeout(() => void this.expire(ctx, c), Math.max(0, delay));
  }

  private async expire(ctx: WsConnectionContext, c: Connection): Promise<void> {
    this.options.log.debug('token expired; closing the websocket', { user: c.token.user.name });
    c.expiry.abort();
    // let every subscription deliver its last result and `complete` before the socket goes
    const deadline = this.now() + (this.options.drainMs ?? 2000);
    while (Object.keys(ctx.subscriptions).length > 0 && this.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: the token expired');
  }
}

/** WebSocket close reasons are limited to 123 bytes */
function truncate(reason: string): string {
  const b = Buffer.from(reason);
  return b.length <= 123
    ? reason
    : `${b
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}

/** `source`, until `signal` aborts: then one `final()` result, and the end (the source is returned) */
export function endOnAbort<T>(
  source: AsyncIterableIterator<T>,
  signal: AbortSignal,
  final: () => T,
): AsyncIterableIterator<T> {
  let done = false;
  const aborted = new Promise<typeof signal>((resolve) => {
    if (signal.aborted) resolve(signal);
    else signal.addEventListener('abort', () => resolve(signal), { once: true });
  });
  const finish = (): IteratorResult<T> => {
    done = true;
    void source.return?.();
    return { done: false, value: final() };
  };
  const it: AsyncIterableIterator<T> = {
    async next() {
      if (done) return { done: true, value: undefined };
      if (signal.aborted) return finish();
      const r = await Promise.race([source.next(), aborted]);
      if (r === signal) return done ? { done: true, value: undefined } : finish();
      const result = r as IteratorResult<T>;
      if (result.done) done = true;
      return result;
    },
    async return() {
      done = true;
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(e: unknown) {
      done = true;
      await source.return?.();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
