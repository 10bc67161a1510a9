// jit on the WebAssembly backend's threaded paths: random programs of products, elementwise
// steps, row sums, softmax and where over [64, 64] float32 values (16 KiB, the size from which
// the threads' memory keeps resident copies) and [256, 256] ones (large enough for a fused
// kernel to split into several units), on a backend that splits every product and every fused
// kernel across its threads. From the third call a program runs lowered, its intermediates at
// fixed places in the backend's memory and rewritten at every call; each of eight calls, on new
// inputs, must give the eager values and gradients bit for bit. (The random graphs of test/ use
// tensors of at most 24 elements, which never reach these paths.)
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loweredReplays } from '../src/core/lowered.js';
import { RUNS } from './support.js';
import { firstDifference } from './kernel-support.js';

// Products are scaled by 1/8 so that values stay of order one through a chain of them.
const OPS = {
  matmul: (u, v) => u.matmul(v).mul(0.125),
  matmulT: (u, v) => u.transpose().matmul(v).mul(0.125),
  add: (u, v) => u.add(v),
  mul: (u, v) => u.mul(v),
  tanh: (u) => u.tanh(),
  sigmoid: (u) => u.sigmoid(),
  scaled: (u, v) => u.mul(0.5).add(v.mul(-0.25)),
  rowSums: (u, v) => u.sum(1, true).mul(0.125).mul(v),
  softmax: (u) => J.softmax(u, 1),
  relu: (u) => u.relu(),
  larger: (u, v) => J.where(u.greater(v), u, v),
} satisfies Record<string, (u: Tensor, v: Tensor) => Tensor>;

/** One step: which operation, on which earlier values (indices into the values so far, modulo their count). */
interface Step {
  readonly op: keyof typeof OPS;
  readonly a: number;
  readonly b: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom(...(Object.keys(OPS) as (keyof typeof OPS)[])),
  a: fc.nat(),
  b: fc.nat(),
});

/** The program's function of its two inputs: the last step's value. */
function program(steps: readonly Step[]): (x: Tensor, w: Tensor) => Tensor {
  return (x, w) => {
    const values = [x, w];
    for (const { op, a, b } of steps) values.push(OPS[op](values[a % values.length]!, values[b % values.length]!));
    return values[values.length - 1]!;
  };
}

const input = (side: number, seed: number): Tensor => J.randn([side, side], { rng: J.rng(seed) });

/** The first index where two tensors' elements differ (NaN equal to NaN), or -1. */
const differsAt = (got: Tensor, want: Tensor): number => firstDifference(got.data(), want.data());

describe('jit on the threaded paths of the WebAssembly backend', () => {
  const initial = J.getBackend();
  const backend = createWasmBackend({ threads: 2, threadThreshold: 1, fusedThreadThreshold: 1 });
  beforeAll(async () => {
    // Without the workers nothing would run threaded and this would test the single-threaded paths again.
    expect(await backend.threadsReady()).toBe(2);
    J.setBackend(backend);
  });
  afterAll(() => {
    J.setBackend(initial);
    backend.dispose();
  });

  it.each([
    { side: 64, runs: RUNS },
    { side: 256, runs: Math.max(1, Math.round(RUNS / 3)) },
  ])('gives the eager values and gradients at every call, lowered calls included, on [$side, $side] values', ({ side, runs }) => {
    const lowered = loweredReplays();
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 6 }), fc.nat(1000), (steps, seed) => {
        const f = program(steps);
        const loss = (x: Tensor, w: Tensor): Tensor => f(x, w).sum();
        const jf = J.jit(f);
        const jg = J.jit(J.valueAndGrad(loss, { argnums: [0, 1] }));
        const g = J.valueAndGrad(loss, { argnums: [0, 1] });
        const w = input(side, seed);
        for (let call = 0; call < 8; call++) {
          const x = input(side, seed + 1 + call);
          const label = `${JSON.stringify(steps)}, call ${call}`;
          expect(differsAt(jf(x, w), f(x, w)), label).toBe(-1);
          const [value, grads] = jg(x, w);
          const [want, wantGrads] = g(x, w);
          expect(differsAt(value, want), `value, ${label}`).toBe(-1);
          grads.forEach((gi, i) => expect(differsAt(gi, wantGrads[i]!), `gradient ${i}, ${label}`).toBe(-1));
        }
      }),
      { numRuns: runs },
    );
    // The lowered replay ran (the calls from the third on of every program), long enough for a
    // value read at every call to reach the threads' copies (at its third read).
    expect(loweredReplays() - lowered).toBeGreaterThanOrEqual(runs * 6);
  });
});
