import type { IncomingMessage, ServerResponse } from 'node:http';

import { GraphQLError } from 'graphql';

import { stripIdentityHeaders } from '@fleetgraph/lib/identity';

import { bearerToken, type TokenVerifier, unauthenticated, type VerifiedToken } from './verify.ts';

/**
 * The HTTP side of authentication: every GraphQL request carries `Authorization: Bearer <JWT>`; without one, or
 * with one that does not verify, the answer is 401 with a GraphQL error coded UNAUTHENTICATED and
 * `WWW-Authenticate: Bearer` (RFC 6750; GraphQL over HTTP).
 */

const REALM = 'fleetgraph';

/** writes the 401 answer for `error` (a coded UNAUTHENTICATED error), `invalid` when a token was given */
export function sendUnauthenticated(res: ServerResponse, error: GraphQLError, invalid: boolean): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify({
    errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }],
  });
  const challenge = invalid
    ? `Bearer realm="${REALM}", error="invalid_token", error_description=${JSON.stringify(error.message)}`
    : `Bearer realm="${REALM}"`;
  res.writeHead(401, {
    'content-type': 'application/graphql-response+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'www-authenticate': challenge,
  });
  res.end(body);
}

/**
 * drops client-supplied identity headers, then verifies the request's bearer token; on failure answers 401 and
 * returns undefined
 */
export async function authenticateRequest(
  req: IncomingMessage,
  res: ServerResponse,
  verifier: TokenVerifier,
): Promise<VerifiedToken | undefined> {
  stripIdentityHeaders(req.headers);
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    sendUnauthenticated(
      res,
      unauthenticated('authentication required: send "Authorization: Bearer <token>"'),
      false,
    );
    return undefined;
  }
  try {
    return await verifier.verify(token);
  } catch (e) {
    sendUnauthenticated(
      res,
      e instanceof GraphQLError ? e : unauthenticated('the token could not be verified'),
      true,
    );
    return undefined;
  }
}
