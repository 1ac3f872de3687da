import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  execute,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  validate,
} from 'graphql/index.js'; // the CommonJS build, the one graphql-ws gets from Node (plain 'graphql' is the .mjs under vitest: two realms)
import { useServer } from 'graphql-ws/use/ws';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

import { launchChromium } from '../../tests/harness/browser.ts';
import {
  createExplorer,
  prefersHtml,
  type Explorer,
  type ExplorerOptions,
} from '../src/explorer/explorer.ts';

/** Generous: a cold headless chromium on a busy CI machine takes seconds to parse GraphiQL. */
const LOAD_TIMEOUT = 30_000;
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: { hello: { type: GraphQLString, resolve: () => 'from fleetgraph' } },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: GraphQLInt,
        args: { count: { type: new GraphQLNonNull(GraphQLInt) } },
        async *subscribe(_root: unknown, args: { count: number }) {
          for (let i = 1; i <= args.count; i++) {
            if (i > 1) await sleep(20); // spaced, so the browser sees a stream, not one burst
            yield { ticks: i };
          }
        },
      },
    },
  }),
});

interface TestServer {
  origin: string;
  /** bodies of GraphQL POSTs */
  posts: { query: string; authorization: string | undefined }[];
  /** queries subscribed over graphql-ws */
  subscribes: string[];
  /** connectionParams of each graphql-ws connection */
  connections: (Record<string, unknown> | undefined)[];
  close(): Promise<void>;
}

/** node:http + ws on the same path + graphql-ws, with the explorer in front, as the gateway wires it. */
async function startServer(explorer: Explorer, graphqlPath = '/graphql'): Promise<TestServer> {
  const posts: TestServer['posts'] = [];
  const subscribes: string[] = [];
  const connections: TestServer['connections'] = [];

  const graphqlOverHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables?: Record<string, unknown> | null;
      operationName?: string | null;
    };
    posts.push({ query: body.query, authorization: req.headers.authorization });
    const document = parse(body.query);
    const errors = validate(schema, document);
    const result =
      errors.length > 0
        ? { errors }
        : await execute({
            schema,
            document,
            variableValues: body.variables ?? null,
            operationName: body.operationName ?? null,
          });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(result));
  };

  const server = createServer((req, res) => {
    if (explorer.handle(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'POST' && path === graphqlPath) {
      graphqlOverHttp(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain', 'X-Fallthrough': '1' });
    res.end('not the explorer');
  });
  const wss = new WebSocketServer({ server, path: graphqlPath });
  useServer(
    {
      schema,
      onConnect: (ctx) => {
        connections.push(ctx.connectionParams);
      },
      onSubscribe: (_ctx, _id, payload) => {
        subscribes.push(payload.query);
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    posts,
    subscribes,
    connections,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every http(s):// URL in a text that does not point at `origin`. */
function externalUrls(text: string, origin: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'<>)]+/g)]
    .map((m) => m[0])
    .filter((url) => !url.startsWith(`${origin}/`));
}

describe('explorer over HTTP', () => {
  let server: TestServer;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> =>
    fetch(`${server.origin}${path}`, { method, headers, redirect: 'manual' });

  beforeAll(async () => {
    server = await startServer(createExplorer());
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the page to a browser navigation, with security headers', async () => {
    const res = await get('/graphql', { Accept: BROWSER_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('vary')).toBe('Accept');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toContain('unsafe');
    const nonce = /style-src 'self' 'nonce-([\w+/=]{24})';/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    const html = await res.text();
    // the nonce is fresh for every response and handed to explorer.js alone
    expect(html.match(/nonce="[^"]*"/g)).toEqual([`nonce="${nonce}"`]);
    expect(html).toMatch(new RegExp(`<script src="[^"]*/explorer\\.js\\?v=[\\w-]+" nonce="`));
    const next = await get('/graphql', { Accept: BROWSER_ACCEPT });
    expect(next.headers.get('content-security-policy')).not.toContain(`'nonce-${nonce}'`);
    expect(html).toContain('<title>fleetgraph explorer</title>');
    for (const asset of [
      'react.production.min.js',
      'react-dom.production.min.js',
      'graphiql.min.js',
      'graphiql.min.css',
      'graphql-ws.min.js',
      'explorer.js',
    ]) {
      expect(html).toMatch(new RegExp(`"/graphql/explorer/${asset.replace(/\./g, '\\.')}\\?v=[\\w-]+"`));
    }
    // no inline script or style: the CSP would block them
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
  });

  it('references no external URL from the page or its generated assets', async () => {
    const html = await (await get('/graphql', { Accept: BROWSER_ACCEPT })).text();
    expect(externalUrls(html, server.origin)).toEqual([]);
    for (const name of ['explorer.js', 'explorer.css']) {
      const text = await (await get(`/graphql/explorer/${name}`)).text();
      expect(externalUrls(text, server.origin), name).toEqual([]);
    }
    const css = await (await get('/graphql/explorer/graphiql.min.css')).text();
    expect(css.match(/url\((?!["']?data:)[^)]*\)/g) ?? []).toEqual([]);
  });

  it('leaves GraphQL requests to the server', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json, application/json', '*/*']) {
      const res = await get('/graphql', { Accept: accept });
      expect(res.headers.get('x-fallthrough'), accept).toBe('1');
    }
    const withQuery = await get(`/graphql?query=${encodeURIComponent('{ hello }')}`, {
      Accept: BROWSER_ACCEPT,
    });
    expect(withQuery.headers.get('x-fallthrough')).toBe('1');
    const post = await fetch(`${server.origin}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: BROWSER_ACCEPT },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    expect(await post.json()).toEqual({ data: { hello: 'from fleetgraph' } });
    expect((await get('/elsewhere', { Accept: BROWSER_ACCEPT })).headers.get('x-fallthrough')).toBe('1');
  });

  it('redirects / to the GraphQL path', async () => {
    const res = await get('/', { Accept: BROWSER_ACCEPT });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/graphql');
  });

  it('serves the assets with their content types, ETags and cache headers', async () => {
    const types: Record<string, string> = {
      'react.production.min.js': 'text/javascript; charset=utf-8',
      'react-dom.production.min.js': 'text/javascript; charset=utf-8',
      'graphiql.min.js': 'text/javascript; charset=utf-8',
      'graphql-ws.min.js': 'text/javascript; charset=utf-8',
      'explorer.js': 'text/javascript; charset=utf-8',
      'graphiql.min.css': 'text/css; charset=utf-8',
      'explorer.css': 'text/css; charset=utf-8',
    };
    for (const [name, type] of Object.entries(types)) {
      const res = await get(`/graphql/explorer/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toBe(type);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(res.headers.get('cache-control'), name).toBe('no-cache');
      const etag = res.headers.get('etag');
      expect(etag, name).toMatch(/^"[\w-]+"$/);
      expect((await res.arrayBuffer()).byteLength, name).toBeGreaterThan(0);

      const again = await get(`/graphql/explorer/${name}`, { 'If-None-Match': etag ?? '' });
      expect(again.status, name).toBe(304);
      expect(again.headers.get('etag'), name).toBe(etag);
    }
    const graphiql = await (await get('/graphql/explorer/graphiql.min.js')).text();
    expect(graphiql).toContain('createFetcher');
  });

  it('lets the versioned URLs in the page be cached for good', async () => {
    const html = await (await get('/graphql', { Accept: BROWSER_ACCEPT })).text();
    const src = /src="(\/graphql\/explorer\/graphiql\.min\.js\?v=[\w-]+)"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const res = await get(src ?? '');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const stale = await get('/graphql/explorer/graphiql.min.js?v=old');
    expect(stale.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers HEAD without a body, 404 for unknown assets and 405 for other methods', async () => {
    const head = await get('/graphql/explorer/graphql-ws.min.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
    const page = await get('/graphql', { Accept: BROWSER_ACCEPT }, 'HEAD');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');

    for (const name of ['nope.js', 'index.umd.js.map', '../package.json', '__proto__', '']) {
      expect((await get(`/graphql/explorer/${name}`)).status, name).toBe(404);
    }
    expect((await get('/graphql/explorer/explorer.js', {}, 'POST')).status).toBe(405);
  });

  it('serves gzip to clients that take it', async () => {
    const res = await get('/graphql/explorer/graphiql.min.js', { 'Accept-Encoding': 'gzip' });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(await res.text()).toContain('createFetcher'); // fetch decodes it
  });
});

describe('explorer options', () => {
  it('serves under a custom path and encodes title and default query safely', async () => {
    const options: ExplorerOptions = {
      graphqlPath: '/api/graphql',
      title: '</title><script>alert(1)</script>',
      defaultQuery: '# </script><!-- \u2028 "quoted" \n{ hello }',
    };
    const server = await startServer(createExplorer(options), '/api/graphql');
    try {
      const res = await fetch(`${server.origin}/api/graphql`, { headers: { Accept: BROWSER_ACCEPT } });
      const html = await res.text();
      expect(html).toContain('<title>&#60;/title&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>');
      expect(html).toContain('/api/graphql/explorer/explorer.js?v=');
      const redirect = await fetch(`${server.origin}/`, { redirect: 'manual' });
      expect(redirect.headers.get('location')).toBe('/api/graphql');

      const boot = await (await fetch(`${server.origin}/api/graphql/explorer/explorer.js`)).text();
      expect(boot).not.toContain('</script>');
      expect(boot).not.toContain('\u2028');
      const json = /var config = (.*);\n/.exec(boot)?.[1] ?? '';
      expect(JSON.parse(json)).toEqual({ graphqlPath: '/api/graphql', defaultQuery: options.defaultQuery });
      expect(
        (await fetch(`${server.origin}/graphql/explorer/explorer.js`)).headers.get('x-fallthrough'),
      ).toBe('1');
    } finally {
      await server.close();
    }
  });

  it('rejects a relative graphqlPath', () => {
    expect(() => createExplorer({ graphqlPath: 'graphql' })).toThrow(/must start with '\/'/);
  });

  it('tells browser navigations from GraphQL clients by Accept', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('text/html;q=0.5, application/json')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, text/html;q=0.9')).toBe(false);
    expect(prefersHtml('text/html, application/json;q=0.1, */*')).toBe(true);
  });
});

/** Runs in the page: is a <style> element's sheet applied (one blocked by the CSP has none)? A function, not a string: the page's CSP forbids eval. */
function hasStyleElementSheet(): boolean {
  const { document } = globalThis as unknown as {
    document: { styleSheets: Iterable<{ ownerNode: { nodeName: string } | null }> };
  };
  return [...document.styleSheets].some((sheet) => sheet.ownerNode?.nodeName === 'STYLE');
}

describe('explorer in a browser', () => {
  let server: TestServer; // unset when beforeAll failed: afterAll guards
  let browser: Browser | undefined;
  let context: BrowserContext;
  const requests: string[] = [];
  const sockets: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium("The explorer's browser test");
    server = await startServer(createExplorer());
    context = await browser.newContext();
    // What a user would have typed into the Headers tab earlier (GraphiQL persists it there).
    // (Init scripts also run in about:blank, where localStorage is off limits.)
    const headers = JSON.stringify(JSON.stringify({ Authorization: 'Bearer t0ken' }));
    await context.addInitScript({
      content: `if (location.protocol === 'http:') localStorage.setItem('graphiql:headers', ${headers});`,
    });
    context.on('request', (request) => requests.push(request.url()));
    context.on('page', (page) => {
      page.on('websocket', (ws) => sockets.push(ws.url()));
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the explorer deep-linked to `query`, runs it, and waits until the result pane shows `expected`. */
  async function run(query: string, expected: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.origin}/graphql#query=${encodeURIComponent(query)}`);
    const button = page.locator('.graphiql-execute-button');
    await button.waitFor({ state: 'visible', timeout: LOAD_TIMEOUT });
    await page
      .locator('.graphiql-query-editor')
      .filter({ hasText: query })
      .waitFor({ timeout: LOAD_TIMEOUT });
    await button.click();
    await page.locator('.result-window').filter({ hasText: expected }).waitFor({ timeout: LOAD_TIMEOUT });
    return page;
  }

  it(
    'runs a query over HTTP and a subscription over graphql-ws, all from the gateway, within its CSP',
    { timeout: 120_000 },
    async () => {
      const queryPage = await run('{ hello }', '"hello": "from fleetgraph"');
      expect(server.posts.map((p) => p.query)).toContain('{ hello }');
      expect(server.posts.find((p) => p.query === '{ hello }')?.authorization).toBe('Bearer t0ken');

      // GraphiQL's dialogs add a scroll-lock <style> element; it must carry the page's CSP nonce to apply.
      await queryPage.locator('[aria-label="Open settings dialog"]').click();
      await queryPage.getByRole('dialog').waitFor({ timeout: LOAD_TIMEOUT });
      await queryPage.waitForFunction(hasStyleElementSheet, undefined, { timeout: LOAD_TIMEOUT });
      await queryPage.keyboard.press('Escape');
      await queryPage.getByRole('dialog').waitFor({ state: 'detached', timeout: LOAD_TIMEOUT });
      await queryPage.close();

      const subscription = 'subscription { ticks(count: 3) }';
      const subscriptionPage = await run(subscription, '"ticks": 3');
      expect(server.subscribes).toEqual([subscription]);
      expect(server.connections).toEqual([{ Authorization: 'Bearer t0ken' }]);
      const wsUrl = `${server.origin.replace(/^http:/, 'ws:')}/graphql`;
      expect(sockets).toEqual([wsUrl]);
      // the address bar keeps the deep link to what is on screen
      expect(new URLSearchParams(new URL(subscriptionPage.url()).hash.slice(1)).get('query')).toBe(
        subscription,
      );
      await subscriptionPage.close();

      expect(requests.length).toBeGreaterThan(0);
      expect(requests.filter((url) => !url.startsWith(`${server.origin}/`))).toEqual([]);
      expect(problems).toEqual([]);
    },
  );
});
