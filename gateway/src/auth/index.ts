export { type AuthConfig, type JwksSource, loadAuthConfig } from './config.ts';
export { type DevTokenOptions, type DevUser, mintDevToken, readDevUsers } from './devIssuer.ts';
export { authenticateRequest, sendUnauthenticated } from './http.ts';
export {
  AUTHENTICATED_GROUP,
  bearerToken,
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  unauthenticated,
  type VerifiedToken,
} from './verify.ts';
export { endOnAbort, WsAuth, type WsAuthOptions, type WsConnectionContext } from './wsAuth.ts';
