// Pooling and resizing in PyTorch's NCHW layout, as composites. Max pooling finds each window's
// first arg-max (a constant to autodiff; under jit and vmap with ops on the trace) and takes the input
// there, so the gradient goes to that one element as in PyTorch; average pooling sums the im2col windows and divides by PyTorch's
// counts; adaptive average pooling and bilinear interpolation are products with constant
// matrices on each spatial axis; nearest interpolation is a take.
import { describe, expectBoolean, expectNumber, expectOptions } from '../arguments.js';
import { type Tensor, contiguousData, fromArray, isStaged } from '../core/tensor.js';
import { bind, variesOverBatch } from '../core/trace.js';
import { allocate, type DType } from '../dtype.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { takePrim } from '../prims/take.js';
import { checkSize } from '../shape.js';
import { div, equal, where } from './arithmetic.js';
import { concat, reshape } from './layout.js';
import { matmul } from './matmul.js';
import { pad } from './shape-ops.js';
import { argmax, positionsAlong, sum } from './reduce.js';
import { batched, spatialSizes, unfoldWindows, type SpatialSize } from './conv.js';
import { expectFloatTensor } from './operand.js';
import { full } from '../creation.js';

/** Options of {@link maxPool2d} and {@link maxPool1d}. */
export interface MaxPoolOptions {
  /** Window size (required). */
  kernelSize: SpatialSize;
  /** Step between windows (default: the kernel size). */
  stride?: SpatialSize;
  /** Implicit −∞ on both sides of each spatial axis (default 0), at most half the dilated kernel. */
  padding?: SpatialSize;
  /** Spacing between window taps (default 1). */
  dilation?: SpatialSize;
  /** Round the window count up, so a last partial window counts (default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool2d} and {@link avgPool1d}. */
export interface AvgPoolOptions {
  /** Window size (required). */
  kernelSize: SpatialSize;
  /** Step between windows (default: the kernel size). */
  stride?: SpatialSize;
  /** Implicit zeros on both sides of each spatial axis (default 0), at most half the kernel. */
  padding?: SpatialSize;
  /** Round the window count up, so a last partial window counts (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** Options of {@link interpolate}: exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** The output's spatial size: one number for every axis or one per axis. */
  size?: SpatialSize;
  /** Output size = ⌊input size · scaleFactor⌋ (one number or one per axis). */
  scaleFactor?: number | readonly number[];
  /** `'nearest'` (default) or `'bilinear'` (4-D input only). */
  mode?: 'nearest' | 'bilinear';
  /** Bilinear only: map the corner pixels' centres onto each other (default false). */
  alignCorners?: boolean;
}

/** The pooling windows along one axis, as PyTorch's `pooling_output_shape`. */
interface AxisWindows {
  size: number;
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  count: number;
}

function axisWindows(
  op: string,
  axis: string,
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  ceil: boolean,
): AxisWindows {
  const span = dilation * (kernel - 1) + 1;
  if (2 * padding > span) throw new ArgumentError(`${op}: padding ${padding} along ${axis} is more than half the window (${span})`);
  const room = size + 2 * padding - span;
  let count = (ceil ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // A last window that would start in the right padding is dropped.
  if (ceil && (count - 1) * stride >= size + padding) count--;
  if (count < 1 || room < 0)
    throw new ShapeError(`${op}: the window (${span} with padding ${padding}) does not fit the input's ${axis} of size ${size}`);
  return { size, kernel, stride, padding, dilation, count };
}

/** The spatial options of a pool: windows per axis of `x` ([N, C, H, W]). */
function poolWindows(
  op: string,
  x: Tensor,
  o: { kernelSize?: unknown; stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown },
  spatial: number,
): AxisWindows[] {
  if (o.kernelSize === undefined) throw new ArgumentError(`${op}: opts.kernelSize is required`);
  const kernel = spatialSizes(op, 'opts.kernelSize', o.kernelSize, spatial, 1);
  const stride = o.stride === undefined || o.stride === null ? kernel : spatialSizes(op, 'opts.stride', o.stride, spatial, 1);
  const padding = spatialSizes(op, 'opts.padding', o.padding ?? 0, spatial, 0);
  const dilation = spatialSizes(op, 'opts.dilation', o.dilation ?? 1, spatial, 1);
  const ceil = expectBoolean(op, 'opts.ceilMode', o.ceilMode, false);
  const sizes = x.shape.slice(2);
  const names = spatial === 1 ? ['length'] : ['height', 'width'];
  return sizes.map((s, i) => axisWindows(op, names[i]!, s, kernel[i]!, stride[i]!, padding[i]!, dilation[i]!, ceil));
}

/** Max pooling of a batched [N, C, H, W] `x` over the windows `wh` × `ww`. */
function maxPool(x: Tensor, wh: AxisWindows, ww: AxisWindows): Tensor {
  if (isStaged(x) || variesOverBatch(x)) return maxPoolByArgmax(x, wh, ww);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const data = contiguousData(x);
  const plane = h * w;
  const planes = n * c;
  const positions = new Int32Array(planes * wh.count * ww.count);
  // The element of x each window takes; `empty` (past the end) for a window that covers only
  // padding (possible with dilation), whose value is −∞ as in PyTorch.
  const empty = planes * plane;
  let needsEmpty = false;
  let k = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * plane;
    for (let p = 0; p < wh.count; p++) {
      const top = p * wh.stride - wh.padding;
      for (let q = 0; q < ww.count; q++) {
        const left = q * ww.stride - ww.padding;
        let best = empty;
        let bestValue = Number.NEGATIVE_INFINITY;
        // Only the taps that land inside x: a huge window over a small input costs its overlap.
        const [i0, i1] = tapRange(top, wh.dilation, wh.kernel, h);
        const [j0, j1] = tapRange(left, ww.dilation, ww.kernel, w);
        for (let i = i0; i < i1; i++) {
          const r = top + i * wh.dilation;
          for (let j = j0; j < j1; j++) {
            const col = left + j * ww.dilation;
            const at = base + r * w + col;
            const v = data[at]!;
            // NOTE: PyTorch's test: a larger value or a NaN replaces the current best, so ties
            // keep the first and a NaN wins.
            if (best === empty || v > bestValue || Number.isNaN(v)) {
              best = at;
              bestValue = v;
            }
          }
        }
        if (best === empty) needsEmpty = true;
        positions[k++] = best;
      }
    }
  }
  let source = reshape(x, [planes * plane]);
  if (needsEmpty) source = concat([source, full([1], Number.NEGATIVE_INFINITY, { dtype: x.dtype })]);
  return bind(takePrim, [source], { axis: 0, indices: positions, indicesShape: [n, c, wh.count, ww.count] });
}

/**
 * Max pooling without reading x's values, for an x traced by jit or batched by vmap (where
 * each example has its own arg-max positions): every tap of every window gathered at constant
 * positions (a tap in the padding reads an appended −∞), the first arg-max over the taps (ops
 * on the trace), and the picked tap kept by a one-hot sum, whose gradient goes to that tap only:
 * the eager loop's values and routing. No constant depends on the batch size, so an exported
 * graph keeps a dynamic batch. NOTE: where a window's maximum is −0 the sum gives +0, and a
 * window with several NaNs routes the gradient to the first (the eager loop: the last).
 */
function maxPoolByArgmax(x: Tensor, wh: AxisWindows, ww: AxisWindows): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const plane = h * w;
  const taps = wh.kernel * ww.kernel;
  const windows = wh.count * ww.count;
  const positions = new Int32Array(windows * taps).fill(plane);
  let k = 0;
  for (let p = 0; p < wh.count; p++) {
    for (let q = 0; q < ww.count; q++, k += taps) {
      const top = p * wh.stride - wh.padding;
      const left = q * ww.stride - ww.padding;
      const [i0, i1] = tapRange(top, wh.dilation, wh.kernel, h);
      const [j0, j1] = tapRange(left, ww.dilation, ww.kernel, w);
      for (let i = i0; i < i1; i++)
        for (let j = j0; j < j1; j++) positions[k + i * ww.kernel + j] = (top + i * wh.dilation) * w + left + j * ww.dilation;
    }
  }
  const planes = pad(reshape(x, [n, c, plane]), [0, 1], { value: Number.NEGATIVE_INFINITY });
  const gathered = bind(takePrim, [planes], { axis: 2, indices: positions, indicesShape: [windows, taps] });
  const picked = equal(argmax(gathered, -1, true), positionsAlong(taps));
  return reshape(sum(where(picked, gathered, 0), -1), [n, c, wh.count, ww.count]);
}

/** The taps i in [0, kernel) with start + i·dilation in [0, size), as a half-open range. */
function tapRange(start: number, dilation: number, kernel: number, size: number): [number, number] {
  const first = Math.max(0, Math.ceil(-start / dilation));
  const end = Math.min(kernel, Math.floor((size - 1 - start) / dilation) + 1);
  return [first, Math.max(first, end)];
}

/**
 * 2-D max pooling (PyTorch's `max_pool2d`): the maximum of each `kernelSize` window of `x`
 * ([N, C, H, W] or [C, H, W]); the gradient goes to the first arg-max of each window.
 *
 * @example
 * maxPool2d(tensor([[[[1, 2], [4, 3]]]]), { kernelSize: 2 }).toArray() // [[[[4]]]]
 */
export function maxPool2d(x: Tensor, opts: MaxPoolOptions): Tensor {
  const op = 'maxPool2d';
  const o = expectOptions(op, opts);
  const { x: xb, unbatch } = batched(op, expectFloatTensor(op, 'x', x), 2);
  const [wh, ww] = poolWindows(op, xb, o, 2) as [AxisWindows, AxisWindows];
  return unbatch(maxPool(xb, wh, ww));
}

/**
 * 1-D max pooling (PyTorch's `max_pool1d`) of `x` ([N, C, L] or [C, L]).
 *
 * @example
 * maxPool1d(tensor([[[1, 3, 2, 5]]]), { kernelSize: 2 }).toArray() // [[[3, 5]]]
 */
export function maxPool1d(x: Tensor, opts: MaxPoolOptions): Tensor {
  const op = 'maxPool1d';
  const o = expectOptions(op, opts);
  const { x: xb, unbatch } = batched(op, expectFloatTensor(op, 'x', x), 1);
  const [wl] = poolWindows(op, xb, o, 1) as [AxisWindows];
  const [n, c, l] = xb.shape as [number, number, number];
  const unit: AxisWindows = { size: 1, kernel: 1, stride: 1, padding: 0, dilation: 1, count: 1 };
  const y = maxPool(reshape(xb, [n, c, 1, l]), unit, wl);
  return unbatch(reshape(y, [n, c, wl.count]));
}

/** PyTorch's divisors of average pooling along one axis: window sizes with or without padding. */
function divisors(a: AxisWindows, includePad: boolean): number[] {
  return Array.from({ length: a.count }, (_, p) => {
    const start = p * a.stride - a.padding;
    // The window is clipped to the padded extent (ceil mode's overhang does not count) …
    const end = Math.min(start + a.kernel, a.size + a.padding);
    // … and, without the padding, to the input.
    return includePad ? end - start : Math.min(end, a.size) - Math.max(start, 0);
  });
}

function avgPool(op: string, x: Tensor, wh: AxisWindows, ww: AxisWindows, includePad: boolean): Tensor {
  const [n, c] = x.shape as [number, number];
  checkSize(op, [n, c, wh.kernel * ww.kernel, wh.count * ww.count]);
  // Taps in the padding or in ceil mode's overhang read zeros.
  const cols = unfoldWindows(x, {
    height: wh.size,
    width: ww.size,
    padding: [wh.padding, ww.padding],
    kernel: [wh.kernel, ww.kernel],
    stride: [wh.stride, ww.stride],
    dilation: [1, 1],
    out: [wh.count, ww.count],
  });
  const dh = divisors(wh, includePad);
  const dw = divisors(ww, includePad);
  const counts = allocate(x.dtype, wh.count * ww.count);
  for (let p = 0; p < wh.count; p++) for (let q = 0; q < ww.count; q++) counts[p * ww.count + q] = dh[p]! * dw[q]!;
  const sums = reshape(sum(cols, 2), [n, c, wh.count, ww.count]);
  return div(sums, fromArray(counts, [wh.count, ww.count], x.dtype));
}

/** Average-pool options: dilation is not one of them. */
function avgOptions(op: string, opts: AvgPoolOptions | undefined): { o: Partial<AvgPoolOptions>; includePad: boolean } {
  const o = expectOptions(op, opts);
  if ('dilation' in o) throw new ArgumentError(`${op}: average pooling takes no opts.dilation`);
  return { o, includePad: expectBoolean(op, 'opts.countIncludePad', o.countIncludePad, true) };
}

/**
 * 2-D average pooling (PyTorch's `avg_pool2d`): the mean of each `kernelSize` window of `x`
 * ([N, C, H, W] or [C, H, W]); with padding, `countIncludePad` says whether the zeros count.
 *
 * @example
 * avgPool2d(tensor([[[[1, 2], [4, 3]]]]), { kernelSize: 2 }).toArray() // [[[[2.5]]]]
 */
export function avgPool2d(x: Tensor, opts: AvgPoolOptions): Tensor {
  const op = 'avgPool2d';
  const { o, includePad } = avgOptions(op, opts);
  const { x: xb, unbatch } = batched(op, expectFloatTensor(op, 'x', x), 2);
  const [wh, ww] = poolWindows(op, xb, { ...o, dilation: 1 }, 2) as [AxisWindows, AxisWindows];
  return unbatch(avgPool(op, xb, wh, ww, includePad));
}

/**
 * 1-D average pooling (PyTorch's `avg_pool1d`) of `x` ([N, C, L] or [C, L]).
 *
 * @example
 * avgPool1d(tensor([[[1, 3, 2, 6]]]), { kernelSize: 2 }).toArray() // [[[2, 4]]]
 */
export function avgPool1d(x: Tensor, opts: AvgPoolOptions): Tensor {
  const op = 'avgPool1d';
  const { o, includePad } = avgOptions(op, opts);
  const { x: xb, unbatch } = batched(op, expectFloatTensor(op, 'x', x), 1);
  const [wl] = poolWindows(op, xb, { ...o, dilation: 1 }, 1) as [AxisWindows];
  const [n, c, l] = xb.shape as [number, number, number];
  const unit: AxisWindows = { size: 1, kernel: 1, stride: 1, padding: 0, dilation: 1, count: 1 };
  const y = avgPool(op, reshape(xb, [n, c, 1, l]), unit, wl, includePad);
  return unbatch(reshape(y, [n, c, wl.count]));
}

/** A constant [rows, cols] matrix in `dtype` with the entries `fill` sets. */
function matrix(rows: number, cols: number, dtype: DType, fill: (set: (r: number, c: number, v: number) => void) => void): Tensor {
  const data = allocate(dtype, rows * cols);
  fill((r, c, v) => {
    data[r * cols + c] = data[r * cols + c]! + v;
  });
  return fromArray(data, [rows, cols], dtype);
}

/** out = A_h · x · A_wᵀ on the last two axes of x, with constant [outH, H] and [outW, W] matrices. */
function separable(x: Tensor, ah: Tensor, aw: Tensor): Tensor {
  return matmul(matmul(ah, x), aw.transpose());
}

/**
 * 2-D adaptive average pooling (PyTorch's `adaptive_avg_pool2d`): `x` ([N, C, H, W] or
 * [C, H, W]) averaged to `outputSize` (one number, or [height, width] where null keeps that
 * axis); output row i averages input rows ⌊i·H/outH⌋ to ⌈(i + 1)·H/outH⌉ − 1.
 *
 * @example
 * adaptiveAvgPool2d(ones([1, 8, 5, 7]), 1).shape // [1, 8, 1, 1] (global average pooling)
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const op = 'adaptiveAvgPool2d';
  const { x: xb, unbatch } = batched(op, expectFloatTensor(op, 'x', x), 2);
  const [h, w] = xb.shape.slice(2) as [number, number];
  // NOTE: the length is checked before any entry is read (a huge sparse array costs nothing).
  const given = Array.isArray(outputSize) && outputSize.length === 2 ? [outputSize[0] ?? h, outputSize[1] ?? w] : (outputSize as unknown);
  const [oh, ow] = spatialSizes(op, 'outputSize', given, 2, 1) as [number, number];
  if (h === 0 || w === 0) throw new ShapeError(`${op}: x has an empty spatial axis: ${formatShape(xb.shape)}`);
  checkSize(op, [...xb.shape.slice(0, 2), oh, w]);
  checkSize(op, [...xb.shape.slice(0, 2), oh, ow]);
  checkSize(op, [oh, h]);
  checkSize(op, [ow, w]);
  const averaging = (out: number, size: number) =>
    matrix(out, size, xb.dtype, (set) => {
      for (let i = 0; i < out; i++) {
        const start = Math.floor((i * size) / out);
        const end = Math.ceil(((i + 1) * size) / out);
        for (let j = start; j < end; j++) set(i, j, 1 / (end - start));
      }
    });
  return unbatch(separable(xb, averaging(oh, h), averaging(ow, w)));
}

/**
 * Resizes the spatial axes of `x` ([N, C, L] or [N, C, H, W]), as PyTorch's `interpolate`:
 * `'nearest'` copies the element at ⌊i·scale⌋ (scale = in/out, or 1/scaleFactor when given);
 * `'bilinear'` (4-D) blends the two nearest rows and columns, with half-pixel centres unless
 * `alignCorners`. Differentiable in `x`.
 *
 * @example
 * interpolate(tensor([[[1, 2]]]), { scaleFactor: 2 }).toArray() // [[[1, 1, 2, 2]]]
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  const xt = expectFloatTensor(op, 'x', x);
  const o = expectOptions(op, opts);
  const mode = o.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear')
    throw new ArgumentError(`${op}: unknown mode ${describe(mode)} (expected 'nearest' or 'bilinear')`);
  if (xt.ndim !== 3 && xt.ndim !== 4)
    throw new ShapeError(`${op}: expected x of shape [N, C, L] or [N, C, H, W], got ${formatShape(xt.shape)}`);
  if (mode === 'bilinear' && xt.ndim !== 4)
    throw new ShapeError(`${op}: 'bilinear' needs x of shape [N, C, H, W], got ${formatShape(xt.shape)}`);
  if (mode === 'nearest' && o.alignCorners !== undefined) throw new ArgumentError(`${op}: opts.alignCorners applies only to 'bilinear'`);
  const alignCorners = expectBoolean(op, 'opts.alignCorners', o.alignCorners, false);
  const spatial = xt.ndim - 2;
  const sizes = xt.shape.slice(2);
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new ArgumentError(`${op}: give exactly one of opts.size and opts.scaleFactor`);
  let scales: number[] | null = null;
  let outSizes: number[];
  if (o.size !== undefined) {
    outSizes = spatialSizes(op, 'opts.size', o.size, spatial, 1);
  } else {
    const f = o.scaleFactor;
    const list = typeof f === 'number' ? new Array<number>(spatial).fill(f) : Array.isArray(f) && f.length === spatial ? f : null;
    if (list === null) throw new ArgumentError(`${op}: expected a number or ${spatial} numbers for opts.scaleFactor, got ${describe(f)}`);
    scales = list.map((s, i) => expectNumber(op, `opts.scaleFactor[${i}]`, s, { positive: true }));
    outSizes = sizes.map((s, i) => Math.floor(s * scales![i]!));
    if (outSizes.some((s) => s < 1)) throw new ShapeError(`${op}: opts.scaleFactor gives an empty output ${formatShape(outSizes)}`);
  }
  if (sizes.some((s) => s === 0)) throw new ShapeError(`${op}: x has an empty spatial axis: ${formatShape(xt.shape)}`);
  checkSize(op, [...xt.shape.slice(0, 2), ...outSizes]);
  checkSize(op, [...xt.shape.slice(0, 2), outSizes[0]!, ...sizes.slice(1)]);
  for (let i = 0; i < spatial; i++) checkSize(op, [outSizes[i]!, sizes[i]!]);
  if (mode === 'nearest') {
    let y = xt;
    sizes.forEach((size, i) => {
      const out = outSizes[i]!;
      // NOTE: PyTorch computes the nearest index in float32 (floorf(i · scale)); so does this.
      const scale = Math.fround(scales === null ? size / out : 1 / scales[i]!);
      const indices = new Int32Array(out);
      for (let d = 0; d < out; d++) indices[d] = Math.min(Math.floor(Math.fround(d * scale)), size - 1);
      y = bind(takePrim, [y], { axis: 2 + i, indices, indicesShape: [out] });
    });
    return y;
  }
  const blending = (axis: number) => {
    const size = sizes[axis]!;
    const out = outSizes[axis]!;
    const scale = alignCorners ? (out > 1 ? (size - 1) / (out - 1) : 0) : scales === null ? size / out : 1 / scales[axis]!;
    return matrix(out, size, xt.dtype, (set) => {
      for (let d = 0; d < out; d++) {
        const src = alignCorners ? scale * d : Math.max(scale * (d + 0.5) - 0.5, 0);
        const lo = Math.min(Math.floor(src), size - 1);
        const hi = Math.min(lo + 1, size - 1);
        const t = src - lo;
        set(d, lo, 1 - t);
        set(d, hi, t);
      }
    });
  };
  return separable(xt, blending(0), blending(1));
}
