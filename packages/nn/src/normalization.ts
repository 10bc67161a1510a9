// Normalisation layers with PyTorch's names, defaults and statistics: LayerNorm and RMSNorm over
// the trailing axes, BatchNorm over every axis but the channels (axis 1), whose running mean and
// variance are buffers: saved with the model, updated in train(), used in eval().
import { ArgumentError, ShapeError, noGrad, ones, zeros, type DType, type Tensor } from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import { constantParameter } from './parameter.js';
import {
  checkBoolean,
  checkDType,
  checkInteger,
  checkNumber,
  checkOptions,
  checkShape,
  checkTensor,
  describeValue,
  inContext,
} from './validate.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-element scale `weight` (ones) and shift `bias` (zeros) (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, also learn `bias` (default true). */
  bias?: boolean;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/** The trailing shape a norm layer normalises: a size or a list of sizes, each ≥ 1. */
function normalizedShapeOf(op: string, value: unknown): number[] {
  const list = typeof value === 'number' ? [value] : value;
  const shape = checkShape(op, 'normalizedShape', list);
  if (shape.length === 0 || shape.some((d) => d === 0)) {
    throw new ShapeError(`${op}: normalizedShape must hold at least one size, each ≥ 1, got ${describeValue(value)}`);
  }
  return shape;
}

/** Checks that `x` ends in `shape`; returns the axes that shape covers. */
function trailingAxes(op: string, x: Tensor, shape: readonly number[]): number[] {
  const k = shape.length;
  if (x.ndim < k || x.shape.slice(x.ndim - k).join() !== shape.join()) {
    throw new ShapeError(`${op}: input of shape [${x.shape}] does not end in the normalized shape [${shape}]`);
  }
  return shape.map((_, i) => x.ndim - k + i);
}

/**
 * PyTorch's `nn.LayerNorm(normalizedShape)`: over the trailing axes given by `normalizedShape`,
 * y = (x − mean) / √(var + eps) · weight + bias, with the biased variance (divided by N).
 *
 * @example
 * new LayerNorm(8).forward(randn([2, 5, 8])).shape; // [2, 5, 8]
 */
export class LayerNorm extends Module {
  /** The trailing shape normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance (default 1e-5). */
  readonly eps: number;
  /** The scale, ones of `normalizedShape`, or null without `elementwiseAffine`. */
  weight: Tensor | null;
  /** The shift, zeros of `normalizedShape`, or null without `elementwiseAffine` or `bias`. */
  bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    const op = 'LayerNorm';
    this.normalizedShape = normalizedShapeOf(op, normalizedShape);
    const o = checkOptions(op, opts);
    this.eps = checkNumber(op, 'opts.eps', o.eps ?? 1e-5, 0);
    const affine = checkBoolean(op, 'opts.elementwiseAffine', o.elementwiseAffine ?? true);
    const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    this.weight = affine ? constantParameter(this.normalizedShape, 1, dtype) : null;
    this.bias = affine && bias ? constantParameter(this.normalizedShape, 0, dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const axes = trailingAxes(op, x, this.normalizedShape);
    return inContext(op, () => {
      const centered = x.sub(x.mean(axes, true));
      const normed = centered.div(centered.square().mean(axes, true).add(this.eps).sqrt());
      return affine(normed, this.weight, this.bias);
    });
  }
}

/** Options of `RMSNorm`. */
export interface RMSNormOptions {
  /** Added to the mean square (default: the machine epsilon of the input's dtype, as PyTorch's `eps=None`). */
  eps?: number;
  /** Learn a per-element scale `weight` (ones) (default true). */
  elementwiseAffine?: boolean;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/**
 * PyTorch's `nn.RMSNorm(normalizedShape)`: y = x / √(mean(x²) + eps) · weight over the trailing
 * axes of `normalizedShape` (no centring, no bias).
 *
 * @example
 * new RMSNorm(8).forward(randn([2, 8])).shape; // [2, 8]
 */
export class RMSNorm extends Module {
  /** The trailing shape normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the mean square, or null for the input dtype's machine epsilon. */
  readonly eps: number | null;
  /** The scale, ones of `normalizedShape`, or null without `elementwiseAffine`. */
  weight: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: RMSNormOptions = {}) {
    super();
    const op = 'RMSNorm';
    this.normalizedShape = normalizedShapeOf(op, normalizedShape);
    const o = checkOptions(op, opts);
    this.eps = o.eps === undefined ? null : checkNumber(op, 'opts.eps', o.eps, 0);
    const affine = checkBoolean(op, 'opts.elementwiseAffine', o.elementwiseAffine ?? true);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    this.weight = affine ? constantParameter(this.normalizedShape, 1, dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const axes = trailingAxes(op, x, this.normalizedShape);
    // torch.finfo(dtype).eps: 2⁻⁵² for float64, 2⁻²³ otherwise.
    const eps = this.eps ?? (x.dtype === 'float64' ? 2 ** -52 : 2 ** -23);
    return inContext(op, () => affine(x.div(x.square().mean(axes, true).add(eps).sqrt()), this.weight, null));
  }
}

function affine(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const scaled = weight === null ? x : x.mul(weight);
  return bias === null ? scaled : scaled.add(bias);
}

/** Options of `BatchNorm1d` and `BatchNorm2d`. */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics: running = (1 − momentum)·running +
   * momentum·batch (default 0.1); `null` keeps a cumulative average (1/num_batches_tracked).
   */
  momentum?: number | null;
  /** Learn a per-channel `weight` (ones) and `bias` (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics as buffers and use them in eval mode (default true). */
  trackRunningStats?: boolean;
  /** Dtype of the parameters and running statistics (default `'float32'`). */
  dtype?: DType;
}

/**
 * Batch normalisation over every axis but axis 1 (the channels). In `train()` mode, and always
 * without running statistics, it normalises with the batch's mean and biased variance, and
 * updates `running_mean` and `running_var` (with the unbiased variance) and
 * `num_batches_tracked`, as PyTorch does; in `eval()` mode it uses the running statistics.
 */
abstract class BatchNorm extends Module {
  /** The number of channels C (axis 1 of the input). */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /** The weight of a new batch in the running statistics, or null for a cumulative average. */
  readonly momentum: number | null;
  /** Per-channel scale (ones), or null without `affine`. */
  weight: Tensor | null;
  /** Per-channel shift (zeros), or null without `affine`. */
  bias: Tensor | null;
  /** Running mean per channel (a buffer, zeros at first), or absent without `trackRunningStats`. */
  declare running_mean: Tensor | undefined;
  /** Running unbiased variance per channel (a buffer, ones at first), or absent without `trackRunningStats`. */
  declare running_var: Tensor | undefined;
  /** Batches seen in training (a 0-d int32 buffer), or absent without `trackRunningStats`. */
  declare num_batches_tracked: Tensor | undefined;

  constructor(op: string, numFeatures: number, opts: BatchNormOptions) {
    super();
    this.numFeatures = checkInteger(op, 'numFeatures', numFeatures, 1);
    const o = checkOptions(op, opts);
    this.eps = checkNumber(op, 'opts.eps', o.eps ?? 1e-5, 0);
    this.momentum = o.momentum === null ? null : checkNumber(op, 'opts.momentum', o.momentum ?? 0.1, 0);
    const isAffine = checkBoolean(op, 'opts.affine', o.affine ?? true);
    const track = checkBoolean(op, 'opts.trackRunningStats', o.trackRunningStats ?? true);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    this.weight = isAffine ? constantParameter([numFeatures], 1, dtype) : null;
    this.bias = isAffine ? constantParameter([numFeatures], 0, dtype) : null;
    if (track) {
      this.registerBuffer('running_mean', zeros([numFeatures], { dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    }
  }

  /** The input ranks this layer accepts (2 or 3 for 1d, 4 for 2d), for messages. */
  protected abstract readonly ranks: readonly number[];

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      const expected = this.ranks.map((r) => `[N, ${this.numFeatures}${', …'.repeat(r - 2)}]`).join(' or ');
      throw new ShapeError(`${op}: input of shape [${x.shape}] does not fit ${expected}`);
    }
    const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
    const count = axes.reduce((n, d) => n * x.shape[d]!, 1);
    const useBatch = this.training || this.running_mean === undefined;
    if (this.training && count <= 1) {
      throw new ArgumentError(`${op}: expected more than 1 value per channel when training, got input of shape [${x.shape}]`);
    }
    // Per-channel tensors `[C]` broadcast as [1, C, 1, …].
    const perChannel = [1, this.numFeatures, ...x.shape.slice(2).map(() => 1)];
    return inContext(op, () => {
      let mean: Tensor;
      let variance: Tensor;
      if (useBatch) {
        mean = x.mean(axes, true);
        variance = x.sub(mean).square().mean(axes, true);
      } else {
        mean = this.running_mean!.reshape(perChannel);
        variance = this.running_var!.reshape(perChannel);
      }
      const normed = x.sub(mean).div(variance.add(this.eps).sqrt());
      const out = affine(normed, this.weight?.reshape(perChannel) ?? null, this.bias?.reshape(perChannel) ?? null);
      // NOTE: the running statistics change only after the output exists, so a failed call changes nothing.
      if (this.training && this.running_mean !== undefined) updateRunningStats(this, mean, variance, count);
      return out;
    });
  }
}

/** running ← (1 − m)·running + m·batch, with the unbiased batch variance (n/(n − 1) times the biased one). */
function updateRunningStats(bn: BatchNorm, mean: Tensor, biasedVariance: Tensor, count: number): void {
  const runningMean = bn.running_mean!;
  const runningVar = bn.running_var!;
  const tracked = bn.num_batches_tracked!;
  noGrad(() => {
    const m = bn.momentum ?? 1 / (tracked.item() + 1);
    const batchMean = mean.detach().reshape([bn.numFeatures]).astype(runningMean.dtype);
    const batchVar = biasedVariance
      .detach()
      .reshape([bn.numFeatures])
      .mul(count / (count - 1))
      .astype(runningVar.dtype);
    runningMean.assign(runningMean.mul(1 - m).add(batchMean.mul(m)));
    runningVar.assign(runningVar.mul(1 - m).add(batchVar.mul(m)));
    tracked.assign(tracked.add(1));
  });
}

/**
 * PyTorch's `nn.BatchNorm1d(numFeatures)`: batch normalisation of `[N, C]` or `[N, C, L]` inputs
 * over every axis but C; running statistics are the buffers `running_mean`, `running_var`,
 * `num_batches_tracked`.
 *
 * @example
 * const bn = new BatchNorm1d(3);
 * bn.forward(randn([8, 3])); // normalised with the batch statistics; running ones updated
 * bn.namedBuffers().map(([n]) => n); // ['running_mean', 'running_var', 'num_batches_tracked']
 */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }
}

/**
 * PyTorch's `nn.BatchNorm2d(numFeatures)`: batch normalisation of NCHW inputs `[N, C, H, W]`
 * per channel; see `BatchNorm1d` for the statistics.
 *
 * @example
 * new BatchNorm2d(16).eval().forward(randn([2, 16, 8, 8])).shape; // [2, 16, 8, 8]
 */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }
}
