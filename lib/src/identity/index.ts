/**
 * @fleetgraph/lib/identity: the signed identity the gateway passes to the subgraphs, without the authorizer (so the
 * gateway, which only signs, does not load the Kubernetes layer). Subgraphs get the same from @fleetgraph/lib/auth.
 */
export type { UserInfo } from '../auth/types.ts';
export {
  GATEWAY_USER,
  IDENTITY_HEADERS,
  signIdentity,
  stripIdentityHeaders,
  verifyIdentity,
  type IdentityResult,
  type SignedIdentity,
  type VerifyIdentityOptions,
} from '../auth/identity.ts';
