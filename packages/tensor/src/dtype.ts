// The two floating dtypes, their typed arrays, and the promotion rule of binary ops.

/** Element type of a tensor. */
export type DType = 'float32' | 'float64';
/** The typed array that stores a tensor of either dtype. */
export type TypedArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'float64';
}

/** Allocates a zero-filled array of `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

export function dtypeOfArray(data: TypedArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** float32 with float64 gives float64: no precision is silently lost. */
export function promoteTypes(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
