// Convolution, pooling and flattening layers with PyTorch's constructors, parameter names
// (`weight`, `bias`), layouts (NCHW; weight [out, in/groups, kH, kW], transposed [in, out/groups,
// kH, kW]) and default initialisation, on @jacobi/tensor's conv and pool functions.
import {
  ArgumentError,
  adaptiveAvgPool2d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose2d,
  maxPool2d,
  type ConvPadding,
  type DType,
  type Rng,
  type Tensor,
} from '@jacobi/tensor';
import { rngOption } from './init.js';
import { uniformParameter } from './parameter.js';
import { Module, methodName } from './module.js';
import { checkBoolean, checkDType, checkInteger, checkOptions, checkTensor, describeValue, inContext } from './validate.js';

/** A size per spatial axis: one number for all, or one each. */
export type Size2 = number | readonly [number, number];

/** Options of {@link Conv2d} and {@link Conv1d} (sizes are one number for Conv1d). */
export interface ConvLayerOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Zeros on both sides of each spatial axis (default 0), or `'valid'` / `'same'` (stride 1). */
  padding?: Size2 | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1); divides both channel counts. */
  groups?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** The generator the initialisation draws from (default: the process's shared fixed-seed stream). */
  rng?: Rng;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/** Options of {@link ConvTranspose2d}. */
export interface ConvTransposeLayerOptions {
  /** The stride of the convolution this one transposes (default 1). */
  stride?: Size2;
  /** Removed from each side of the output (default 0). */
  padding?: Size2;
  /** Extra rows/columns on the bottom/right of the output (default 0). */
  outputPadding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1). */
  groups?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** The generator the initialisation draws from. */
  rng?: Rng;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/** `v` as `n` integers ≥ `min`. */
function sizes(op: string, name: string, v: unknown, n: number, min: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(checkInteger(op, name, v, min));
  if (!Array.isArray(v) || v.length !== n)
    throw new ArgumentError(`${op}: ${name} must be an integer or ${n} integers, got ${describeValue(v)}`);
  return Array.from({ length: n }, (_, i) => checkInteger(op, `${name}[${i}]`, v[i], min));
}

/** The checked options shared by the convolution layers. */
function convSetup(
  op: string,
  inChannels: unknown,
  outChannels: unknown,
  kernelSize: unknown,
  opts: unknown,
  spatial: number,
): {
  inChannels: number;
  outChannels: number;
  kernel: number[];
  o: Readonly<Record<string, unknown>>;
  stride: number[];
  dilation: number[];
  groups: number;
  bias: boolean;
  r: Rng;
  dtype: DType;
} {
  const inC = checkInteger(op, 'inChannels', inChannels, 1);
  const outC = checkInteger(op, 'outChannels', outChannels, 1);
  const kernel = sizes(op, 'kernelSize', kernelSize, spatial, 1);
  const o = checkOptions(op, opts);
  const stride = sizes(op, 'opts.stride', o.stride ?? 1, spatial, 1);
  const dilation = sizes(op, 'opts.dilation', o.dilation ?? 1, spatial, 1);
  const groups = checkInteger(op, 'opts.groups', o.groups ?? 1, 1);
  if (inC % groups !== 0 || outC % groups !== 0)
    throw new ArgumentError(`${op}: opts.groups (${groups}) must divide inChannels (${inC}) and outChannels (${outC})`);
  const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
  const r = rngOption(op, o);
  const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
  const weightSize = inC * (outC / groups) * kernel.reduce((a, b) => a * b, 1);
  if (weightSize > 2 ** 31 - 1) throw new ArgumentError(`${op}: the weight would have ${weightSize} elements, more than a tensor can hold`);
  return { inChannels: inC, outChannels: outC, kernel, o, stride, dilation, groups, bias, r, dtype };
}

/** 'valid', 'same' or sizes; 'same' needs stride 1 (as PyTorch). */
function convPadding(op: string, v: unknown, stride: readonly number[], spatial: number): ConvPadding {
  if (v === 'valid' || v === 'same') {
    if (v === 'same' && stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: opts.padding 'same' needs stride 1`);
    return v;
  }
  return sizes(op, 'opts.padding', v, spatial, 0);
}

/**
 * 2-D convolution layer (PyTorch's `nn.Conv2d`): `weight` [outChannels, inChannels/groups, kH,
 * kW] and `bias` [outChannels], both U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels/groups·kH·kW
 * (PyTorch's default). Input [N, C, H, W] or [C, H, W].
 *
 * @example
 * const conv = new Conv2d(1, 8, 3, { padding: 1, rng: rng(0) });
 * conv.forward(zeros([4, 1, 8, 8])).shape; // [4, 8, 8, 8]
 */
export class Conv2d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: readonly number[];
  /** [stride along H, along W]. */
  readonly stride: readonly number[];
  /** [top/bottom, left/right] padding, `'valid'` or `'same'`. */
  readonly padding: ConvPadding;
  /** [dilation along H, along W]. */
  readonly dilation: readonly number[];
  /** Channel groups. */
  readonly groups: number;
  /** The kernels, a `[outChannels, inChannels/groups, kH, kW]` parameter. */
  weight: Tensor;
  /** One per output channel, or null when built with `bias: false`. */
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvLayerOptions = {}) {
    super();
    const op = 'Conv2d';
    const s = convSetup(op, inChannels, outChannels, kernelSize, opts, 2);
    this.inChannels = s.inChannels;
    this.outChannels = s.outChannels;
    this.kernelSize = s.kernel;
    this.stride = s.stride;
    this.dilation = s.dilation;
    this.groups = s.groups;
    this.padding = convPadding(op, s.o.padding ?? 0, s.stride, 2);
    const fanIn = (s.inChannels / s.groups) * s.kernel[0]! * s.kernel[1]!;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniformParameter([s.outChannels, s.inChannels / s.groups, ...s.kernel], bound, s.r, s.dtype);
    this.bias = s.bias ? uniformParameter([s.outChannels], bound, s.r, s.dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () =>
      conv2d(x, this.weight, {
        bias: this.bias,
        stride: this.stride,
        padding: this.padding,
        dilation: this.dilation,
        groups: this.groups,
      }),
    );
  }
}

/**
 * 1-D convolution layer (PyTorch's `nn.Conv1d`): `weight` [outChannels, inChannels/groups, k]
 * and `bias` [outChannels], PyTorch's default initialisation. Input [N, C, L] or [C, L].
 *
 * @example
 * new Conv1d(2, 4, 3, { rng: rng(0) }).forward(zeros([1, 2, 10])).shape; // [1, 4, 8]
 */
export class Conv1d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** The kernel length. */
  readonly kernelSize: number;
  /** Step between windows. */
  readonly stride: number;
  /** Zeros on each side, `'valid'` or `'same'`. */
  readonly padding: number | 'valid' | 'same';
  /** Spacing between kernel taps. */
  readonly dilation: number;
  /** Channel groups. */
  readonly groups: number;
  /** The kernels, a `[outChannels, inChannels/groups, k]` parameter. */
  weight: Tensor;
  /** One per output channel, or null when built with `bias: false`. */
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvLayerOptions = {}) {
    super();
    const op = 'Conv1d';
    const s = convSetup(op, inChannels, outChannels, kernelSize, opts, 1);
    this.inChannels = s.inChannels;
    this.outChannels = s.outChannels;
    this.kernelSize = s.kernel[0]!;
    this.stride = s.stride[0]!;
    this.dilation = s.dilation[0]!;
    this.groups = s.groups;
    const padding = convPadding(op, s.o.padding ?? 0, s.stride, 1);
    this.padding = typeof padding === 'string' ? padding : (padding as number[])[0]!;
    const bound = 1 / Math.sqrt((s.inChannels / s.groups) * this.kernelSize);
    this.weight = uniformParameter([s.outChannels, s.inChannels / s.groups, this.kernelSize], bound, s.r, s.dtype);
    this.bias = s.bias ? uniformParameter([s.outChannels], bound, s.r, s.dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () =>
      conv1d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups }),
    );
  }
}

/**
 * Transposed 2-D convolution layer (PyTorch's `nn.ConvTranspose2d`): `weight` [inChannels,
 * outChannels/groups, kH, kW], `bias` [outChannels], U(−1/√fanIn, 1/√fanIn) with fanIn =
 * outChannels/groups·kH·kW (PyTorch computes it from the weight's second axis).
 *
 * @example
 * new ConvTranspose2d(4, 2, 2, { stride: 2, rng: rng(0) }).forward(zeros([1, 4, 5, 5])).shape; // [1, 2, 10, 10]
 */
export class ConvTranspose2d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: readonly number[];
  /** The stride of the convolution this one transposes. */
  readonly stride: readonly number[];
  /** Removed from each side of the output. */
  readonly padding: readonly number[];
  /** Extra rows/columns on the bottom/right. */
  readonly outputPadding: readonly number[];
  /** Spacing between kernel taps. */
  readonly dilation: readonly number[];
  /** Channel groups. */
  readonly groups: number;
  /** The kernels, a `[inChannels, outChannels/groups, kH, kW]` parameter. */
  weight: Tensor;
  /** One per output channel, or null when built with `bias: false`. */
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvTransposeLayerOptions = {}) {
    super();
    const op = 'ConvTranspose2d';
    const s = convSetup(op, inChannels, outChannels, kernelSize, opts, 2);
    this.inChannels = s.inChannels;
    this.outChannels = s.outChannels;
    this.kernelSize = s.kernel;
    this.stride = s.stride;
    this.dilation = s.dilation;
    this.groups = s.groups;
    this.padding = sizes(op, 'opts.padding', s.o.padding ?? 0, 2, 0);
    this.outputPadding = sizes(op, 'opts.outputPadding', s.o.outputPadding ?? 0, 2, 0);
    const bound = 1 / Math.sqrt((s.outChannels / s.groups) * s.kernel[0]! * s.kernel[1]!);
    this.weight = uniformParameter([s.inChannels, s.outChannels / s.groups, ...s.kernel], bound, s.r, s.dtype);
    this.bias = s.bias ? uniformParameter([s.outChannels], bound, s.r, s.dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () =>
      convTranspose2d(x, this.weight, {
        bias: this.bias,
        stride: this.stride,
        padding: this.padding,
        outputPadding: this.outputPadding,
        dilation: this.dilation,
        groups: this.groups,
      }),
    );
  }
}

/** Options of {@link MaxPool2d}. */
export interface MaxPoolLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2;
  /** Implicit −∞ on both sides (default 0), at most half the dilated kernel. */
  padding?: Size2;
  /** Spacing between window taps (default 1). */
  dilation?: Size2;
  /** Count a last partial window (default false). */
  ceilMode?: boolean;
}

/** Options of {@link AvgPool2d}. */
export interface AvgPoolLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2;
  /** Implicit zeros on both sides (default 0), at most half the kernel. */
  padding?: Size2;
  /** Count a last partial window (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in each divisor (default true). */
  countIncludePad?: boolean;
}

/** The window options of a pooling layer, checked. */
function poolSetup(
  op: string,
  kernelSize: unknown,
  opts: unknown,
  dilated: boolean,
): { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean; o: Readonly<Record<string, unknown>> } {
  const kernel = sizes(op, 'kernelSize', kernelSize, 2, 1);
  const o = checkOptions(op, opts);
  const stride = o.stride === undefined || o.stride === null ? kernel : sizes(op, 'opts.stride', o.stride, 2, 1);
  const padding = sizes(op, 'opts.padding', o.padding ?? 0, 2, 0);
  if (!dilated && o.dilation !== undefined) throw new ArgumentError(`${op}: average pooling takes no opts.dilation`);
  const dilation = sizes(op, 'opts.dilation', o.dilation ?? 1, 2, 1);
  const ceilMode = checkBoolean(op, 'opts.ceilMode', o.ceilMode ?? false);
  for (let i = 0; i < 2; i++) {
    if (2 * padding[i]! > dilation[i]! * (kernel[i]! - 1) + 1)
      throw new ArgumentError(`${op}: opts.padding (${padding[i]}) must be at most half the window (${kernel[i]})`);
  }
  return { kernel, stride, padding, dilation, ceilMode, o };
}

/**
 * 2-D max pooling layer (PyTorch's `nn.MaxPool2d`); no parameters. The gradient goes to each
 * window's first arg-max.
 *
 * @example
 * new MaxPool2d(2).forward(zeros([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 */
export class MaxPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: readonly number[];
  /** Step between windows. */
  readonly stride: readonly number[];
  /** Implicit −∞ on both sides. */
  readonly padding: readonly number[];
  /** Spacing between window taps. */
  readonly dilation: readonly number[];
  /** Whether a last partial window counts. */
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, opts: MaxPoolLayerOptions = {}) {
    super();
    const s = poolSetup('MaxPool2d', kernelSize, opts, true);
    this.kernelSize = s.kernel;
    this.stride = s.stride;
    this.padding = s.padding;
    this.dilation = s.dilation;
    this.ceilMode = s.ceilMode;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const { kernelSize, stride, padding, dilation, ceilMode } = this;
    return inContext(op, () => maxPool2d(x, { kernelSize, stride, padding, dilation, ceilMode }));
  }
}

/**
 * 2-D average pooling layer (PyTorch's `nn.AvgPool2d`); no parameters.
 *
 * @example
 * new AvgPool2d(2).forward(ones([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 */
export class AvgPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: readonly number[];
  /** Step between windows. */
  readonly stride: readonly number[];
  /** Implicit zeros on both sides. */
  readonly padding: readonly number[];
  /** Whether a last partial window counts. */
  readonly ceilMode: boolean;
  /** Whether the padding zeros count in each divisor. */
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2, opts: AvgPoolLayerOptions = {}) {
    super();
    const op = 'AvgPool2d';
    const s = poolSetup(op, kernelSize, opts, false);
    this.kernelSize = s.kernel;
    this.stride = s.stride;
    this.padding = s.padding;
    this.ceilMode = s.ceilMode;
    this.countIncludePad = checkBoolean(op, 'opts.countIncludePad', s.o.countIncludePad ?? true);
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const { kernelSize, stride, padding, ceilMode, countIncludePad } = this;
    return inContext(op, () => avgPool2d(x, { kernelSize, stride, padding, ceilMode, countIncludePad }));
  }
}

/**
 * 2-D adaptive average pooling layer (PyTorch's `nn.AdaptiveAvgPool2d`): averages to
 * `outputSize` whatever the input size (null keeps an axis); no parameters.
 *
 * @example
 * new AdaptiveAvgPool2d(1).forward(ones([2, 16, 7, 5])).shape; // [2, 16, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  /** [height, width] of the output; null keeps the input's. */
  readonly outputSize: readonly (number | null)[];

  constructor(outputSize: number | readonly (number | null)[]) {
    super();
    const op = 'AdaptiveAvgPool2d';
    if (typeof outputSize === 'number') {
      const n = checkInteger(op, 'outputSize', outputSize, 1);
      this.outputSize = [n, n];
    } else if (Array.isArray(outputSize) && outputSize.length === 2) {
      this.outputSize = outputSize.map((s: unknown, i) => (s === null ? null : checkInteger(op, `outputSize[${i}]`, s, 1)));
    } else {
      throw new ArgumentError(`${op}: outputSize must be an integer or [height, width], got ${describeValue(outputSize)}`);
    }
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () => adaptiveAvgPool2d(x, this.outputSize));
  }
}

/**
 * Flattens axes `startDim` … `endDim` into one (PyTorch's `nn.Flatten`; defaults 1 and −1, so
 * [N, C, H, W] becomes [N, C·H·W]); no parameters.
 *
 * @example
 * new Flatten().forward(zeros([2, 3, 4, 4])).shape; // [2, 48]
 */
export class Flatten extends Module {
  /** First axis flattened (negative counts from the end). */
  readonly startDim: number;
  /** Last axis flattened (negative counts from the end). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInteger('Flatten', 'startDim', startDim, -64, 63);
    this.endDim = checkInteger('Flatten', 'endDim', endDim, -64, 63);
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const n = Math.max(x.ndim, 1);
    const start = this.startDim < 0 ? this.startDim + n : this.startDim;
    const end = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (start < 0 || start >= n || end < 0 || end >= n || start > end)
      throw new ArgumentError(`${op}: startDim ${this.startDim} and endDim ${this.endDim} do not fit an input of shape [${x.shape}]`);
    if (x.ndim === 0) return x.reshape([1]);
    const shape = [...x.shape.slice(0, start), x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(end + 1)];
    return inContext(op, () => x.reshape(shape));
  }
}
