// The four dtypes, their typed arrays, and the promotion rule of binary ops.

/** Element type of a tensor. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
/** The dtypes autodiff differentiates: tangents and cotangents exist only for these. */
export type FloatDType = 'float32' | 'float64';
/**
 * The typed array that stores a tensor: Float32Array, Float64Array, Int32Array, or Uint8Array
 * for `bool` (each element 0 or 1).
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Every dtype, lowest first in the promotion order. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** Whether `dtype` is float32 or float64. */
export function isFloating(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** Bytes per element of `dtype`. */
export function itemSize(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

function fresh(dtype: DType, size: number, buffer?: ArrayBuffer, offset = 0): TypedArray {
  switch (dtype) {
    case 'float64':
      return buffer ? new Float64Array(buffer, offset, size) : new Float64Array(size);
    case 'float32':
      return buffer ? new Float32Array(buffer, offset, size) : new Float32Array(size);
    case 'int32':
      return buffer ? new Int32Array(buffer, offset, size) : new Int32Array(size);
    case 'bool':
      return buffer ? new Uint8Array(buffer, offset, size) : new Uint8Array(size);
  }
}

/** An array of `size` elements of `dtype` over `buffer` from its first byte (a buffer planned by jit). */
export function arrayOn(dtype: DType, buffer: ArrayBuffer, size: number): TypedArray {
  return fresh(dtype, size, buffer, 0);
}

// Small arrays are carved out of shared 64 KiB slabs: a fresh ArrayBuffer per small tensor costs
// more than the arithmetic on it. A slab lives while any of its arrays does, so a long-lived
// small tensor keeps at most 64 KiB alive; larger arrays get buffers of their own.
const SLAB_BYTES = 1 << 16;
const SMALL_BYTES = 1 << 14;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

/** Allocates a zero-filled array of `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  const bytes = size * itemSize(dtype);
  if (bytes === 0 || bytes > SMALL_BYTES) return fresh(dtype, size);
  if (slabOffset + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const out = fresh(dtype, size, slab, slabOffset);
  // Keep every array 16-byte aligned (float64 needs 8; SIMD copies like 16).
  slabOffset += (bytes + 15) & ~15;
  return out;
}

/** The dtype a typed array stores. */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * PyTorch's promotion of two tensors: the later of the two in bool < int32 < float32 < float64,
 * so no value is silently lost (float32 with float64 gives float64, an integer with a float the float).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** The dtype of a sum (or running sum) of `dtype`: a sum of bools counts them, as an int32. */
export function sumDType(dtype: DType): DType {
  return dtype === 'bool' ? 'int32' : dtype;
}
