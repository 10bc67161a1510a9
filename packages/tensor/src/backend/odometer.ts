// The one odometer of the strided loops: the JS kernels, the WASM backend's staging of strided
// operands and both GEMM drivers' batch loops walk a shape in row-major order through it.
import { isRowMajor, isScalarView } from './views.js';

/** Where a walk reads: element `p` of the shape lives at `offset + Σ p[d] · strides[d]`. */
export interface Strided {
  readonly offset: number;
  readonly strides: readonly number[];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Each view's step along `shape` walked as one run, where every view is row-major contiguous
 * (step 1) or one element repeated (step 0), as most operands are; null where one is neither.
 * What collapsing would find, without building its arrays.
 */
function oneRunSteps(shape: readonly number[], views: readonly Strided[]): number[] | null {
  const steps = new Array<number>(views.length);
  for (let v = 0; v < views.length; v++) {
    if (isRowMajor(views[v]!, shape)) steps[v] = 1;
    else if (isScalarView(views[v]!)) steps[v] = 0;
    else return null;
  }
  return steps;
}

/**
 * Merges axes that every view walks as one (size-1 axes dropped; axis d joins d+1 when each
 * view's stride of d is its stride of d+1 times that axis' size), so that e.g. a [150,16]
 * tensor plus a broadcast [16] row is two loops, whatever the original rank.
 */
function collapse(shape: readonly number[], views: readonly Strided[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = [];
  for (let v = 0; v < views.length; v++) outStrides.push([]);
  // NOTE: loops over the views, not every/forEach: a closure per axis is garbage on every call.
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let joins = last >= 0;
    for (let v = 0; joins && v < views.length; v++) joins = outStrides[v]![last] === views[v]!.strides[d]! * size;
    if (joins) outShape[last]! *= size;
    else outShape.push(size);
    for (let v = 0; v < views.length; v++) outStrides[v]![joins ? last : outShape.length - 1] = views[v]!.strides[d]!;
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Visits every element of `shape` in row-major order, calling `body` once per run of the
 * (collapsed) last axis with each view's start offset and stride along that run. The arrays
 * passed to `body` are reused between calls (read them, do not keep them).
 * NOTE: the hot loops live in the callers' `body`, a closure V8 inlines; the per-row cost
 * here is the carry below, so keep this function allocation-free after its setup.
 */
export function forEachRow(
  shape: readonly number[],
  views: readonly Strided[],
  body: (starts: number[], rowLength: number, outStart: number, steps: number[]) => void,
): void {
  const total = sizeOf(shape);
  if (total === 0) return;
  const starts = views.map((v) => v.offset);
  const oneRun = oneRunSteps(shape, views);
  if (oneRun !== null) {
    body(starts, total, 0, oneRun);
    return;
  }
  // At least one axis is left: a shape of ones is one run.
  const c = collapse(shape, views);
  const ndim = c.shape.length;
  const rowLength = c.shape[ndim - 1]!;
  const steps = c.strides.map((st) => st[ndim - 1]!);
  const size = sizeOf(c.shape);
  const index = new Array<number>(ndim - 1).fill(0);
  for (let outStart = 0; outStart < size; outStart += rowLength) {
    body(starts, rowLength, outStart, steps);
    for (let d = ndim - 2; d >= 0; d--) {
      index[d]!++;
      for (let v = 0; v < views.length; v++) starts[v]! += c.strides[v]![d]!;
      if (index[d]! < c.shape[d]!) break;
      for (let v = 0; v < views.length; v++) starts[v]! -= c.strides[v]![d]! * c.shape[d]!;
      index[d] = 0;
    }
  }
}

/**
 * {@link forEachRow} one element at a time: `body(i, offsets)` for the i-th element of `shape`
 * in row-major order, `offsets[v]` its offset in view v (the array is reused between calls).
 * For loops whose body is large (a matrix product per batch), where the per-element call costs nothing.
 */
export function forEachElement(
  shape: readonly number[],
  views: readonly Strided[],
  body: (index: number, offsets: readonly number[]) => void,
): void {
  const offsets = views.map(() => 0);
  forEachRow(shape, views, (starts, n, o, steps) => {
    for (let j = 0; j < n; j++) {
      for (let v = 0; v < offsets.length; v++) offsets[v] = starts[v]! + j * steps[v]!;
      body(o + j, offsets);
    }
  });
}
