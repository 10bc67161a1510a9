// Helpers shared by the kernel tests: a tiny seeded generator (so data is reproducible from a
// shrunk fast-check seed) and typed-array allocation by dtype.
import type { DType, TypedArray } from '../src/dtype.js';
import type { Backend, StridedView } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../src/backend/wasm/index.js';
import { afterAll, beforeAll } from 'vitest';

/** A small seeded generator (mulberry32) of numbers in [0, 1). */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const alloc = (dtype: DType, n: number): TypedArray => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** `n` seeded uniform numbers in [-1, 1). */
export function randomArray(dtype: DType, n: number, seed: number): TypedArray {
  const r = seededUniform(seed);
  const out = alloc(dtype, n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

/** Memory layouts of a matrix operand: row-major, column-major, rows with gaps, rows reversed. */
export type Layout = 'contiguous' | 'transposed' | 'padded' | 'reversed';

/** A `[...batch, rows, cols]` view in `layout`, with stride-0 batch axes where `bcast[d]`. */
export function matrixView(
  dtype: DType,
  batch: number[],
  bcast: boolean[],
  rows: number,
  cols: number,
  layout: Layout,
  seed: number,
): StridedView {
  const offset = seed % 5;
  let rs: number;
  let cs: number;
  let start = 0;
  let span: number;
  if (layout === 'transposed') [rs, cs, span] = [1, rows, rows * cols];
  else if (layout === 'padded') [rs, cs, span] = [cols + 3, 1, rows * (cols + 3)];
  else if (layout === 'reversed') [rs, cs, start, span] = [-cols, 1, (rows - 1) * cols, rows * cols];
  else [rs, cs, span] = [cols, 1, rows * cols];
  const strides = new Array<number>(batch.length);
  let step = span;
  for (let d = batch.length - 1; d >= 0; d--) {
    strides[d] = bcast[d] ? 0 : step;
    if (!bcast[d]) step *= batch[d]!;
  }
  return { data: randomArray(dtype, offset + step + 2, seed), offset: offset + start, strides: [...strides, rs, cs] };
}

/** Distance in units in the last place between two float32 values (0 for two NaNs). */
export function ulps32(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y) ? 0 : Infinity;
  if (x === y) return 0;
  const key = (v: number): number => {
    const bits = new Uint32Array(Float32Array.of(v).buffer)[0]!;
    return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(key(x) - key(y));
}

/** The first index where `got` and `want` differ (NaN equal to NaN, −0 not equal to 0), or −1. */
export function firstDifference(got: TypedArray, want: TypedArray): number {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

/**
 * The JS backend, counting the calls of the named kernels that a WASM backend built over it
 * hands back (a case the WASM kernels support makes none).
 */
export function countingFallback(kernels: readonly (keyof Backend)[]): { backend: Backend; calls: () => number } {
  let calls = 0;
  const backend: Backend = { ...jsBackend, name: 'counting-js' };
  const table = backend as unknown as Record<string, unknown>;
  for (const k of kernels) {
    const kernel = jsBackend[k] as (...args: unknown[]) => void;
    table[k] = (...args: unknown[]) => {
      calls++;
      kernel(...args);
    };
  }
  return { backend, calls: () => calls };
}

/**
 * A WASM backend with `options` for the tests of one describe block (call it there): its
 * workers started before them, and stopped after; `threads()` says how many threads came up.
 */
export function threadedBackend(options: WasmBackendOptions): { readonly backend: WasmBackend; readonly threads: () => number } {
  const backend = createWasmBackend(options);
  let threads = 1;
  beforeAll(async () => {
    threads = await backend.threadsReady();
  });
  afterAll(() => backend.dispose());
  return { backend, threads: () => threads };
}
