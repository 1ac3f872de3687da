import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { newToken, type TokenEntry } from '../auth.ts';
import type { SimCluster } from '../cluster.ts';
import type { FleetUserSpec } from '../fleet.ts';

/**
 * Fleet users (`FleetSpec.users`): one bearer token each, valid on every cluster, as a KubeSphere host's
 * token is valid on its members. A token the spec does not fix is random, made at start: nothing outside the
 * running process can know it, and users.json (mode 0600) is where tools and people read it.
 */

export interface FleetUser {
  name: string;
  token: string;
  uid: string;
  /** the groups the token authenticates with, `system:authenticated` included */
  groups: string[];
  globalRole?: string;
  workspaceRoles: Record<string, string>;
  projectRoles: Record<string, string>;
}

export function resolveFleetUsers(specs: readonly FleetUserSpec[]): FleetUser[] {
  return specs.map((u): FleetUser => ({
    name: u.name,
    token: u.token ?? newToken(),
    uid: u.uid ?? u.name,
    groups: [...new Set([...(u.groups ?? []), 'system:authenticated'])],
    ...(u.globalRole ? { globalRole: u.globalRole } : {}),
    workspaceRoles: { ...(u.workspaceRoles ?? {}) },
    projectRoles: { ...(u.projectRoles ?? {}) },
  }));
}

/** the token-table entries of fleet users (system:authenticated is added at authentication) */
export function tokenEntries(users: readonly FleetUser[]): TokenEntry[] {
  return users.map((u) => ({
    token: u.token,
    username: u.name,
    uid: u.uid,
    groups: u.groups.filter((g) => g !== 'system:authenticated'),
  }));
}

/** `<cluster>.<user>.kubeconfig` for every cluster and fleet user, and users.json (whose path it returns) */
export async function writeUserFiles(
  dir: string,
  clusters: ReadonlyMap<string, SimCluster>,
  users: readonly FleetUser[],
  kubeconfigPaths: Readonly<Record<string, string>>,
): Promise<string> {
  const entries = [];
  for (const u of users) {
    const kubeconfigs: Record<string, string> = {};
    for (const c of clusters.values()) {
      const path = join(dir, `${c.name}.${u.name}.kubeconfig`);
      await writeFile(path, c.kubeconfig(u.token, u.name), { mode: 0o600 });
      kubeconfigs[c.name] = path;
    }
    entries.push({ ...u, kubeconfigs });
  }
  const doc = {
    clusters: Object.fromEntries(
      [...clusters.values()].map((c) => [c.name, { url: c.url, kubeconfig: kubeconfigPaths[c.name] ?? '' }]),
    ),
    users: entries,
  };
  const path = join(dir, 'users.json');
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** one line per user for the console: name, token and KubeSphere roles */
export function describeUser(u: FleetUser): string {
  const roles = [
    ...(u.globalRole ? [u.globalRole] : []),
    ...Object.entries(u.workspaceRoles).map(([ws, role]) => `${ws}: ${role}`),
    ...Object.entries(u.projectRoles).map(([ns, role]) => `project ${ns}: ${role}`),
  ];
  return `user    ${u.name.padEnd(10)} token ${u.token}  ${roles.join(', ')}`;
}
