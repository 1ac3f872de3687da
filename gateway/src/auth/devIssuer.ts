import { readFileSync } from 'node:fs';

import { SignJWT } from 'jose';

/**
 * A development issuer of KubeSphere-shaped access tokens (ks-apiserver's `token/issuer.go`: HS256 with the shared
 * `jwtSecret`, claims iss, sub, username, groups, token_type, iat, exp). For `npm start`, `npm run token` and tests;
 * production tokens come from KubeSphere's /oauth/token.
 */

export interface DevTokenOptions {
  /** the HS256 secret (the gateway's AUTH_JWT_SECRET) */
  secret: string;
  /** the username (`username` and `sub`) */
  user: string;
  /** @default [] */
  groups?: readonly string[];
  /** @default 3600 */
  ttlSeconds?: number;
  /** @default 'kubesphere' */
  issuer?: string;
  /** `aud`, when the gateway checks one @default none */
  audience?: string;
  /** @default 'access_token' */
  tokenType?: string;
  /** the issue time, for tests @default new Date() */
  now?: Date;
}

/** a signed HS256 token for `user` */
export function mintDevToken(options: DevTokenOptions): Promise<string> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({
    username: options.user,
    groups: [...(options.groups ?? [])],
    token_type: options.tokenType ?? 'access_token',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? 'kubesphere')
    .setSubject(options.user)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? 3600));
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** a fleet user of kube-sim's users.json (kube-sim/src/fleets/users.ts writeUserFiles) */
export interface DevUser {
  name: string;
  /** without `system:authenticated` (the gateway adds it to every token) */
  groups: string[];
}

/** the users of a kube-sim users.json; [] when the file does not exist */
export function readDevUsers(usersJsonPath: string): DevUser[] {
  let text: string;
  try {
    text = readFileSync(usersJsonPath, 'utf8');
  } catch {
    return [];
  }
  const doc = JSON.parse(text) as { users?: { name?: unknown; groups?: unknown }[] };
  return (doc.users ?? []).flatMap((u) =>
    typeof u.name === 'string'
      ? [
          {
            name: u.name,
            groups: (Array.isArray(u.groups) ? u.groups : []).filter(
              (g): g is string => typeof g === 'string' && g !== 'system:authenticated',
            ),
          },
        ]
      : [],
  );
}
