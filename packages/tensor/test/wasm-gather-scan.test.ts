// The WASM running-sum, gather and scatter-add kernels against the JS ones, bit for bit: random
// shapes with widths that are not a multiple of the vector width, both directions, special values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../src/dtype.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { alloc, countingFallback, firstDifference, randomArray, seededUniform } from './kernel-support.js';

const wasm = createWasmBackend({ smallToFallback: false });
const DTYPES: readonly DType[] = ['float32', 'float64'];

/** Seeded data with some NaN, ±∞ and −0 entries, and magnitudes spread over a few decades. */
function data(dtype: DType, n: number, seed: number, specials: boolean): TypedArray {
  const x = randomArray(dtype, n, seed);
  const r = seededUniform(seed + 1);
  for (let i = 0; i < n; i++) x[i] = x[i]! * 10 ** Math.floor(r() * 6 - 2);
  if (specials && n > 0) for (const v of [Number.NaN, Infinity, -0]) x[Math.floor(r() * n)] = v;
  return x;
}

describe('wasm cumsum', () => {
  it('matches the JS kernel bit for bit on random shapes, axes and directions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, shape, pick, reverse, specials, seed) => {
          const axis = pick % shape.length;
          const size = shape.reduce((p, d) => p * d, 1);
          const x = data(dtype, size, seed, specials);
          const want = alloc(dtype, size);
          const got = alloc(dtype, size);
          jsBackend.cumsum(x, shape, axis, reverse, want);
          wasm.cumsum(x, shape, axis, reverse, got);
          const at = firstDifference(got, want);
          if (at >= 0) expect.fail(`${dtype} ${shape} axis ${axis} reverse ${reverse} [${at}]: ${got[at]} vs ${want[at]}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stages lines longer than a block, and many short lines, in both directions', () => {
    for (const dtype of DTYPES) {
      for (const [shape, axis] of [
        [[3, 70_001], 1],
        [[70_001, 3], 0],
        [[5, 9_000, 7], 1],
        [[40_000, 5], 1],
      ] as const) {
        const size = shape.reduce((p: number, d) => p * d, 1);
        const x = data(dtype, size, 3, false);
        for (const reverse of [false, true]) {
          const want = alloc(dtype, size);
          const got = alloc(dtype, size);
          jsBackend.cumsum(x, shape, axis, reverse, want);
          wasm.cumsum(x, shape, axis, reverse, got);
          expect(firstDifference(got, want), `${dtype} ${shape} axis ${axis} reverse ${reverse}`).toBe(-1);
        }
      }
    }
  });
});

describe('wasm scatterAdd', () => {
  const run = (dtype: DType, outer: number, n: number, inner: number, indices: Int32Array, seed: number, specials: boolean) => {
    const g = data(dtype, outer * indices.length * inner, seed, specials);
    const want = alloc(dtype, outer * n * inner);
    const got = alloc(dtype, outer * n * inner).fill(7);
    jsBackend.scatterAdd(g, outer, n, inner, indices, want);
    wasm.scatterAdd(g, outer, n, inner, indices, got);
    return { got, want };
  };

  it('matches the JS kernel bit for bit (repeated indices, widths around the vector width)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 62, max: 70 })),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, outer, n, inner, m, specials, seed) => {
          const r = seededUniform(seed);
          const indices = Int32Array.from({ length: m }, () => Math.floor(r() * n));
          const { got, want } = run(dtype, outer, n, inner, indices, seed, specials);
          const at = firstDifference(got, want);
          if (at >= 0) expect.fail(`${dtype} [${outer},${n},${inner}] m ${m} [${at}]: ${got[at]} vs ${want[at]}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('runs in WASM for wide rows and for rows that must repeat, in the JS kernel otherwise', () => {
    const counting = countingFallback(['scatterAdd']);
    const routed = createWasmBackend({ smallToFallback: false, fallback: counting.backend });
    const cases = [
      { n: 50, inner: 67, m: 10, inWasm: true },
      { n: 3, inner: 5, m: 40, inWasm: true },
      { n: 50, inner: 16, m: 10, inWasm: false },
    ];
    for (const dtype of DTYPES) {
      for (const { n, inner, m, inWasm } of cases) {
        const indices = Int32Array.from({ length: m }, (_, j) => (j * 7) % n);
        const g = data(dtype, 2 * m * inner, m, true);
        const want = alloc(dtype, 2 * n * inner);
        const got = alloc(dtype, 2 * n * inner);
        jsBackend.scatterAdd(g, 2, n, inner, indices, want);
        const before = counting.calls();
        routed.scatterAdd(g, 2, n, inner, indices, got);
        expect(firstDifference(got, want)).toBe(-1);
        expect(counting.calls() - before, `[${n},${inner}] m ${m}`).toBe(inWasm ? 0 : 1);
      }
    }
  });
});

describe('wasm gather', () => {
  it('is the JS kernel (a row copy already runs at memory speed; staging the table would cost more)', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const out = new Float32Array(6);
    wasm.gather(x, 1, 4, 3, Int32Array.of(3, 1), out);
    expect([...out]).toEqual([9, 10, 11, 3, 4, 5]);
  });
});
