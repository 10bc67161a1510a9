// Property tests: the WASM kernels between floats and bool masks (comparisons into a Uint8Array,
// where on a Uint8Array condition) against the JS reference backend, bit for bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../src/dtype.js';
import type { BinaryKernel, StridedView } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { alloc, countingFallback, seededUniform } from './kernel-support.js';

const DTYPES: readonly DType[] = ['float32', 'float64'];
const COMPARISONS: readonly BinaryKernel[] = ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'];

// Every supported case in WASM, also tiny ones, so that the padded last block is what is tested.
const fallback = countingFallback(['binary', 'where']);
const wasm = createWasmBackend({ smallToFallback: false, fallback: fallback.backend });

// Few distinct values, so that equal operands are common; the IEEE special cases among them.
const VALUES = [0, -0, 1, -1, 0.5, 2.5, 1e-40, 3e38, Infinity, -Infinity, NaN];

/** `n` seeded values: mostly from VALUES, the rest uniform in [-1, 1). */
function valuesArray(dtype: DType, n: number, seed: number): TypedArray {
  const r = seededUniform(seed);
  const out = alloc(dtype, n);
  for (let i = 0; i < n; i++) out[i] = r() < 0.6 ? VALUES[Math.floor(r() * VALUES.length)]! : r() * 2 - 1;
  return out;
}

/** `n` seeded bools (0 or 1). */
function maskArray(n: number, seed: number): Uint8Array {
  const r = seededUniform(seed);
  return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
}

function expectSameValues(got: TypedArray, want: TypedArray, what: string): void {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`${what} [${i}]: wasm ${got[i]} vs js ${want[i]}`);
}

describe('wasm comparisons into bool', () => {
  it('match the JS kernel exactly (vector, scalar and repeated-row operands)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom(...COMPARISONS),
        fc.constantFrom('vv', 'vs', 'sv', 'rows'),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, op, mode, cols, rows, seed) => {
          const n = rows * cols;
          const contiguous = (salt: number): StridedView => ({
            data: valuesArray(dtype, n + 2, seed + salt),
            offset: 2,
            strides: [cols, 1],
          });
          const scalar = (salt: number): StridedView => ({ data: valuesArray(dtype, 2, seed + salt), offset: 1, strides: [0, 0] });
          const a = mode === 'sv' ? scalar(1) : contiguous(1);
          // 'rows': b is one row broadcast down the rows (SIMD once the row has 16 elements).
          const b =
            mode === 'vs'
              ? scalar(2)
              : mode === 'rows'
                ? { data: valuesArray(dtype, cols, seed + 2), offset: 0, strides: [0, 1] }
                : contiguous(2);
          const shape = [rows, cols];
          const want = new Uint8Array(n);
          const got = new Uint8Array(n);
          jsBackend.binary(op, a, b, shape, want);
          const before = fallback.calls();
          wasm.binary(op, a, b, shape, got);
          if (mode !== 'rows' || cols >= 16) expect(fallback.calls() - before, 'handed to the fallback').toBe(0);
          expectSameValues(got, want, `${op} ${dtype} ${mode}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('chunk long arrays (longer than the staging chunk, ending mid-block)', () => {
    for (const dtype of DTYPES) {
      const n = 40_003;
      const a = { data: valuesArray(dtype, n, 1), offset: 0, strides: [1] };
      const b = { data: valuesArray(dtype, n, 2), offset: 0, strides: [1] };
      for (const op of COMPARISONS) {
        const want = new Uint8Array(n);
        const got = new Uint8Array(n);
        jsBackend.binary(op, a, b, [n], want);
        wasm.binary(op, a, b, [n], got);
        expectSameValues(got, want, `${op} ${dtype}`);
      }
    }
  });

  it('hand mixed float dtypes, int32 and bool operands to the fallback', () => {
    const n = 40;
    const f32 = { data: valuesArray('float32', n, 3), offset: 0, strides: [1] };
    const f64 = { data: valuesArray('float64', n, 4), offset: 0, strides: [1] };
    const i32 = { data: Int32Array.from({ length: n }, (_, i) => i - 20), offset: 0, strides: [1] };
    const u8 = { data: maskArray(n, 5), offset: 0, strides: [1] };
    for (const [a, b] of [
      [f32, f64],
      [i32, i32],
      [u8, u8],
    ] as const) {
      const want = new Uint8Array(n);
      const got = new Uint8Array(n);
      jsBackend.binary('less', a, b, [n], want);
      const before = fallback.calls();
      wasm.binary('less', a, b, [n], got);
      expect(fallback.calls() - before).toBe(1);
      expect(got).toEqual(want);
    }
  });
});

describe('wasm where on a bool condition', () => {
  it('matches the JS kernel exactly (vector and scalar branches, NaN, ±0, ±∞)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom('vv', 'vs', 'sv'),
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, mode, n, seed) => {
          const cond: StridedView = { data: maskArray(n + 3, seed), offset: 3, strides: [1] };
          const vector = (salt: number): StridedView => ({ data: valuesArray(dtype, n + 1, seed + salt), offset: 1, strides: [1] });
          const scalar = (salt: number): StridedView => ({ data: valuesArray(dtype, 1, seed + salt), offset: 0, strides: [0] });
          const a = mode === 'sv' ? scalar(1) : vector(1);
          const b = mode === 'vs' ? scalar(2) : vector(2);
          const want = alloc(dtype, n);
          const got = alloc(dtype, n);
          jsBackend.where(cond, a, b, [n], want);
          const before = fallback.calls();
          wasm.where(cond, a, b, [n], got);
          expect(fallback.calls() - before, 'handed to the fallback').toBe(0);
          expectSameValues(got, want, `where ${dtype} ${mode}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('chunks long arrays and treats any non-zero byte as true, like the JS kernel', () => {
    for (const dtype of DTYPES) {
      const n = 40_003;
      const cond = { data: Uint8Array.from({ length: n }, (_, i) => [0, 1, 255, 128, 2][i % 5]!), offset: 0, strides: [1] };
      const a = { data: valuesArray(dtype, n, 6), offset: 0, strides: [1] };
      const b = { data: valuesArray(dtype, n, 7), offset: 0, strides: [1] };
      const want = alloc(dtype, n);
      const got = alloc(dtype, n);
      jsBackend.where(cond, a, b, [n], want);
      wasm.where(cond, a, b, [n], got);
      expectSameValues(got, want, `where ${dtype}`);
    }
  });

  it('hands a broadcast condition to the fallback, with the same result', () => {
    const cond = { data: Uint8Array.from([1, 0, 1]), offset: 0, strides: [0, 1] };
    const a = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), offset: 0, strides: [3, 1] };
    const b = { data: Float32Array.from([-1]), offset: 0, strides: [0, 0] };
    const out = new Float32Array(6);
    const before = fallback.calls();
    wasm.where(cond, a, b, [2, 3], out);
    expect(fallback.calls() - before).toBe(1);
    expect([...out]).toEqual([1, -1, 3, 4, -1, 6]);
  });
});
