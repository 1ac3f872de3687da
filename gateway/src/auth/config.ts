import { ConfigError, getEnvBool, getEnvNum, getEnvOptionalStr, getEnvSecret } from '@fleetgraph/lib/config';
import { loadIdentitySecret } from '@fleetgraph/lib/server';

import { DEFAULT_MAX_TOKEN_LIFETIME_S } from './verify.ts';

/** Where the gateway gets the keys it verifies RS256/ES256 tokens with. */
export type JwksSource = { kind: 'url'; url: string } | { kind: 'file'; path: string };

/** The gateway's authentication settings (docs/operations.md, Authentication). */
export interface AuthConfig {
  /** HS256 shared secret (KubeSphere's default issuer, `authentication.issuer.jwtSecret`) */
  jwtSecret?: string;
  /** keys for RS256/ES256 tokens */
  jwks?: JwksSource;
  /** the `iss` a token must carry; not checked when unset */
  issuer?: string;
  /** the `aud` a token must carry; not checked when unset */
  audience?: string;
  /**
   * leeway for exp and nbf, in seconds
   * @default 30
   */
  clockToleranceS: number;
  /**
   * AUTH_MAX_TOKEN_LIFETIME_S: how long a token without `exp` is accepted after its `iat`; a token with neither is
   * refused; 0 accepts tokens without `exp` for ever (not advised)
   * @default 86400
   */
  maxTokenLifetimeS?: number;
  /** the HMAC secret the gateway signs identities for the subgraphs with (at least 32 characters) */
  identitySecret: string;
  /**
   * /metrics is served without a token
   * @default true
   */
  publicMetrics: boolean;
}

/** the authentication settings from the environment; fails fast naming the variable */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const jwtSecret = getEnvSecret(env, 'AUTH_JWT_SECRET');
  const jwksUrl = getEnvOptionalStr(env, 'AUTH_JWKS_URL');
  const jwksFile = getEnvOptionalStr(env, 'AUTH_JWKS_FILE');
  if (jwksUrl !== undefined && jwksFile !== undefined)
    throw new ConfigError('AUTH_JWKS_URL', 'set AUTH_JWKS_URL or AUTH_JWKS_FILE, not both');
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl))
    throw new ConfigError('AUTH_JWKS_URL', `AUTH_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`);
  let jwks: JwksSource | undefined;
  if (jwksUrl !== undefined) jwks = { kind: 'url', url: jwksUrl };
  else if (jwksFile !== undefined) jwks = { kind: 'file', path: jwksFile };
  if (jwtSecret === undefined && jwks === undefined)
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'AUTH_JWT_SECRET (or AUTH_JWT_SECRET_FILE) or AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required: the gateway verifies every request with it',
    );
  const identitySecret = loadIdentitySecret(env);
  const issuer = getEnvOptionalStr(env, 'AUTH_ISSUER');
  const audience = getEnvOptionalStr(env, 'AUTH_AUDIENCE');
  return {
    ...(jwtSecret !== undefined ? { jwtSecret } : {}),
    ...(jwks ? { jwks } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience !== undefined ? { audience } : {}),
    clockToleranceS: getEnvNum(env, 'AUTH_CLOCK_TOLERANCE_S', { default: 30, min: 0, max: 3600 }),
    maxTokenLifetimeS: getEnvNum(env, 'AUTH_MAX_TOKEN_LIFETIME_S', {
      default: DEFAULT_MAX_TOKEN_LIFETIME_S,
      min: 0,
      integer: true,
    }),
    identitySecret,
    publicMetrics: getEnvBool(env, 'AUTH_PUBLIC_METRICS', { default: true }),
  };
}
