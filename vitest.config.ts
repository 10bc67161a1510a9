import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources (one copy of each package in the process);
// test/api.test.ts separately checks the built packages by name in a child Node process.
export default defineConfig({
  resolve: {
    alias: {
      '@jacobi/tensor': here('./packages/tensor/src/index.ts'),
      '@jacobi/nn': here('./packages/nn/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
