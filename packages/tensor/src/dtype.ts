// The two floating dtypes, their typed arrays, and the promotion rule of binary ops.

/** Element type of a tensor. */
export type DType = 'float32' | 'float64';
/** The typed array that stores a tensor of either dtype. */
export type TypedArray = Float32Array | Float64Array;

// Small arrays are carved out of shared 64 KiB slabs: a fresh ArrayBuffer per small tensor costs
// more than the arithmetic on it. A slab lives while any of its arrays does, so a long-lived
// small tensor keeps at most 64 KiB alive; larger arrays get buffers of their own.
const SLAB_BYTES = 1 << 16;
const SMALL_BYTES = 1 << 14;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

/** Allocates a zero-filled array of `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  const bytes = size * (dtype === 'float64' ? 8 : 4);
  if (bytes === 0 || bytes > SMALL_BYTES) return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  if (slabOffset + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const out = dtype === 'float64' ? new Float64Array(slab, slabOffset, size) : new Float32Array(slab, slabOffset, size);
  // Keep every array 16-byte aligned (float64 needs 8; SIMD copies like 16).
  slabOffset += (bytes + 15) & ~15;
  return out;
}

export function dtypeOfArray(data: TypedArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** float32 with float64 gives float64: no precision is silently lost. */
export function promoteTypes(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
