import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TOO_MANY_CONNECTIONS } from '../src/auth/wsAuth.ts';
import { type GuardEnv, type Shop, startGuardEnv, startShop } from './guardSupport.ts';
import { tokenFor } from './support.ts';

/** MAX_CONNECTIONS_PER_USER: one user's graphql-ws connections are capped; others' are not; a closed one frees a slot. */

let shop: Shop;
let env: GuardEnv;
beforeAll(async () => {
  shop = await startShop();
  env = await startGuardEnv(shop, { limits: { maxConnectionsPerUser: 2 } });
});
afterAll(async () => {
  await env?.[Symbol.asyncDispose]();
  await shop?.server.close();
});

interface Opened {
  socket: WebSocket;
  /** 'acked', or the close code */
  outcome: Promise<'acked' | number>;
}

/** a raw graphql-transport-ws connection as `user`: resolves with connection_ack, or the close code */
async function connect(user: string): Promise<Opened> {
  const token = await tokenFor(user);
  const socket = new WebSocket(env.gateway.wsUrl, 'graphql-transport-ws');
  const outcome = new Promise<'acked' | number>((resolve) => {
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (m: Buffer) => {
      if ((JSON.parse(m.toString()) as { type: string }).type === 'connection_ack') resolve('acked');
    });
    socket.on('close', (code) => resolve(code));
  });
  return { socket, outcome };
}

async function close(o: Opened): Promise<void> {
  const closed = new Promise((r) => o.socket.once('close', r));
  o.socket.close(1000);
  await closed;
}

describe('connections per user', () => {
  it('closes a user connection over the cap with its own code, and admits it again once one closes', async () => {
    const a1 = await connect('alice');
    const a2 = await connect('alice');
    expect(await a1.outcome).toBe('acked');
    expect(await a2.outcome).toBe('acked');
    const a3 = await connect('alice');
    expect(await a3.outcome).toBe(TOO_MANY_CONNECTIONS);
    expect(TOO_MANY_CONNECTIONS).toBe(4430);

    // another user is not affected
    const b1 = await connect('bob');
    expect(await b1.outcome).toBe('acked');

    await close(a1);
    const a4 = await connect('alice');
    expect(await a4.outcome).toBe('acked');
    for (const o of [a2, a4, b1]) await close(o);
  });
});
