import { connectionFrom, ordering } from '@fleetgraph/lib/subgraph';

import type {
  QueryResolvers,
  Resolvers,
  UserOrderField,
  WorkspaceResolvers,
} from '../__generated__/resolvers-types.ts';
import type { UserModel } from './model.ts';
import { canListUsers, canSeeUser } from './visibility.ts';

/** Users: spread into resolvers.ts (Query fields, Workspace.manager, the User type). Visibility: ./visibility.ts */

export const userQuery: QueryResolvers = {
  user: (_root, { name }, ctx) => (canSeeUser(ctx.authz, name) ? (ctx.users.get(name) ?? null) : null),
  users: (_root, { first, after, filter, orderBy }, ctx) => {
    let users = canListUsers(ctx.authz)
      ? ctx.users.list()
      : ctx.users.list().filter((u) => u.name === ctx.user.name);
    if (filter?.nameContains) users = users.filter((u) => u.name.includes(filter.nameContains ?? ''));
    if (filter?.state) users = users.filter((u) => u.state === filter.state);
    const order = ordering<UserModel, UserOrderField>(
      orderBy,
      { NAME: (u) => u.name, CREATED_AT: (u) => u.createdAt },
      (u) => u.name,
    );
    return connectionFrom(users, { ...order, first, after });
  },
};

export const userWorkspaceFields: WorkspaceResolvers = {
  manager: (w, _args, ctx) =>
    w.managerName && canSeeUser(ctx.authz, w.managerName) ? (ctx.users.get(w.managerName) ?? null) : null,
};

export const userTypes: Pick<Resolvers, 'User'> = {
  User: {
    __resolveReference: (ref, ctx) =>
      canSeeUser(ctx.authz, ref.name) ? (ctx.users.get(ref.name) ?? null) : null,
  },
};
