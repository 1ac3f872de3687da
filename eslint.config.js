// Boundary rules only (conventions.md section 11): type-aware lint is left to tsc.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.fleetgraph/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@kubernetes/client-node',
              message: 'Only lib/kube (and kube-sim tests) may import @kubernetes/client-node.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/src/kube/**/*.ts', 'kube-sim/tests/**/*.ts', 'bench/**/*.ts', 'lib/tests/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
