export type { Decision, ResourceAttributes, ResourceScope, UserInfo } from './types.ts';
export {
  GATEWAY_USER,
  IDENTITY_HEADERS,
  signIdentity,
  stripIdentityHeaders,
  verifyIdentity,
  type IdentityResult,
  type SignedIdentity,
  type VerifyIdentityOptions,
} from './identity.ts';
