// Boundary rules only (conventions.md section 11): type-aware lint is left to tsc.
//
// The walls between packages (conventions.md section 3) are `no-restricted-imports` options, one block per folder.
// ESLint does not merge a rule's options across blocks: for each file, the LAST block that matches it and sets the
// rule wins outright. So every block below carries the whole set of walls for its folder (built by `walls()`), and
// the blocks go from the broadest folder to the narrowest. lib/tests/walls.test.ts checks each wall.
// Dynamic `import()` is not checked by this rule.
import { existsSync, readdirSync } from 'node:fs';

import tseslint from 'typescript-eslint';

/** the subgraph packages: every subgraphs/<name>/ with a package.json */
const SUBGRAPHS = readdirSync(new URL('./subgraphs/', import.meta.url), { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && existsSync(new URL(`./subgraphs/${d.name}/package.json`, import.meta.url)),
  )
  .map((d) => d.name);

/** a relative specifier: `./x`, `../x`, `./../x` */
const REL = String.raw`^\.{1,2}/`;
/** a relative specifier that only climbs before naming its first folder (`../../gateway/...`) */
const UP = String.raw`^(?:\./)?(?:\.\./)+`;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const oneOf = (names) => `(?:${names.map(escape).join('|')})`;

const CLIENT_NODE = {
  name: '@kubernetes/client-node',
  message: 'Only lib/kube (and kube-sim tests) may import @kubernetes/client-node.',
};

/**
 * The `no-restricted-imports` options for one folder.
 * @param {object} w
 * @param {boolean} [w.clientNode] only lib/kube may import @kubernetes/client-node
 * @param {boolean} [w.lib] lib imports no gateway, subgraph, kube-sim or tests code
 * @param {boolean} [w.libTests] as `lib`, but kube-sim is allowed (lib's own tests run against it)
 * @param {boolean} [w.production] production code imports neither kube-sim nor any tests folder
 * @param {boolean} [w.gateway] the gateway depends neither on the Kubernetes layer nor on subgraph code (pair it with
 *   `clientNode`)
 * @param {string} [w.subgraph] this subgraph imports no other subgraph
 */
function walls(w) {
  const paths = [];
  const patterns = [];
  if (w.clientNode) {
    paths.push(CLIENT_NODE);
    patterns.push({ regex: '^@kubernetes/client-node/', message: CLIENT_NODE.message });
  }
  if (w.lib || w.libTests) {
    const away = w.lib ? ['gateway', 'subgraphs', 'kube-sim', 'tests'] : ['gateway', 'subgraphs', 'tests'];
    const packages = w.lib
      ? ['gateway', 'subgraph-[^/]+', 'kube-sim', 'tests']
      : ['gateway', 'subgraph-[^/]+', 'tests'];
    const message = `lib is imported by the gateway, the subgraphs and the tests, never the other way round (${away.join(', ')}).`;
    patterns.push(
      { regex: `^@fleetgraph/(?:${packages.join('|')})(?:/|$)`, message },
      { regex: `${UP}${oneOf(away)}(?:/|$)`, message },
    );
  }
  if (w.production) {
    const message = 'Production code never imports kube-sim or test code; only tests may.';
    patterns.push(
      { regex: '^@fleetgraph/(?:kube-sim|tests)(?:/|$)', message },
      { regex: `${REL}(?:.*/)?(?:kube-sim|tests)(?:/|$)`, message },
    );
  }
  if (w.gateway) {
    const kube =
      'The gateway does not depend on the Kubernetes layer (generic pieces live in lib/async and others).';
    const subgraphs =
      'The gateway reaches subgraphs over HTTP and composes from schema/, never by importing their code.';
    paths.push({ name: '@fleetgraph/lib/kube', message: kube });
    // lib/auth (the authorizer) and lib/subgraph (the domain kit) load the Kubernetes layer: the gateway takes the
    // signed identity from lib/identity and its HTTP host from lib/server (gateway/tests/layering.test.ts)
    if (w.production)
      paths.push(
        {
          name: '@fleetgraph/lib/auth',
          message: `${kube} Take the signed identity from @fleetgraph/lib/identity.`,
        },
        {
          name: '@fleetgraph/lib/subgraph',
          message: `${kube} Take the HTTP host from @fleetgraph/lib/server.`,
        },
      );
    patterns.push(
      { regex: '^@fleetgraph/lib/(?:src/)?kube/', message: kube },
      { regex: `${REL}(?:.*/)?lib/src/kube(?:/|$)`, message: kube },
      { regex: '^@fleetgraph/subgraph-', message: subgraphs },
      { regex: `${UP}subgraphs(?:/|$)`, message: subgraphs },
    );
  }
  if (w.subgraph) {
    const message =
      'Subgraphs never import each other: share through lib, or extend the other entity by key.';
    const others = SUBGRAPHS.filter((s) => s !== w.subgraph);
    patterns.push({ regex: '^@fleetgraph/subgraph-', message });
    // `../../workloads/src/x.ts` or `../../../subgraphs/workloads/...`; a feature folder never has src/ or tests/
    if (others.length > 0)
      patterns.push({
        regex: `${UP}(?:subgraphs/${oneOf(others)}(?:/|$)|${oneOf(others)}/(?:src|tests|package\\.json)(?:/|$))`,
        message,
      });
  }
  return ['error', { paths, patterns }];
}

const wall = (files, options) => ({ files, rules: { 'no-restricted-imports': walls(options) } });

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.fleetgraph/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': walls({ clientNode: true }),
    },
  },
  // broadest first: each later block replaces the options of the earlier ones for the files it matches
  wall(['lib/**/*.ts'], { clientNode: true, lib: true }),
  wall(['lib/src/**/*.ts'], { clientNode: true, lib: true, production: true }),
  wall(['lib/src/kube/**/*.ts'], { lib: true, production: true }),
  wall(['lib/tests/**/*.ts'], { libTests: true }),
  wall(['gateway/**/*.ts'], { clientNode: true, gateway: true }),
  wall(['gateway/src/**/*.ts'], { clientNode: true, gateway: true, production: true }),
  ...SUBGRAPHS.flatMap((name) => [
    wall([`subgraphs/${name}/**/*.ts`], { clientNode: true, subgraph: name }),
    wall([`subgraphs/${name}/src/**/*.ts`], { clientNode: true, subgraph: name, production: true }),
  ]),
  {
    files: ['kube-sim/tests/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
