import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { type Client, createClient } from 'graphql-ws';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { ConfigError } from '@fleetgraph/lib/config';

import { type AuthConfig, loadAuthConfig } from '../src/auth/config.ts';
import { mintDevToken } from '../src/auth/devIssuer.ts';
import { createTokenVerifier } from '../src/auth/verify.ts';
import {
  disposeLeftovers,
  eventually,
  IDENTITY_SECRET,
  JWT_SECRET,
  startEnv,
  subscribe,
  TEST_AUTH,
  type TestEnv,
  tokenFor,
  wsClient,
} from './support.ts';

/**
 * Authentication at the gateway: bearer tokens over HTTP and graphql-ws (HS256 with the shared secret, RS256/ES256
 * against a JWKS), every token attack refused with 401 / close 4401, connections ending with their token, and the
 * verified identity signed to the subgraphs.
 */

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let hs: TestEnv;
let jw: TestEnv;
let dir: string;
let rsa: KeyPair;
let ec: KeyPair;
let otherRsa: KeyPair;

const ISSUER = 'kubesphere';
const AUDIENCE = 'fleetgraph';
const WHOAMI = '{ whoami { ok name groups reason } }';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetgraph-auth-'));
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  otherRsa = await generateKeyPair('RS256', { extractable: true });
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  const jwksPath = join(dir, 'jwks.json');
  await writeFile(jwksPath, JSON.stringify(jwks));
  const jwksAuth: AuthConfig = {
    jwks: { kind: 'file', path: jwksPath },
    issuer: ISSUER,
    audience: AUDIENCE,
    clockToleranceS: 0,
    identitySecret: IDENTITY_SECRET,
    publicMetrics: true,
  };
  hs = await startEnv();
  jw = await startEnv({ auth: jwksAuth });
});

afterAll(async () => {
  await disposeLeftovers();
  await rm(dir, { recursive: true, force: true });
});

const now = (): number => Math.floor(Date.now() / 1000);

function claims(extra: JWTPayload = {}): JWTPayload {
  return { username: 'bob', groups: ['ops'], token_type: 'access_token', ...extra };
}

/** a token for the JWKS gateway: RS256 with rsa-1 unless told otherwise */
async function asymmetric(
  options: {
    payload?: JWTPayload;
    alg?: 'RS256' | 'ES256';
    kid?: string;
    key?: KeyPair['privateKey'];
    iss?: string;
    aud?: string;
    exp?: number;
    nbf?: number;
  } = {},
): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const jwt = new SignJWT(options.payload ?? claims())
    .setProtectedHeader({ alg, kid: options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey));
}

interface Answer {
  status: number;
  challenge: string | null;
  body: {
    data?: { whoami?: { ok: boolean; name?: string; groups?: string[]; reason?: string } } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

async function post(
  env: TestEnv,
  token: string | undefined,
  headers: Record<string, string> = {},
  query = WHOAMI,
): Promise<Answer> {
  const res = await fetch(env.gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    body: (await res.json()) as Answer['body'],
  };
}

function expectRefused(a: Answer, message: RegExp): void {
  expect(a.status).toBe(401);
  expect(a.challenge).toMatch(/^Bearer /);
  expect(a.body.data).toBeUndefined();
  expect(a.body.errors).toHaveLength(1);
  expect(a.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(a.body.errors?.[0]?.message).toMatch(message);
}

describe('HTTP: every token attack is refused with 401 UNAUTHENTICATED', () => {
  const attacks: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no token', () => Promise.resolve(undefined), /authentication required/],
    ['a malformed token', () => Promise.resolve('not-a-jwt'), /malformed/],
    [
      'alg none',
      () =>
        Promise.resolve(
          new UnsecuredJWT(claims())
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setExpirationTime('10m')
            .encode(),
        ),
      /algorithm "none" is not accepted/,
    ],
    [
      'HS256 signed with the RS256 public key (algorithm confusion)',
      async () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
      /algorithm "HS256" is not accepted/,
    ],
    ['an unknown kid', () => asymmetric({ kid: 'who', key: otherRsa.privateKey }), /no key of the JWKS/],
    ['a wrong issuer', () => asymmetric({ iss: 'https://evil.example' }), /unexpected issuer/],
    ['a wrong audience', () => asymmetric({ aud: 'another-api' }), /another audience/],
    ['an expired token', () => asymmetric({ exp: now() - 60 }), /the token expired/],
    ['a token not valid yet (nbf)', () => asymmetric({ nbf: now() + 600 }), /not valid yet/],
    ['a bad signature', () => asymmetric({ key: otherRsa.privateKey }), /signature is invalid/],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await asymmetric()).split('.');
        const forged = Buffer.from(JSON.stringify({ ...claims({ username: 'admin' }), exp: now() + 600 }));
        return `${h}.${forged.toString('base64url')}.${s}`;
      },
      /signature is invalid/,
    ],
    [
      'a refresh token',
      () => asymmetric({ payload: claims({ token_type: 'refresh_token' }) }),
      /"refresh_token" cannot be used/,
    ],
    ['an id token', () => asymmetric({ payload: claims({ token_type: 'id_token' }) }), /"id_token"/],
  ];

  it.each(attacks)('%s (JWKS gateway)', async (_name, token, message) => {
    expectRefused(await post(jw, await token()), message);
  });

  it.each([
    ['no token', () => Promise.resolve(undefined), /authentication required/],
    [
      'a token signed with another secret',
      () => mintDevToken({ secret: 'not-the-secret-0123456789abcdef', user: 'alice' }),
      /signature is invalid/,
    ],
    [
      'an expired token',
      () => mintDevToken({ secret: JWT_SECRET, user: 'alice', now: new Date(Date.now() - 7200_000) }),
      /the token expired/,
    ],
    [
      'a refresh token',
      () => mintDevToken({ secret: JWT_SECRET, user: 'alice', tokenType: 'refresh_token' }),
      /"refresh_token"/,
    ],
    ['an RS256 token (no JWKS configured)', () => asymmetric(), /algorithm "RS256" is not accepted/],
  ] as [string, () => Promise<string | undefined>, RegExp][])(
    '%s (HS256 gateway)',
    async (_name, token, message) => {
      expectRefused(await post(hs, await token()), message);
    },
  );

  it('refuses a query over GET without a token too, and a non-Bearer Authorization', async () => {
    const res = await fetch(`${hs.gateway.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(401);
    expectRefused(await post(hs, undefined, { authorization: `Basic ${btoa('alice:pw')}` }), /required/);
  });

  it('serves /healthz, /readyz and /metrics without a token', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await hs.get(path)).status).toBe(200);
  });

  it('asks for a token on /metrics with AUTH_PUBLIC_METRICS=false', async () => {
    const env = await startEnv({ auth: { ...TEST_AUTH, publicMetrics: false } });
    try {
      expect((await env.get('/healthz')).status).toBe(200);
      const refused = await fetch(new URL('/metrics', env.gateway.url));
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const res = await fetch(new URL('/metrics', env.gateway.url), {
        headers: { authorization: `Bearer ${env.token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/fleetgraph_gateway_operations_total/);
    } finally {
      await env[Symbol.asyncDispose]();
    }
  });
});

describe('HTTP: valid tokens', () => {
  it('accepts HS256 (the dev issuer), taking the username and adding system:authenticated', async () => {
    const a = await post(hs, hs.token);
    expect(a.status).toBe(200);
    expect(a.body.data?.whoami).toEqual({
      ok: true,
      name: 'alice',
      groups: ['developers', 'system:authenticated'],
      reason: null,
    });
  });

  it('falls back to sub when there is no username claim', async () => {
    const token = await new SignJWT({ groups: ['g1'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await post(hs, token)).body.data?.whoami).toMatchObject({
      name: 'carol',
      groups: ['g1', 'system:authenticated'],
    });
  });

  it.each(['RS256', 'ES256'] as const)('accepts %s against the JWKS', async (alg) => {
    const a = await post(jw, await asymmetric({ alg }));
    expect(a.status).toBe(200);
    expect(a.body.data?.whoami).toMatchObject({
      ok: true,
      name: 'bob',
      groups: ['ops', 'system:authenticated'],
    });
  });

  it('static_token and no token_type are accepted too', async () => {
    for (const payload of [claims({ token_type: 'static_token' }), { username: 'bob' }])
      expect((await post(jw, await asymmetric({ payload }))).status).toBe(200);
  });

  it('strips client-supplied identity headers: the subgraph sees only the verified, signed user', async () => {
    const a = await post(hs, hs.token, {
      'x-fleetgraph-user': 'admin',
      'x-fleetgraph-groups': 'system:masters',
      'x-fleetgraph-timestamp': String(Date.now()),
      'x-fleetgraph-signature': 'v1=forged',
    });
    expect(a.body.data?.whoami).toMatchObject({
      ok: true,
      name: 'alice',
      groups: ['developers', 'system:authenticated'],
    });
  });
});

/** a non-lazy graphql-ws client recording close codes */
function recordingClient(
  url: string,
  connectionParams?: Record<string, unknown>,
): {
  client: Client;
  closes: number[];
} {
  const closes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    ...(connectionParams ? { connectionParams } : {}),
    on: { closed: (e) => void closes.push((e as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  return { client, closes };
}

describe('WebSocket', () => {
  it.each([
    ['no token', undefined],
    ['a bad token', { authorization: 'Bearer not-a-jwt' }],
    ['an expired token', 'expired'],
  ] as const)('closes a connection with %s with 4401', async (_name, params) => {
    const connectionParams =
      params === 'expired'
        ? {
            authorization: `Bearer ${await mintDevToken({ secret: JWT_SECRET, user: 'alice', now: new Date(Date.now() - 7200_000) })}`,
          }
        : params;
    const { client, closes } = recordingClient(hs.gateway.wsUrl, connectionParams);
    try {
      await eventually(() => closes.length > 0);
      expect(closes).toEqual([4401]);
    } finally {
      await client.dispose();
    }
  });

  it('accepts the explorer-style "Authorization" key', async () => {
    const client = createClient({
      url: hs.gateway.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      lazyCloseTimeout: 0,
      connectionParams: { Authorization: `Bearer ${hs.token}` },
    });
    try {
      const sub = subscribe(client, 'subscription { whoamiChanged { name } }');
      await sub.waitForEvent((e) => expect(e.data).toEqual({ whoamiChanged: { name: 'alice' } }));
      sub.unsubscribe();
    } finally {
      await client.dispose();
    }
  });

  it('ends every subscription with UNAUTHENTICATED when the token expires, then closes with 4401', async () => {
    const token = await mintDevToken({
      secret: JWT_SECRET,
      user: 'alice',
      groups: ['developers'],
      ttlSeconds: 2,
    });
    const { client, closes } = recordingClient(hs.gateway.wsUrl, { authorization: `Bearer ${token}` });
    try {
      const things = subscribe(client, 'subscription { thingChanged(ids: ["t1"]) { id name } }');
      const ticks = subscribe(client, 'subscription { ticks(count: 100) }');
      await things.waitForEvent((e) => expect(e.data).toMatchObject({ thingChanged: { id: 't1' } }));
      for (const sub of [things, ticks]) {
        const last = await sub.waitForEvent(undefined, 5000);
        expect(last.data).toBeUndefined();
        expect(last.errors?.[0]).toMatchObject({
          message: 'the token expired',
          extensions: { code: 'UNAUTHENTICATED' },
        });
        expect(await sub.waitForEnd()).toEqual({ kind: 'complete' });
      }
      await eventually(() => closes.length > 0);
      expect(closes).toEqual([4401]);
      await eventually(async () => (await hs.upstreamGauge()) === 0);
    } finally {
      await client.dispose();
    }
  });

  it('sends the subscriber identity upstream: the subgraph verifies it from the subscribe payload', async () => {
    const bob = wsClient(hs.gateway.wsUrl, await tokenFor('bob', ['ops']));
    try {
      const a = hs.subscribe('subscription { whoamiChanged { ok name groups } }');
      const b = subscribe(bob, 'subscription { whoamiChanged { ok name groups } }');
      await a.waitForEvent((e) =>
        expect(e.data).toEqual({
          whoamiChanged: { ok: true, name: 'alice', groups: ['developers', 'system:authenticated'] },
        }),
      );
      await b.waitForEvent((e) =>
        expect(e.data).toEqual({
          whoamiChanged: { ok: true, name: 'bob', groups: ['ops', 'system:authenticated'] },
        }),
      );
      a.unsubscribe();
      b.unsubscribe();
    } finally {
      await bob.dispose();
    }
  });

  it('shares an upstream subscription within one user only', async () => {
    const query = 'subscription { thingChanged(ids: ["t2"]) { id name } }';
    await eventually(async () => (await hs.upstreamGauge()) === 0);
    // the same user and groups on two connections (two tokens, groups in another order): one upstream
    const alice2 = hs.client(await tokenFor('alice', ['developers', 'system:authenticated']));
    const bob = hs.client(await tokenFor('bob', ['developers']));
    const a1 = hs.subscribe(query);
    await a1.waitForEvent();
    const a2 = subscribe(alice2, query);
    await a2.waitForEvent();
    expect(await hs.upstreamGauge()).toBe(1);
    const b = subscribe(bob, query);
    await b.waitForEvent();
    expect(await hs.upstreamGauge()).toBe(2);
    for (const s of [a1, a2, b]) s.unsubscribe();
    await eventually(async () => (await hs.upstreamGauge()) === 0);
  });
});

describe('configuration and the dev issuer', () => {
  const base = { AUTH_JWT_SECRET: 's', FLEETGRAPH_IDENTITY_SECRET: 'i'.repeat(32) };

  it('reads the settings, with defaults', () => {
    expect(loadAuthConfig(base)).toEqual({
      jwtSecret: 's',
      clockToleranceS: 30,
      maxTokenLifetimeS: 86_400,
      identitySecret: 'i'.repeat(32),
      publicMetrics: true,
    });
    expect(
      loadAuthConfig({
        ...base,
        AUTH_JWKS_URL: 'https://ks.example/oauth/keys',
        AUTH_ISSUER: 'kubesphere',
        AUTH_AUDIENCE: 'fleetgraph',
        AUTH_CLOCK_TOLERANCE_S: '5',
        AUTH_PUBLIC_METRICS: 'false',
      }),
    ).toMatchObject({
      jwks: { kind: 'url', url: 'https://ks.example/oauth/keys' },
      issuer: 'kubesphere',
      audience: 'fleetgraph',
      clockToleranceS: 5,
      publicMetrics: false,
    });
  });

  it('reads secrets from files', async () => {
    const path = join(dir, 'jwt.secret');
    await writeFile(path, 'from-a-file\n');
    expect(loadAuthConfig({ ...base, AUTH_JWT_SECRET: '', AUTH_JWT_SECRET_FILE: path }).jwtSecret).toBe(
      'from-a-file',
    );
  });

  it.each([
    [{ FLEETGRAPH_IDENTITY_SECRET: 'i'.repeat(32) }, 'AUTH_JWT_SECRET'],
    [{ AUTH_JWT_SECRET: 's' }, 'FLEETGRAPH_IDENTITY_SECRET'],
    [{ ...base, FLEETGRAPH_IDENTITY_SECRET: 'short' }, 'FLEETGRAPH_IDENTITY_SECRET'],
    [{ ...base, AUTH_JWKS_URL: 'ftp://x' }, 'AUTH_JWKS_URL'],
    [{ ...base, AUTH_JWT_SECRET_FILE: '/nonexistent/secret' }, 'AUTH_JWT_SECRET'],
    [{ ...base, AUTH_CLOCK_TOLERANCE_S: 'soon' }, 'AUTH_CLOCK_TOLERANCE_S'],
  ])('rejects %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadAuthConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });

  it('mints KubeSphere-shaped tokens that verify', async () => {
    const token = await mintDevToken({ secret: JWT_SECRET, user: 'dave', groups: ['a'], ttlSeconds: 60 });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as JWTPayload;
    expect(payload).toMatchObject({
      iss: 'kubesphere',
      sub: 'dave',
      username: 'dave',
      token_type: 'access_token',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    const verified = await createTokenVerifier({
      jwtSecret: JWT_SECRET,
      issuer: 'kubesphere',
      clockToleranceS: 0,
      identitySecret: IDENTITY_SECRET,
      publicMetrics: true,
    }).verify(token);
    expect(verified.user).toEqual({ name: 'dave', groups: ['a', 'system:authenticated'] });
    expect(verified.expiresAt?.getTime()).toBe((payload.exp ?? 0) * 1000);
  });

  it('scripts/token.ts prints a token the gateway accepts', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/token.ts', '--user', 'erin', '--groups', 'a,b', '--ttl', '120'],
      { cwd: root, env: { ...process.env, AUTH_JWT_SECRET: JWT_SECRET } },
    );
    const a = await post(hs, stdout.trim());
    expect(a.status).toBe(200);
    expect(a.body.data?.whoami).toMatchObject({ name: 'erin', groups: ['a', 'b', 'system:authenticated'] });
  });
});
