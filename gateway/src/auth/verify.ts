import { readFileSync } from 'node:fs';

import type { GraphQLError } from 'graphql';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type JWTVerifyOptions,
} from 'jose';

import type { UserInfo } from '@fleetgraph/lib/identity';
import { UNAUTHENTICATED } from '@fleetgraph/lib/errors';

import type { AuthConfig } from './config.ts';

/** Who a verified token belongs to, and until when. */
export interface VerifiedToken {
  user: UserInfo;
  /** the token's `exp`; absent for a token without one (KubeSphere static tokens may have none) */
  expiresAt?: Date;
}

export interface TokenVerifier {
  /** verifies a compact JWT, or throws a GraphQLError coded UNAUTHENTICATED saying why */
  verify(token: string): Promise<VerifiedToken>;
}

export interface TokenVerifierOptions {
  /** the clock, for tests @default () => new Date() */
  now?: () => Date;
}

/** the group every authenticated user has (Kubernetes and KubeSphere) */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** KubeSphere's `token_type` values that authenticate a request (absent counts as an access token) */
const ACCEPTED_TOKEN_TYPES = new Set(['access_token', 'static_token']);
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'] as const;

/** a coded UNAUTHENTICATED error (HTTP 401) */
export function unauthenticated(message: string): GraphQLError {
  return UNAUTHENTICATED.err(message, { extensions: { http: { status: 401 } } });
}

function keysOf(config: AuthConfig): JWTVerifyGetKey | undefined {
  const source = config.jwks;
  if (!source) return undefined;
  switch (source.kind) {
    case 'url':
      return createRemoteJWKSet(new URL(source.url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    case 'file':
      return createLocalJWKSet(JSON.parse(readFileSync(source.path, 'utf8')) as JSONWebKeySet);
    default: {
      const never: never = source;
      throw new Error(`unknown JWKS source ${JSON.stringify(never)}`);
    }
  }
}

/** a jose failure as a message a client can act on (never the token itself) */
function describeFailure(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (e as { claim?: string }).claim;
      if (claim === 'nbf') return 'the token is not valid yet (nbf)';
      if (claim === 'iss') return 'the token was issued by an unexpected issuer (iss)';
      if (claim === 'aud') return 'the token is meant for another audience (aud)';
      if (claim === 'iat') return 'the token was issued in the future (iat)';
      return `the token's "${claim ?? 'unknown'}" claim is invalid`;
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "no key of the JWKS matches the token's kid and algorithm";
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'the token names no kid and several keys of the JWKS match';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token algorithm is not allowed';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'the token could not be verified: the JWKS is unavailable';
    default:
      return 'the token is malformed';
  }
}

/**
 * When the token stops being accepted: its `exp`; for a token without one, `iat` plus the configured maximum
 * lifetime. A token issued in the future (beyond the clock tolerance) is refused, and so is one without `exp` whose
 * age cannot be told (no `iat`) or that has outlived the maximum.
 */
/** how long a token without `exp` is accepted after its `iat` when AUTH_MAX_TOKEN_LIFETIME_S is not set */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 86_400;

function lifetimeOf(payload: JWTPayload, config: AuthConfig, now: Date): { expiresAt?: Date } {
  const nowS = now.getTime() / 1000;
  if (payload.iat !== undefined && payload.iat > nowS + config.clockToleranceS)
    throw unauthenticated('the token was issued in the future (iat)');
  if (payload.exp !== undefined) return { expiresAt: new Date(payload.exp * 1000) };
  const maxS = config.maxTokenLifetimeS ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
  if (maxS === 0) return {};
  if (payload.iat === undefined)
    throw unauthenticated('the token has no "exp" and no "iat", so how long it may be used cannot be told');
  const end = payload.iat + maxS;
  if (nowS > end + config.clockToleranceS)
    throw unauthenticated(`the token has no "exp" and is older than ${maxS} s (iat)`);
  return { expiresAt: new Date(end * 1000) };
}

function userOf(payload: JWTPayload): UserInfo {
  const tokenType = payload['token_type'];
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !ACCEPTED_TOKEN_TYPES.has(tokenType)))
    throw unauthenticated(
      `a token of type ${JSON.stringify(tokenType)} cannot be used to call the API; use an access token`,
    );
  const username = payload['username'];
  const name =
    typeof username === 'string' && username !== ''
      ? username
      : typeof payload.sub === 'string' && payload.sub !== ''
        ? payload.sub
        : undefined;
  if (name === undefined) throw unauthenticated('the token names no user (no "username" or "sub" claim)');
  const groups = payload['groups'];
  if (groups !== undefined && (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')))
    throw unauthenticated('the token\'s "groups" claim must be an array of strings');
  return { name, groups: [...new Set([...((groups as string[] | undefined) ?? []), AUTHENTICATED_GROUP])] };
}

/**
 * Verifies bearer tokens with jose: HS256 only with the shared secret, RS256/ES256 only with the JWKS's keys,
 * never `none`; the algorithm decides the key source before verification, so an HS256 token "signed" with an RSA
 * public key is refused (without a shared secret the algorithm is not allowed; with one, the signature fails).
 */
export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const secret = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
  const jwks = keysOf(config);
  const now = options.now ?? (() => new Date());
  const claims = (): JWTVerifyOptions => ({
    ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
    ...(config.audience !== undefined ? { audience: config.audience } : {}),
    clockTolerance: config.clockToleranceS,
    currentDate: now(),
  });
  return {
    async verify(token) {
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw unauthenticated('the token is malformed');
      }
      try {
        let payload: JWTPayload;
        if (alg === 'HS256' && secret) {
          ({ payload } = await jwtVerify(token, secret, { ...claims(), algorithms: ['HS256'] }));
        } else if (
          jwks &&
          typeof alg === 'string' &&
          (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)
        ) {
          ({ payload } = await jwtVerify(token, jwks, {
            ...claims(),
            algorithms: [...ASYMMETRIC_ALGORITHMS],
          }));
        } else {
          throw unauthenticated(`the token algorithm ${JSON.stringify(alg ?? null)} is not accepted`);
        }
        const user = userOf(payload);
        return { user, ...lifetimeOf(payload, config, now()) };
      } catch (e) {
        if (e instanceof Error && e.name === 'GraphQLError') throw e;
        throw unauthenticated(describeFailure(e));
      }
    },
  };
}

/** the token of an `Authorization: Bearer <token>` value, or undefined when there is none */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}
