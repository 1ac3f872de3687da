import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

/**
 * The gateway does not depend on the Kubernetes layer: walking the modules it loads at run time (type-only imports
 * are erased and do not count) from gateway/src/main.ts reaches no file of lib/src/kube, lib/src/auth's authorizer,
 * and not @kubernetes/client-node. The lint walls forbid the direct imports; this catches the indirect ones (an
 * index that re-exports the Kubernetes layer).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const libExports = (
  JSON.parse(readFileSync(join(root, 'lib', 'package.json'), 'utf8')) as { exports: Record<string, string> }
).exports;

/** runtime import specifiers of a module (not `import type`, not `export type`) */
function runtimeImports(source: string): string[] {
  const specs: string[] = [];
  const re = /^(?:import|export)\s+(type\s+)?(?:[\s\S]*?\sfrom\s+)?'([^']+)';/gm;
  for (const m of source.matchAll(re)) {
    if (m[1]) continue;
    const clause = m[0];
    // `import { type A, type B } from` imports nothing at run time either
    const names = /\{([\s\S]*)\}/.exec(clause)?.[1];
    if (names && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '))) continue;
    specs.push(m[2] ?? '');
  }
  return specs;
}

function resolveSpec(from: string, spec: string): string | undefined {
  if (spec.startsWith('.')) return resolve(dirname(from), spec);
  const lib = /^@fleetgraph\/lib\/(.+)$/.exec(spec);
  if (lib) {
    const target = libExports[`./${lib[1]}`];
    if (!target) throw new Error(`${from}: ${spec} is not exported by @fleetgraph/lib`);
    return join(root, 'lib', target);
  }
  return undefined;
}

function loadedFrom(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() ?? '';
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      const target = resolveSpec(file, spec);
      if (target) todo.push(target);
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the gateway layering', () => {
  it('loads no Kubernetes code at run time', () => {
    const { files, packages } = loadedFrom(join(root, 'gateway', 'src', 'main.ts'));
    const rel = [...files].map((f) => relative(root, f));
    expect(rel).toContain('gateway/src/createGateway.ts');
    expect(rel).toContain('lib/src/identity/index.ts');
    expect(rel.filter((f) => f.startsWith('lib/src/kube/') || f === 'lib/src/auth/authorizer.ts')).toEqual(
      [],
    );
    expect([...packages].filter((p) => p.startsWith('@kubernetes/'))).toEqual([]);
  });

  it('would notice: a subgraph does load it', () => {
    const { files } = loadedFrom(join(root, 'subgraphs', 'workloads', 'src', 'main.ts'));
    expect([...files].some((f) => relative(root, f).startsWith('lib/src/kube/'))).toBe(true);
  });
});
