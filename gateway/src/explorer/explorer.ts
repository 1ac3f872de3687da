/**
 * The gateway's in-browser explorer: GraphiQL at the GraphQL URL, served entirely from the gateway's own
 * dependencies (no CDN; clusters are often offline), with subscriptions over graphql-ws on the same path.
 *
 * `GET <graphqlPath>` from a browser (Accept prefers text/html, no `query` parameter) gets the page; everything
 * else at that path is left to the GraphQL server. The page's scripts and styles live under
 * `<graphqlPath>/explorer/`: React, ReactDOM, GraphiQL and graphql-ws's UMD builds resolved from node_modules
 * (read once, kept in memory), and the generated `explorer.js` / `explorer.css`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXPLORER_CSS, toBootScript, toContentSecurityPolicy, toHtml, type PageInput } from './page.ts';

export interface ExplorerOptions {
  /** the GraphQL path @default '/graphql' */
  graphqlPath?: string;
  /** page title @default 'fleetgraph explorer' */
  title?: string;
  /** the query shown on first open @default a sample query */
  defaultQuery?: string;
}

export interface Explorer {
  /** serves the page and its assets; returns false for requests that are not the explorer's (the caller then handles them) */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export const DEFAULT_QUERY = `# Welcome to the fleetgraph explorer.
#
# Write a query, mutation or subscription on the left and run it with Ctrl-Enter (or the ▶ button).
# Subscriptions stream over graphql-ws on this same URL. Credentials go in the Headers tab below, e.g.
#   { "Authorization": "Bearer <token>" }
# and are sent with every request (and as connectionParams for subscriptions).

query {
  __typename
}
`;

/** Files served from installed packages: asset name → [package, file inside the package]. */
const PACKAGE_ASSETS: Readonly<Record<string, readonly [pkg: string, file: string]>> = {
  'react.production.min.js': ['react', 'umd/react.production.min.js'],
  'react-dom.production.min.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.min.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.min.css': ['graphiql', 'graphiql.min.css'],
  'graphql-ws.min.js': ['graphql-ws', 'umd/graphql-ws.min.js'],
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** A response body held in memory with its validators. */
interface Resource {
  body: Buffer;
  type: string;
  etag: string;
  /** short content hash, used as `?v=` in the page's asset URLs */
  version: string;
  gzipped?: { body: Buffer; etag: string };
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export function createExplorer(options: ExplorerOptions = {}): Explorer {
  const graphqlPath = normalizePath(options.graphqlPath ?? '/graphql');
  const title = options.title ?? 'fleetgraph explorer';
  const defaultQuery = options.defaultQuery ?? DEFAULT_QUERY;
  const assetPrefix = `${graphqlPath === '/' ? '' : graphqlPath}/explorer/`;

  // Resolve now, so a missing package fails at startup rather than at the first page view.
  const require = createRequire(import.meta.url);
  const files = new Map<string, string>();
  for (const [name, [pkg, file]] of Object.entries(PACKAGE_ASSETS)) {
    files.set(name, join(dirname(require.resolve(`${pkg}/package.json`)), file));
  }

  // Read once, on first use, and kept in memory.
  let loaded: { assets: Map<string, Resource>; input: PageInput } | undefined;
  const load = (): { assets: Map<string, Resource>; input: PageInput } => {
    if (loaded) return loaded;
    const assets = new Map<string, Resource>();
    for (const [name, path] of files) assets.set(name, toResource(name, readFileSync(path)));
    const input: PageInput = {
      graphqlPath,
      title,
      defaultQuery,
      assetUrl: (name: string): string => {
        const asset = assets.get(name);
        if (!asset) throw new Error(`explorer: no asset ${name}`);
        return `${assetPrefix}${name}?v=${asset.version}`;
      },
    };
    assets.set('explorer.css', toResource('explorer.css', Buffer.from(EXPLORER_CSS)));
    assets.set('explorer.js', toResource('explorer.js', Buffer.from(toBootScript(input))));
    loaded = { assets, input };
    return loaded;
  };

  return {
    handle(req, res) {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      const readOnly = method === 'GET' || method === 'HEAD';

      if (path === '/' && graphqlPath !== '/' && readOnly) {
        res.writeHead(302, { Location: graphqlPath, 'Content-Length': '0' });
        res.end();
        return true;
      }

      if (path.startsWith(assetPrefix)) {
        if (!readOnly) {
          sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
          return true;
        }
        const asset = load().assets.get(path.slice(assetPrefix.length));
        if (!asset) {
          sendText(res, 404, 'not found');
          return true;
        }
        const versioned = url.searchParams.get('v') === asset.version;
        send(req, res, asset, { 'Cache-Control': versioned ? IMMUTABLE : REVALIDATE });
        return true;
      }

      if (
        path === graphqlPath &&
        readOnly &&
        !url.searchParams.has('query') &&
        prefersHtml(req.headers.accept)
      ) {
        // Built for every response, with a fresh CSP nonce: so no ETag, and not stored (it is under 1 KiB).
        const nonce = randomBytes(18).toString('base64');
        const html = Buffer.from(toHtml(load().input, nonce));
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': String(html.length),
          'Cache-Control': 'no-store',
          // the same URL answers GraphQL requests too: caches must key on Accept
          Vary: 'Accept',
          'Content-Security-Policy': toContentSecurityPolicy(nonce),
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'X-Frame-Options': 'DENY',
        });
        if (method === 'HEAD') res.end();
        else res.end(html);
        return true;
      }

      return false;
    },
  };
}

function normalizePath(path: string): string {
  if (!path.startsWith('/'))
    throw new Error(`explorer: graphqlPath must start with '/', got ${JSON.stringify(path)}`);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function toResource(name: string, body: Buffer): Resource {
  const hash = createHash('sha256').update(body).digest('base64url');
  const extension = name.slice(name.lastIndexOf('.') + 1);
  return {
    body,
    type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    etag: `"${hash.slice(0, 27)}"`,
    version: hash.slice(0, 12),
  };
}

/** Writes a resource with its validators, gzip when the client takes it, 304 when its ETag matches. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  resource: Resource,
  headers: Record<string, string>,
): void {
  const gzip = resource.body.length > 1024 && acceptsGzip(req.headers['accept-encoding']);
  let variant: { body: Buffer; etag: string } = resource;
  if (gzip) {
    resource.gzipped ??= { body: gzipSync(resource.body), etag: `${resource.etag.slice(0, -1)}-gz"` };
    variant = resource.gzipped;
  }
  const common = {
    Vary: 'Accept-Encoding',
    ...headers,
    ETag: variant.etag,
    'X-Content-Type-Options': 'nosniff',
  };
  if (matchesEtag(req.headers['if-none-match'], variant.etag)) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...common,
    'Content-Type': resource.type,
    'Content-Length': String(variant.body.length),
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  if (req.method === 'HEAD') res.end();
  else res.end(variant.body);
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return parseAccept(acceptEncoding).some(({ range, q }) => (range === 'gzip' || range === '*') && q > 0);
}

/**
 * True when the Accept header prefers an HTML page (a browser navigation) over a GraphQL response: `text/html` is
 * named with a quality at least that of `application/graphql-response+json` / `application/json` (taking each
 * from its most specific matching range). A bare `*\/*` (curl, fetch) is not a browser.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const html = ranges.find(({ range }) => range === 'text/html')?.q ?? 0;
  const qualityOf = (type: string): number => {
    const candidates = [type, `${type.slice(0, type.indexOf('/'))}/*`, '*/*'];
    for (const candidate of candidates) {
      const match = ranges.find(({ range }) => range === candidate);
      if (match) return match.q;
    }
    return 0;
  };
  const json = Math.max(qualityOf('application/graphql-response+json'), qualityOf('application/json'));
  return html > 0 && html >= json;
}

function parseAccept(header: string): { range: string; q: number }[] {
  return header.split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    return { range, q };
  });
}
