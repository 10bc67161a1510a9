import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources (one copy of each package in the process);
// test/api.test.ts separately checks the built packages by name in a child Node process.
export default defineConfig({
  resolve: {
    // Exact matches, so that '@jacobi/nn/node' does not resolve inside '@jacobi/nn'.
    alias: [
      { find: /^@jacobi\/tensor$/, replacement: here('./packages/tensor/src/index.ts') },
      { find: /^@jacobi\/tensor\/wasm$/, replacement: here('./packages/tensor/src/wasm.ts') },
      { find: /^@jacobi\/nn$/, replacement: here('./packages/nn/src/index.ts') },
      { find: /^@jacobi\/nn\/node$/, replacement: here('./packages/nn/src/node.ts') },
      { find: /^@jacobi\/onnx$/, replacement: here('./packages/onnx/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 60_000,
  },
});
