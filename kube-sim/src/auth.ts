import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { unauthorized } from './status.ts';

/** Bearer-token authentication from a static table, like kube-apiserver's --token-auth-file. */

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  /** user.Info extra (set by impersonation with Impersonate-Extra-<key>) */
  extra?: Record<string, string[]>;
}

export interface TokenEntry extends UserInfo {
  token: string;
}

export const ANONYMOUS: UserInfo = {
  username: 'system:anonymous',
  uid: '',
  groups: ['system:unauthenticated'],
};

/** paths anyone may read (the system:public-info-viewer role) */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export class TokenTable {
  private readonly byToken = new Map<string, UserInfo>();

  add(entry: TokenEntry): void {
    this.byToken.set(entry.token, { username: entry.username, uid: entry.uid, groups: entry.groups });
  }

  /** the user of a request; throws 401 for a bad token, and for anonymous requests outside the public paths */
  authenticate(req: IncomingMessage, pathname: string): UserInfo {
    const header = req.headers.authorization;
    if (header === undefined) {
      if (PUBLIC_PATHS.has(pathname)) return ANONYMOUS;
      throw unauthorized();
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m?.[1] ? this.byToken.get(m[1]) : undefined;
    if (!user) throw unauthorized();
    return { ...user, groups: [...new Set([...user.groups, 'system:authenticated'])] };
  }
}

export function isClusterAdmin(user: UserInfo): boolean {
  return user.groups.includes('system:masters');
}
