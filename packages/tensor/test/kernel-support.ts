// Helpers shared by the kernel tests: a tiny seeded generator (so data is reproducible from a
// shrunk fast-check seed) and typed-array allocation by dtype.
import type { DType, TypedArray } from '../src/dtype.js';

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
