/**
 * npm run token -- --user <name> [--groups a,b] [--ttl 3600] [--dir .fleetgraph]
 *
 * Prints a development access token for the gateway: HS256, KubeSphere-shaped (gateway/src/auth/devIssuer.ts),
 * signed with AUTH_JWT_SECRET or, when that is unset, the secret `npm start` wrote to <dir>/jwt.secret. Without
 * --groups, the user's groups come from kube-sim's <dir>/users.json when the user is there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { mintDevToken, readDevUsers } from '../gateway/src/auth/devIssuer.ts';

const usage = 'usage: npm run token -- --user <name> [--groups a,b] [--ttl <seconds>] [--dir <dir>]';

function fail(message: string): never {
  console.error(`token: ${message}\n${usage}`);
  process.exit(2);
}

let values: {
  user?: string | undefined;
  groups?: string | undefined;
  ttl?: string | undefined;
  dir?: string | undefined;
};
try {
  ({ values } = parseArgs({
    options: {
      user: { type: 'string' },
      groups: { type: 'string' },
      ttl: { type: 'string' },
      dir: { type: 'string' },
    },
    strict: true,
  }));
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const user = values.user;
if (!user) fail('--user is required');
const ttlSeconds = Number(values.ttl ?? '3600');
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) fail(`--ttl must be a whole number of seconds >= 1`);
const dir = values.dir ?? '.fleetgraph';

let secret = process.env['AUTH_JWT_SECRET']?.trim();
if (!secret) {
  const path = join(dir, 'jwt.secret');
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch {
    fail(`no secret: set AUTH_JWT_SECRET, or start the stack (npm start writes ${path})`);
  }
}
const groups =
  values.groups !== undefined
    ? values.groups
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean)
    : (readDevUsers(join(dir, 'users.json')).find((u) => u.name === user)?.groups ?? []);
const audience = process.env['AUTH_AUDIENCE']?.trim();
console.log(
  await mintDevToken({
    secret,
    user,
    groups,
    ttlSeconds,
    issuer: process.env['AUTH_ISSUER']?.trim() || 'kubesphere',
    ...(audience ? { audience } : {}),
  }),
);
