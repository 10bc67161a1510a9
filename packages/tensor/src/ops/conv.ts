// Convolutions in PyTorch's layouts (NCHW activations, weight [out, in/groups, kH, kW]; the
// transposed convolution's weight [in, out/groups, kH, kW]) as composites: im2col (the unfold
// primitive, with implicit zero padding; its VJP is fold, col2im), then one matmul on the gemm. No derivative rule of their own, so they differentiate to any order in
// both modes; the transposed convolution is a convolution of the zero-dilated input.
import { describe, expectInteger, expectOptions } from '../arguments.js';
import type { Tensor } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { promoteTypes } from '../dtype.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { unfoldPrim, type WindowGeometry } from '../prims/windows.js';
import { checkSize } from '../shape.js';
import { add } from './arithmetic.js';
import { reshape, transpose } from './layout.js';
import { matmul } from './matmul.js';
import { castTo, expectFloatTensor } from './operand.js';
import { flip, pad } from './shape-ops.js';

/** A size per spatial axis: one number for all of them, or one each ([height, width] in 2-D). */
export type SpatialSize = number | readonly number[];

/** Padding of a convolution: a size per axis (both sides), `'valid'` (none) or `'same'` (output size = input size; stride 1). */
export type ConvPadding = SpatialSize | 'valid' | 'same';

/** Options of {@link conv2d} and {@link conv1d}. */
export interface ConvOptions {
  /** Added to each output channel: a tensor of shape `[outChannels]` (default none). */
  bias?: Tensor | null;
  /** Step between windows (default 1). */
  stride?: SpatialSize;
  /** Zeros added on both sides of each spatial axis (default 0), or `'valid'` / `'same'`. */
  padding?: ConvPadding;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialSize;
  /** Channels split into this many independent groups (default 1); divides both channel counts. */
  groups?: number;
}

/** Options of {@link convTranspose2d}. */
export interface ConvTransposeOptions {
  /** Added to each output channel: a tensor of shape `[outChannels]` (default none). */
  bias?: Tensor | null;
  /** The stride of the convolution this one transposes (default 1). */
  stride?: SpatialSize;
  /** The padding of the convolution this one transposes: removed from each side of the output (default 0). */
  padding?: SpatialSize;
  /** Extra rows/columns on the bottom/right of the output (default 0), each below the stride or the dilation. */
  outputPadding?: SpatialSize;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialSize;
  /** Channel groups (default 1). */
  groups?: number;
}

const BIG = 2 ** 31 - 1;

/** `v` as `n` integers ≥ `min` (a number applies to every axis). */
export function spatialSizes(op: string, name: string, v: unknown, n: number, min: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(expectInteger(op, name, v, min, BIG));
  if (!Array.isArray(v) || v.length !== n)
    throw new ArgumentError(`${op}: expected an integer or ${n} integers for ${name}, got ${describe(v)}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(expectInteger(op, `${name}[${i}]`, v[i], min, BIG));
  return out;
}

/**
 * `x` ([N, C, …spatial]) or its unbatched form ([C, …spatial]) as a batched tensor, with a
 * function that undoes the batching on a result.
 */
export function batched(op: string, x: Tensor, spatial: number): { x: Tensor; unbatch: (y: Tensor) => Tensor } {
  if (x.ndim === spatial + 2) return { x, unbatch: (y) => y };
  if (x.ndim === spatial + 1) return { x: reshape(x, [1, ...x.shape]), unbatch: (y) => reshape(y, y.shape.slice(1)) };
  const layout = spatial === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]';
  throw new ShapeError(`${op}: expected x of shape ${layout}, got ${formatShape(x.shape)}`);
}

/**
 * im2col: the windows of a [N, C, height, width] tensor as [N, C, kH·kW, outH·outW] (the unfold
 * primitive; its gradient, fold, sums each window back). Taps in the padding read zeros.
 */
export function unfoldWindows(x: Tensor, g: WindowGeometry): Tensor {
  return bind(unfoldPrim, [x], g);
}

/** Windows along one axis: floor((size − dilation·(kernel − 1) − 1) / stride) + 1 (size includes padding). */
function windowCount(size: number, kernel: number, stride: number, dilation: number): number {
  return Math.floor((size - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * The 2-D convolution both conv2d and conv1d run: x [N, C, H, W] (validated, one float dtype with
 * w), w [O, C/groups, kH, kW], padding [top, bottom, left, right].
 */
function convolve(
  op: string,
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  stride: readonly [number, number],
  padding: readonly [number, number, number, number],
  dilation: readonly [number, number],
  groups: number,
): Tensor {
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const height = h + padding[0] + padding[1];
  const width = wd + padding[2] + padding[3];
  const out: [number, number] = [windowCount(height, kh, stride[0], dilation[0]), windowCount(width, kw, stride[1], dilation[1])];
  if (out[0] < 1 || out[1] < 1) {
    throw new ShapeError(
      `${op}: the padded input ${formatShape([height, width])} is smaller than the dilated kernel ${formatShape([dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1])}`,
    );
  }
  checkSize(op, [n, x.shape[1]!, kh * kw, out[0] * out[1]]);
  const cols = unfoldWindows(x, { height: h, width: wd, padding: [padding[0], padding[2]], kernel: [kh, kw], stride, dilation, out });
  const k = cg * kh * kw;
  const l = out[0] * out[1];
  // out[n, o, l] = Σ_k W[o, k] · cols[n, k, l], per group; the batch broadcasts over W.
  const y =
    groups === 1
      ? matmul(reshape(w, [o, k]), reshape(cols, [n, k, l]))
      : reshape(matmul(reshape(w, [groups, o / groups, k]), reshape(cols, [n, groups, k, l])), [n, o, l]);
  const result = reshape(y, [n, o, out[0], out[1]]);
  return bias === null ? result : add(result, reshape(bias, [o, 1, 1]));
}

/** The operands of a convolution in one float dtype, with the channel and bias checks. */
function convOperands(
  op: string,
  x: unknown,
  weight: unknown,
  bias: unknown,
  groups: unknown,
  spatial: number,
  transposed: boolean,
): { x: Tensor; w: Tensor; bias: Tensor | null; groups: number; unbatch: (y: Tensor) => Tensor } {
  const xt = expectFloatTensor(op, 'x', x);
  const wt = expectFloatTensor(op, 'weight', weight);
  const g = expectInteger(op, 'opts.groups', groups ?? 1, 1, BIG);
  const { x: xb, unbatch } = batched(op, xt, spatial);
  const layout = transposed ? '[in, out/groups, …kernel]' : '[out, in/groups, …kernel]';
  if (wt.ndim !== spatial + 2 || wt.shape.slice(2).some((d) => d === 0) || wt.shape[0] === 0)
    throw new ShapeError(`${op}: expected weight of shape ${layout} with ${spatial} non-empty kernel axes, got ${formatShape(wt.shape)}`);
  const channels = xb.shape[1]!;
  const [w0, w1] = wt.shape as [number, number];
  const inChannels = transposed ? w0 : w1 * g;
  const outChannels = transposed ? w1 * g : w0;
  if (channels % g !== 0 || inChannels !== channels || (!transposed && w0 % g !== 0))
    throw new ShapeError(
      `${op}: x has ${channels} channels and weight ${formatShape(wt.shape)} with groups ${g}; expected weight ${layout} with in = ${channels} divisible by groups`,
    );
  let b: Tensor | null = null;
  if (bias !== undefined && bias !== null) {
    b = expectFloatTensor(op, 'opts.bias', bias);
    if (b.ndim !== 1 || b.shape[0] !== outChannels)
      throw new ShapeError(`${op}: expected opts.bias of shape [${outChannels}] (one per output channel), got ${formatShape(b.shape)}`);
  }
  const dtype = promoteTypes(promoteTypes(xb.dtype, wt.dtype), b?.dtype ?? xb.dtype);
  return { x: castTo(xb, dtype), w: castTo(wt, dtype), bias: b === null ? null : castTo(b, dtype), groups: g, unbatch };
}

/** [top, bottom, left, right] padding for 'valid', 'same' or per-axis sizes. */
function convPadding(
  op: string,
  padding: unknown,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): number[] {
  const n = kernel.length;
  if (padding === 'valid') return new Array<number>(2 * n).fill(0);
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: padding 'same' needs stride 1, got stride [${stride.join(', ')}]`);
    // As PyTorch: the total d·(k − 1) split with the odd one on the bottom/right.
    return kernel.flatMap((k, i) => {
      const total = dilation[i]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (typeof padding === 'string') throw new ArgumentError(`${op}: expected padding 'valid', 'same' or integers, got ${describe(padding)}`);
  return spatialSizes(op, 'opts.padding', padding, n, 0).flatMap((p) => [p, p]);
}

/**
 * 2-D convolution (PyTorch's `conv2d`, a cross-correlation): `x` of shape [N, C, H, W] (or
 * [C, H, W]), `weight` of shape [out, C/groups, kH, kW]; output [N, out, H′, W′] with
 * H′ = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1. Differentiable in `x`, `weight`
 * and `bias` to any order.
 *
 * @example
 * conv2d(ones([1, 1, 3, 3]), ones([1, 1, 2, 2])).toArray() // [[[[4, 4], [4, 4]]]]
 * conv2d(x, w, { bias: b, padding: 1 }) // 3×3 kernels keep H and W
 */
export function conv2d(x: Tensor, weight: Tensor, opts?: ConvOptions): Tensor {
  const op = 'conv2d';
  const o = expectOptions(op, opts);
  const args = convOperands(op, x, weight, o.bias, o.groups, 2, false);
  const stride = spatialSizes(op, 'opts.stride', o.stride ?? 1, 2, 1) as [number, number];
  const dilation = spatialSizes(op, 'opts.dilation', o.dilation ?? 1, 2, 1) as [number, number];
  const kernel = args.w.shape.slice(2);
  const padding = convPadding(op, o.padding ?? 0, kernel, stride, dilation) as [number, number, number, number];
  return args.unbatch(convolve(op, args.x, args.w, args.bias, stride, padding, dilation, args.groups));
}

/**
 * 1-D convolution (PyTorch's `conv1d`): `x` of shape [N, C, L] (or [C, L]), `weight` of shape
 * [out, C/groups, k]; output [N, out, L′]. The same options as {@link conv2d}, one size each.
 *
 * @example
 * conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, -1]]])).toArray() // [[[-1, -1, -1]]]
 */
export function conv1d(x: Tensor, weight: Tensor, opts?: ConvOptions): Tensor {
  const op = 'conv1d';
  const o = expectOptions(op, opts);
  const args = convOperands(op, x, weight, o.bias, o.groups, 1, false);
  const [stride] = spatialSizes(op, 'opts.stride', o.stride ?? 1, 1, 1) as [number];
  const [dilation] = spatialSizes(op, 'opts.dilation', o.dilation ?? 1, 1, 1) as [number];
  const [before, after] = convPadding(op, o.padding ?? 0, args.w.shape.slice(2), [stride], [dilation]) as [number, number];
  const [n, c, l] = args.x.shape as [number, number, number];
  const w = args.w;
  const y = convolve(
    op,
    reshape(args.x, [n, c, 1, l]),
    reshape(w, [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]),
    args.bias,
    [1, stride],
    [0, 0, before, after],
    [1, dilation],
    args.groups,
  );
  return args.unbatch(reshape(y, [n, y.shape[1]!, y.shape[3]!]));
}

/**
 * Transposed 2-D convolution (PyTorch's `conv_transpose2d`, the gradient of {@link conv2d} with
 * respect to its input): `x` [N, in, H, W] (or [in, H, W]), `weight` [in, out/groups, kH, kW];
 * output [N, out, H′, W′] with H′ = (H − 1)·stride − 2·padding + dilation·(kH − 1) +
 * outputPadding + 1. Differentiable to any order.
 *
 * @example
 * convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), { stride: 2 }).shape // [1, 1, 4, 4]
 */
export function convTranspose2d(x: Tensor, weight: Tensor, opts?: ConvTransposeOptions): Tensor {
  const op = 'convTranspose2d';
  const o = expectOptions(op, opts);
  const args = convOperands(op, x, weight, o.bias, o.groups, 2, true);
  const stride = spatialSizes(op, 'opts.stride', o.stride ?? 1, 2, 1);
  const padding = spatialSizes(op, 'opts.padding', o.padding ?? 0, 2, 0);
  const outputPadding = spatialSizes(op, 'opts.outputPadding', o.outputPadding ?? 0, 2, 0);
  const dilation = spatialSizes(op, 'opts.dilation', o.dilation ?? 1, 2, 1);
  for (let i = 0; i < 2; i++) {
    if (outputPadding[i]! >= stride[i]! && outputPadding[i]! >= dilation[i]!)
      throw new ArgumentError(
        `${op}: opts.outputPadding[${i}] = ${outputPadding[i]} must be smaller than the stride (${stride[i]}) or the dilation (${dilation[i]})`,
      );
  }
  const g = args.groups;
  const [n, cin, h, wd] = args.x.shape as [number, number, number, number];
  const [, cog, kh, kw] = args.w.shape as [number, number, number, number];
  const kernel = [kh, kw];
  const sizes = [h, wd];
  const outSize = sizes.map((s, i) => (s - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + outputPadding[i]! + 1);
  checkSize(op, [n, g * cog, ...outSize]);
  checkSize(op, [n, cin, h * stride[0]!, wd * stride[1]!]);
  if (outSize.some((s) => s < 1))
    throw new ShapeError(`${op}: the output size ${formatShape(outSize)} is not positive (padding ${formatShape(padding)} too large)`);
  // Zeros between input elements (stride − 1 of them) turn the transposed convolution into a
  // plain one; a view [N, C, H, 1, W, 1] padded on the unit axes and reshaped does it.
  let xd = args.x;
  if (stride[0]! > 1 || stride[1]! > 1) {
    const spread = pad(reshape(xd, [n, cin, h, 1, wd, 1]), [0, stride[1]! - 1, 0, 0, 0, stride[0]! - 1]);
    xd = reshape(spread, [n, cin, h * stride[0]!, wd * stride[1]!]);
  }
  // Then a full correlation with the flipped kernel: d·(k − 1) − padding on each side (negative
  // crops), outputPadding more at the bottom/right, and the stride's trailing zeros removed.
  const border = kernel.map((k, i) => dilation[i]! * (k - 1) - padding[i]!);
  const pads: [number, number, number, number] = [
    border[0]!,
    border[0]! + outputPadding[0]! - (stride[0]! - 1),
    border[1]!,
    border[1]! + outputPadding[1]! - (stride[1]! - 1),
  ];
  // A negative pad crops, which pad does; the convolution then runs unpadded.
  xd = pad(xd, [pads[2], pads[3], pads[0], pads[1]]);
  // weight [in, out/g, kH, kW] → per group [out/g, in/g] swapped, kernel flipped: [out, in/g, kH, kW].
  const w = flip(reshape(transpose(reshape(args.w, [g, cin / g, cog, kh, kw]), [0, 2, 1, 3, 4]), [g * cog, cin / g, kh, kw]), [2, 3]);
  const y = convolve(op, xd, w, args.bias, [1, 1], [0, 0, 0, 0], dilation as [number, number], g);
  return args.unbatch(y);
}
