// The one odometer of the strided loops: the JS kernels, the WASM backend's staging of strided
// operands and both GEMM drivers' batch loops walk a shape in row-major order through it.

/** Where a walk reads: element `p` of the shape lives at `offset + Σ p[d] · strides[d]`. */
export interface Strided {
  readonly offset: number;
  readonly strides: readonly number[];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Merges axes that every view walks as one (size-1 axes dropped; axis d joins d+1 when each
 * view's stride of d is its stride of d+1 times that axis' size), so that e.g. a [150,16]
 * tensor plus a broadcast [16] row is two loops, whatever the original rank.
 */
function collapse(shape: readonly number[], views: readonly Strided[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && views.every((v, i) => outStrides[i]![last] === v.strides[d]! * size)) {
      outShape[last]! *= size;
      views.forEach((v, i) => (outStrides[i]![last] = v.strides[d]!));
    } else {
      outShape.push(size);
      views.forEach((v, i) => outStrides[i]!.push(v.strides[d]!));
    }
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
  if (sizeOf(shape) === 0) return;
  const c = collapse(shape, views);
  const ndim = c.shape.length;
  const starts = views.map((v) => v.offset);
  if (ndim === 0) {
    body(
      starts,
      1,
      0,
      views.map(() => 0),
    );
    return;
  }
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
