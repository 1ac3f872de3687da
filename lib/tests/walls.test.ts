import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The walls between packages (eslint.config.js, conventions.md section 3): each snippet is linted as if it were the
 * file at `path`, through the repository's own config, and must be refused (or allowed) by no-restricted-imports.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** the no-restricted-imports errors for `import ... from '<specifier>'` in the file at `path` (from the repo root) */
async function restricted(path: string, specifier: string): Promise<string[]> {
  const code = `import { x } from '${specifier}';\nexport const y = x;\n`;
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}`, warnIgnored: true });
  if (!result) throw new Error(`no lint result for ${path}`);
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`${path}: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2)
    .map((m) => m.message);
}

/** [file, import] pairs that cross a wall */
const refused: Array<[string, string]> = [
  // lib imports no gateway, subgraph, kube-sim or tests code
  ['lib/src/x.ts', '../../gateway/src/config.ts'],
  ['lib/src/kube/x.ts', '../../../gateway/src/config.ts'],
  ['lib/src/x.ts', '@fleetgraph/gateway'],
  ['lib/src/x.ts', '@fleetgraph/subgraph-clusters'],
  ['lib/src/subgraph/x.ts', '../../../subgraphs/clusters/src/model.ts'],
  ['lib/src/x.ts', '@fleetgraph/kube-sim'],
  ['lib/src/kube/x.ts', '../../../kube-sim/src/index.ts'],
  ['lib/src/testing/x.ts', '../../../kube-sim/tests/support.ts'],
  ['lib/src/x.ts', '../../tests/harness/stack.ts'],
  ['lib/tests/x.test.ts', '../../gateway/src/createGateway.ts'],
  ['lib/tests/x.test.ts', '@fleetgraph/subgraph-workloads'],
  ['lib/tests/x.test.ts', '../../tests/harness/stack.ts'],
  // subgraphs never import each other
  ['subgraphs/workloads/src/x.ts', '@fleetgraph/subgraph-clusters'],
  ['subgraphs/workloads/src/x.ts', '../../clusters/src/model.ts'],
  ['subgraphs/workloads/src/pods/x.ts', '../../../clusters/src/model.ts'],
  ['subgraphs/workloads/src/x.ts', '../../../subgraphs/clusters/src/model.ts'],
  ['subgraphs/clusters/tests/x.test.ts', '../../workloads/tests/workloads.test.ts'],
  ['subgraphs/clusters/tests/x.test.ts', '@fleetgraph/subgraph-workloads'],
  // production code never imports kube-sim or tests
  ['subgraphs/clusters/src/x.ts', '@fleetgraph/kube-sim'],
  ['subgraphs/clusters/src/x.ts', '../../../kube-sim/src/index.ts'],
  ['subgraphs/clusters/src/x.ts', '../tests/support.ts'],
  ['gateway/src/x.ts', '@fleetgraph/kube-sim'],
  ['gateway/src/auth/x.ts', '../../../kube-sim/src/fleets/users.ts'],
  ['gateway/src/x.ts', '../../tests/harness/browser.ts'],
  // the gateway does not depend on the Kubernetes layer, nor on subgraph code
  ['gateway/src/x.ts', '@fleetgraph/lib/kube'],
  ['gateway/src/x.ts', '@fleetgraph/lib/auth'],
  ['gateway/src/x.ts', '@fleetgraph/lib/subgraph'],
  ['gateway/src/x.ts', '@kubernetes/client-node'],
  ['gateway/src/subscriptions/x.ts', '../../../lib/src/kube/index.ts'],
  ['gateway/tests/x.test.ts', '@fleetgraph/lib/kube'],
  ['gateway/src/x.ts', '@fleetgraph/subgraph-clusters'],
  // only lib/kube imports client-node
  ['lib/src/auth/x.ts', '@kubernetes/client-node'],
  ['subgraphs/clusters/src/x.ts', '@kubernetes/client-node'],
  ['kube-sim/src/x.ts', '@kubernetes/client-node'],
];

/** [file, import] pairs on the allowed side of every wall */
const allowed: Array<[string, string]> = [
  ['subgraphs/workloads/src/x.ts', '@fleetgraph/lib/kube'],
  ['subgraphs/workloads/src/pods/x.ts', '../subgraph.ts'],
  ['subgraphs/clusters/src/gateways/x.ts', '../upgrades/model.ts'],
  ['subgraphs/workloads/tests/x.test.ts', '@fleetgraph/kube-sim'],
  ['subgraphs/clusters/tests/x.test.ts', '../../../kube-sim/tests/support.ts'],
  ['subgraphs/clusters/tests/x.test.ts', '../src/subgraph.ts'],
  ['gateway/src/x.ts', '@fleetgraph/lib/async'],
  ['gateway/src/x.ts', '@fleetgraph/lib/identity'],
  ['gateway/src/x.ts', '@fleetgraph/lib/server'],
  ['gateway/tests/x.test.ts', '@fleetgraph/lib/subgraph'],
  ['gateway/tests/x.test.ts', '../../tests/harness/browser.ts'],
  ['lib/src/kube/x.ts', '@kubernetes/client-node'],
  ['lib/src/kube/x.ts', '../async/index.ts'],
  ['lib/src/testing/x.ts', '../kube/index.ts'],
  ['lib/tests/x.test.ts', '@fleetgraph/kube-sim'],
  ['lib/tests/x.test.ts', '../../kube-sim/tests/support.ts'],
  ['lib/tests/x.test.ts', '@kubernetes/client-node'],
  ['kube-sim/tests/x.test.ts', '@kubernetes/client-node'],
  ['tests/e2e/x/x.e2e.ts', '@fleetgraph/kube-sim'],
  ['bench/x.bench.ts', '../gateway/src/createGateway.ts'],
];

describe('the walls between packages', () => {
  it.each(refused)('%s may not import %s', async (path, specifier) => {
    expect(await restricted(path, specifier)).not.toEqual([]);
  });

  it.each(allowed)('%s may import %s', async (path, specifier) => {
    expect(await restricted(path, specifier)).toEqual([]);
  });

  it('says which wall was crossed', async () => {
    expect(await restricted('subgraphs/workloads/src/x.ts', '../../clusters/src/model.ts')).toEqual([
      expect.stringContaining('Subgraphs never import each other'),
    ]);
    expect(await restricted('gateway/src/x.ts', '@fleetgraph/lib/kube')).toEqual([
      expect.stringContaining('does not depend on the Kubernetes layer'),
    ]);
  });
});
