import type { IncomingMessage, ServerResponse } from 'node:http';

import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';

/**
 * The node:http host for an Apollo Server 5 (which ships no HTTP integration of its own): reads the body, hands
 * the request to `executeHTTPGraphQLRequest`, and writes the response, streaming chunked bodies. Used by every
 * subgraph and by the gateway.
 */

export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** reads a request body up to `maxBytes`, or throws BodyError(413) */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes)
    throw new BodyError(413, 'PAYLOAD_TOO_LARGE', `request body over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) throw new BodyError(413, 'PAYLOAD_TOO_LARGE', `request body over ${maxBytes} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function parseBody(req: IncomingMessage, raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!/json/i.test(type)) return raw.toString('utf8');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BodyError(400, 'BAD_REQUEST', 'the request body is not valid JSON');
  }
}

/** a GraphQL-over-HTTP error response, for failures before Apollo Server sees the request */
export function sendGraphQLError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** the errors of a well-formed request that the GraphQL-over-HTTP spec answers 200 under `application/json` */
const REQUEST_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * The GraphQL-over-HTTP specification's SHOULD for the `application/json` response type: a document that does not
 * parse or validate, and variables that do not coerce, are answered 200 with the errors in the body (Apollo Server
 * answers 400). Under `application/graphql-response+json` the status keeps its meaning (400), and so do refusals by
 * policy (limits, persisted operations) and malformed HTTP requests.
 */
function legacyStatus(response: HTTPGraphQLResponse, status: number): number {
  if (status !== 400 || response.body.kind !== 'complete') return status;
  if (!/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) return status;
  try {
    const body = JSON.parse(response.body.string) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    const codes = (body.errors ?? []).map((e) => e.extensions?.code);
    return codes.length > 0 && codes.every((c) => typeof c === 'string' && REQUEST_ERRORS.has(c))
      ? 200
      : status;
  } catch {
    return status;
  }
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = legacyStatus(response, response.status ?? 200);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) {
    if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', () => r()));
  }
  res.end();
}

export interface GraphQLHttpOptions<C extends BaseContext> {
  server: ApolloServer<C>;
  /** builds the per-request context */
  context: (req: IncomingMessage) => Promise<C>;
  /** @default 1 MiB */
  maxBodyBytes?: number;
}

/** runs one GraphQL-over-HTTP request through Apollo Server */
export async function handleGraphQLHttp<C extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: GraphQLHttpOptions<C>,
): Promise<void> {
  try {
    const body = parseBody(req, await readBody(req, options.maxBodyBytes ?? 1024 * 1024));
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await options.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: () => options.context(req),
    });
    await writeResponse(res, response);
  } catch (e) {
    if (e instanceof BodyError) return sendGraphQLError(res, e.status, e.code, e.message);
    sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  }
}
