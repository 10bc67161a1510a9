// The WASM running-sum, gather and scatter-add kernels against the JS ones, bit for bit: random
// shapes with widths that are not a multiple of the vector width, both directions, special values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../src/dtype.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { alloc, randomArray, seededUniform } from './kernel-support.js';

const wasm = createWasmBackend({ smallToFallback: false });
const DTYPES: readonly DType[] = ['float32', 'float64'];

/** The first index where `got` and `want` differ (NaN equal to NaN, −0 not equal to 0), or −1. */
function firstDifference(got: TypedArray, want: TypedArray): number {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

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
