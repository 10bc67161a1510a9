// Copies a strided operand into the arena: the span its strides reach, with one bulk `set`, or
// (when that span is mostly gaps) a gather into contiguous order.
import type { DType, TypedArray } from '../../dtype.js';
import type { StridedView } from '../backend.js';
import type { Arena } from './arena.js';
import { forEachRow } from '../odometer.js';

/** An operand inside linear memory: element `e` lives at byte `ptr + e * esize`. */
export interface Staged {
  readonly ptr: number;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * Stages `view` over `shape`. Zero strides (broadcasts) and negative strides are kept, so
 * the copy is never larger than the data the view really addresses, up to gaps; a view whose
 * span exceeds 4× its element count (say, a column slice of a wide matrix) is gathered instead.
 */
export function stage(arena: Arena, view: StridedView, shape: readonly number[], dtype: DType): Staged {
  // An array already in linear memory is read where it is.
  if (view.data.buffer === arena.memoryBuffer) return { ptr: view.data.byteOffset, offset: view.offset, strides: view.strides };
  let lo = view.offset;
  let hi = view.offset;
  let count = 1;
  for (let d = 0; d < shape.length; d++) {
    const extent = (shape[d]! - 1) * view.strides[d]!;
    if (extent < 0) lo += extent;
    else hi += extent;
    count *= shape[d]!;
  }
  const es = dtype === 'float64' ? 8 : 4;
  if (count === 0) return { ptr: arena.alloc(0), offset: 0, strides: view.strides };
  const span = hi - lo + 1;
  if (span <= 4 * count + 1024) {
    const ptr = arena.alloc(span * es);
    copyInto(arena.view(dtype), ptr / es, view.data, lo, span);
    return { ptr, offset: view.offset - lo, strides: view.strides };
  }
  const ptr = arena.alloc(count * es);
  const mem = arena.view(dtype);
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= shape[d]!;
  }
  gather(view, shape, mem, ptr / es);
  return { ptr, offset: 0, strides };
}

/**
 * Copies `src[from .. from+len)` into `mem` at element `at`. NOTE: a whole array is copied as it
 * is: a subarray is an allocation, which costs more than a small copy. An array inside `mem`'s
 * own memory moves with copyWithin (`set` would first copy it out).
 */
export function copyInto(mem: TypedArray, at: number, src: TypedArray, from: number, len: number): void {
  if (src.buffer === mem.buffer) {
    const start = src.byteOffset / src.BYTES_PER_ELEMENT + from;
    mem.copyWithin(at, start, start + len);
  } else mem.set(from === 0 && len === src.length ? src : src.subarray(from, from + len), at);
}

/** Copies `len` elements of `mem` from element `from` into `out` at `at` (out may live in `mem`'s memory). */
export function copyOut(mem: TypedArray, from: number, len: number, out: TypedArray, at: number): void {
  if (out.buffer === mem.buffer) mem.copyWithin(out.byteOffset / out.BYTES_PER_ELEMENT + at, from, from + len);
  else out.set(mem.subarray(from, from + len), at);
}

/** Writes the elements of `view` over `shape` in row-major order into `dst` from `at`. */
function gather(view: StridedView, shape: readonly number[], dst: { [i: number]: number }, at: number): void {
  const src = view.data;
  forEachRow(shape, [view], (starts, n, o, [step]) => {
    for (let j = 0, w = at + o, i = starts[0]!; j < n; j++, i += step!) dst[w++] = src[i]!;
  });
}
