// backendMemoryBytes: the WebAssembly backend reports its linear memory, which grows to the
// largest call's scratch and then stays put however many calls of that size follow (jit and
// eager alike); the JS backend holds none.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const initial = J.getBackend();
afterEach(() => J.setBackend(initial));

describe('backendMemoryBytes', () => {
  it('is 0 on the JS backend', () => {
    J.setBackend('js');
    J.ones([64, 64]).matmul(J.ones([64, 64]));
    expect(J.backendMemoryBytes()).toBe(0);
  });

  it('reports the WebAssembly memory, flat over repeated steps once the first has sized it', () => {
    const wasm = createWasmBackend({ threads: 1 });
    J.setBackend(wasm);
    const w = J.randn([256, 128], { rng: J.rng(1) });
    const x = J.randn([64, 256], { rng: J.rng(2) });
    const step = J.jit((v: J.Tensor) => J.grad((u: J.Tensor) => x.matmul(u).tanh().sum())(v));
    step(w);
    x.matmul(w).exp().sum();
    const sized = J.backendMemoryBytes();
    expect(sized).toBeGreaterThan(64 * 256 * 4);
    expect(sized).toBe(wasm.memoryBytes());
    for (let i = 0; i < 50; i++) {
      step(w);
      x.matmul(w).exp().sum();
    }
    expect(J.backendMemoryBytes()).toBe(sized);
    // A larger product grows it.
    J.randn([512, 512], { rng: J.rng(3) }).matmul(J.randn([512, 512], { rng: J.rng(4) }));
    expect(J.backendMemoryBytes()).toBeGreaterThan(sized);
  });
});
