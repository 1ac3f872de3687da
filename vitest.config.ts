import { createRequire } from 'node:module';

import { defineConfig } from 'vitest/config';

const isCI = Boolean(process.env['CI']);
const require = createRequire(import.meta.url);

/**
 * One graphql for everything: Node (and so graphql-ws, @apollo/*) loads graphql's CommonJS build, while vite would
 * pick its `.mjs` build for test files, and a schema from one copy fails in the other ("another module or realm").
 */
const resolve = { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['**/tests/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          name: 'e2e',
          include: ['**/*.e2e.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          retry: isCI ? 3 : 0,
        },
      },
    ],
  },
});
