import { type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import type { AuthConfig } from '../src/auth/config.ts';
import { createTokenVerifier } from '../src/auth/verify.ts';

/** How long tokens are accepted: exp when set; iat + AUTH_MAX_TOKEN_LIFETIME_S without it; never from the future. */

const SECRET = 'token-lifetime-test-secret';
const NOW = new Date('2026-12-08T12:00:00Z');
const nowS = NOW.getTime() / 1000;
const config: AuthConfig = {
  jwtSecret: SECRET,
  clockToleranceS: 30,
  maxTokenLifetimeS: 3600,
  identitySecret: 'i'.repeat(32),
  publicMetrics: true,
};

async function token(claims: JWTPayload): Promise<string> {
  return new SignJWT({ username: 'alice', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

async function verify(claims: JWTPayload, c: AuthConfig = config) {
  return createTokenVerifier(c, { now: () => NOW }).verify(await token(claims));
}

async function refusal(claims: JWTPayload, c: AuthConfig = config): Promise<string> {
  try {
    await verify(claims, c);
  } catch (e) {
    expect((e as { extensions?: { code?: string } }).extensions?.code).toBe('UNAUTHENTICATED');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('token lifetime', () => {
  it('accepts a token with exp until then, however old its iat', async () => {
    const v = await verify({ iat: nowS - 10 * 86_400, exp: nowS + 60 });
    expect(v.expiresAt?.getTime()).toBe((nowS + 60) * 1000);
  });

  it('gives a token without exp the maximum lifetime from its iat', async () => {
    const v = await verify({ iat: nowS - 600 });
    expect(v.user.name).toBe('alice');
    expect(v.expiresAt?.getTime()).toBe((nowS - 600 + 3600) * 1000);
    expect(await refusal({ iat: nowS - 3600 - 31 })).toMatch(/no "exp" and is older than 3600 s/);
    // within the clock tolerance it still passes
    await expect(verify({ iat: nowS - 3600 - 29 })).resolves.toBeDefined();
  });

  it('refuses a token without exp whose age cannot be told, unless the maximum is turned off', async () => {
    expect(await refusal({})).toMatch(/no "exp" and no "iat"/);
    const forever = await verify({}, { ...config, maxTokenLifetimeS: 0 });
    expect(forever.expiresAt).toBeUndefined();
  });

  it('refuses a token issued in the future beyond the clock tolerance', async () => {
    expect(await refusal({ iat: nowS + 31, exp: nowS + 3600 })).toMatch(/issued in the future/);
    expect(await refusal({ iat: nowS + 120 })).toMatch(/issued in the future/);
    await expect(verify({ iat: nowS + 29, exp: nowS + 3600 })).resolves.toBeDefined();
  });
});
