/**
 * Templates for the explorer's generated files: the HTML page, its stylesheet and its boot script.
 *
 * The page carries no inline script or style (its Content-Security-Policy allows only 'self'), so the boot script
 * is a served asset, `explorer.js`, with the options embedded as JSON made safe for any context.
 */

/** What the templates need: the options after defaults, and the URL of each asset (versioned by content). */
export interface PageInput {
  graphqlPath: string;
  title: string;
  defaultQuery: string;
  /** asset name → URL path, e.g. `graphiql.min.js` → `/graphql/explorer/graphiql.min.js?v=…` */
  assetUrl: (name: string) => string;
}

/**
 * The page's Content-Security-Policy: scripts, styles and connections from the page's own origin only.
 *
 * One exception, for styles: GraphiQL's dialogs lock scrolling with a `<style>` element that react-remove-scroll
 * creates at run time. It carries the nonce it finds in `__webpack_nonce__`, which explorer.js sets from its own
 * script element, so `nonce` (fresh for every response) admits those elements and nothing else. Scripts get no nonce.
 */
export function toContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    // GraphiQL's stylesheet embeds its fonts and icons as data: URLs.
    "img-src 'self' data:",
    "font-src 'self' data:",
    // 'self' covers ws:// and wss:// to the page's own host (CSP Level 3), which is where graphql-ws connects.
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The page; `nonce` is the response's CSP nonce (see toContentSecurityPolicy), base64 so it needs no escaping. */
export function toHtml(input: PageInput, nonce: string): string {
  const url = (name: string): string => escapeHtml(input.assetUrl(name));
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${escapeHtml(input.title)}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${url('graphiql.min.css')}" />
    <link rel="stylesheet" href="${url('explorer.css')}" />
  </head>
  <body>
    <div id="graphiql">Loading the explorer…</div>
    <script src="${url('react.production.min.js')}"></script>
    <script src="${url('react-dom.production.min.js')}"></script>
    <script src="${url('graphiql.min.js')}"></script>
    <script src="${url('graphql-ws.min.js')}"></script>
    <script src="${url('explorer.js')}" nonce="${escapeHtml(nonce)}"></script>
  </body>
</html>
`;
}

export const EXPLORER_CSS = `html, body { height: 100%; margin: 0; overflow: hidden; }
#graphiql { height: 100vh; }
`;

export function toBootScript(input: PageInput): string {
  const config = toSafeJson({ graphqlPath: input.graphqlPath, defaultQuery: input.defaultQuery });
  return `/* fleetgraph explorer: boots GraphiQL against this gateway (HTTP for queries, graphql-ws for subscriptions). */
(function () {
  'use strict';
  var config = ${config};

  // The CSP nonce for the <style> elements GraphiQL's dialogs create (react-remove-scroll reads __webpack_nonce__).
  var script = document.currentScript;
  if (script && script.nonce) window.__webpack_nonce__ = script.nonce;

  // Deep links: #query=…&variables=… (the hash, so that GET <graphql path>?query=… stays a GraphQL request);
  // ?variables=… and ?operationName=… in the search part are honoured too.
  var hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  var search = new URLSearchParams(location.search);
  function param(name) {
    var value = hash.get(name);
    if (value === null) value = search.get(name);
    return value === null ? undefined : value;
  }

  var httpUrl = location.origin + config.graphqlPath;
  var wsUrl = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + config.graphqlPath;

  // Browsers cannot set headers on a WebSocket upgrade. So the Authorization header typed into GraphiQL's header
  // editor is sent as connectionParams.Authorization in graphql-ws's ConnectionInit instead. GraphiQL persists the
  // editors in localStorage (shouldPersistHeaders below): the active tab's headers in 'graphiql:tabState', or
  // 'graphiql:headers' before GraphiQL has moved them into a tab. It is read at every (re)connect, and the socket
  // closes once no subscription is left, so an edited header applies from the next subscription on.
  function connectionParams() {
    try {
      var state = JSON.parse(localStorage.getItem('graphiql:tabState') || 'null');
      var tab = state && state.tabs && state.tabs[state.activeTabIndex];
      var saved = JSON.parse((tab && tab.headers) || localStorage.getItem('graphiql:headers') || '{}');
      for (var key in saved) {
        if (key.toLowerCase() === 'authorization' && typeof saved[key] === 'string') {
          return { Authorization: saved[key] };
        }
      }
    } catch (e) {
      // nothing saved, or not JSON (yet): connect without credentials
    }
    return {};
  }

  // Keep the hash in step with the editors, so the address bar is always a deep link to what is on screen.
  function remember(name) {
    return function (value) {
      if (value) hash.set(name, value);
      else hash.delete(name);
      history.replaceState(null, '', '#' + hash.toString());
    };
  }

  var fetcher = GraphiQL.createFetcher({
    url: httpUrl,
    wsClient: graphqlWs.createClient({ url: wsUrl, connectionParams: connectionParams }),
  });

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      query: param('query'),
      variables: param('variables'),
      operationName: param('operationName'),
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      onEditQuery: remember('query'),
      onEditVariables: remember('variables'),
    }),
  );
})();
`;
}

/** JSON that is also safe inside HTML and in any JavaScript context (no `<`, `>`, `&`, U+2028 or U+2029 as such). */
export function toSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
