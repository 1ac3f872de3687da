import type { KubeSim } from '@fleetgraph/kube-sim';
import { subgraphQuery } from '@fleetgraph/lib/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { gql, type Leftovers, MALLORY, startOnDemoFleet, userOf } from './support.ts';

/**
 * KubeSphere users (iam.kubesphere.io Users on kube-sim's demo host): Query.user, Query.users, Workspace.manager and
 * the User entity, per user. admin is platform-admin; alice, victor and frank are platform-regular, whose GlobalRole
 * may get and list users; mallory has no User object and no binding, so sees no one.
 */

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

let sim: KubeSim;
let subgraph: ClustersSubgraph;

beforeAll(async () => {
  ({ sim, subgraph } = await startOnDemoFleet(leftovers));
});

interface StoredUser {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { email?: string };
  status?: { state?: string };
}

const stored = (): StoredUser[] =>
  (sim.cluster('host').store.list('users.iam.kubesphere.io') as unknown as StoredUser[]).sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : 1,
  );

describe('clusters subgraph: users', () => {
  it('lists every user, as the host holds them, to a platform administrator and to platform-regular users', async () => {
    const expected = stored().map((u) => ({
      name: u.metadata.name,
      email: u.spec?.email ?? null,
      state: u.status?.state === 'Active' ? 'ACTIVE' : u.status?.state,
      globalRole: u.metadata.annotations?.['iam.kubesphere.io/globalrole'] ?? null,
    }));
    expect(expected.map((u) => u.name)).toEqual(['admin', 'alice', 'frank', 'victor']);
    for (const name of ['admin', 'victor']) {
      const res = await gql<{ users: { totalCount: number; nodes: unknown[] } }>(
        subgraph,
        '{ users { totalCount nodes { name email state globalRole } } }',
        {},
        userOf(sim, name),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.users).toEqual({ totalCount: expected.length, nodes: expected });
    }
  });

  it('shows a user with no right to list users no one, and answers an unknown user as an invisible one', async () => {
    const res = await gql<{ users: { nodes: unknown[] }; alice: unknown; ghost: unknown }>(
      subgraph,
      '{ users { nodes { name } } alice: user(name: "alice") { name } ghost: user(name: "ghost") { name } }',
      {},
      MALLORY,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ users: { nodes: [] }, alice: null, ghost: null });
    const self = await gql<{ user: { name: string } | null }>(
      subgraph,
      '{ user(name: "victor") { name } }',
      {},
      userOf(sim, 'victor'),
    );
    expect(self.data?.user).toEqual({ name: 'victor' });
  });

  it("Workspace.manager is the manager's User, and User resolves by key only where it is visible", async () => {
    const ws = await gql<{ workspace: { manager: { name: string; globalRole: string } | null } }>(
      subgraph,
      '{ workspace(name: "retail") { manager { name globalRole } } }',
      {},
      userOf(sim, 'victor'),
    );
    expect(ws.data?.workspace.manager).toEqual({ name: 'alice', globalRole: 'platform-regular' });

    const entities = async (user = userOf(sim, 'admin')) =>
      (
        await subgraphQuery(
          subgraph.url,
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }',
          {
            variables: { r: ['alice', 'ghost'].map((name) => ({ __typename: 'User', name })) },
            user,
          },
        )
      ).data;
    expect(await entities()).toEqual({ _entities: [{ name: 'alice' }, null] });
    expect(await entities(MALLORY)).toEqual({ _entities: [null, null] });
  });
});
