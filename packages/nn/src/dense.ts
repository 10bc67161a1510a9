// The fully connected layer of the seed: Y = f(X W + b) with row-vector inputs.
import { ArgumentError, ShapeError, Tensor, type DType, type Rng } from '@jacobi/tensor';
import { Module } from './module.js';
import { resolveActivation, type Activation, type ActivationName } from './activations.js';
import { defaultRng, resolveInitializer, type Initializer, type InitializerName } from './init.js';

export interface DenseOptions {
  /** Add a bias `b` (default true). */
  bias?: boolean;
  /** f in Y = f(XW + b): a function or a name (default `'identity'`). */
  activation?: Activation | ActivationName;
  /** How to fill the weight (default `'glorotUniform'`). */
  init?: Initializer | InitializerName;
  /** How to fill the bias (default `'zeros'`). */
  biasInit?: Initializer | InitializerName;
  /** The generator the initialisers draw from; pass `rng(seed)` for reproducible weights. */
  rng?: Rng;
  /** Parameter dtype (default `'float32'`). */
  dtype?: DType;
}

/**
 * A fully connected layer Y = f(X W + b), with `weight` of shape `[in, out]` and `bias` of
 * shape `[out]`, so an input row vector x gives the row x W (the seed's convention; PyTorch's
 * `Linear.weight` is the transpose). Accepts `[batch, in]` or any `[..., in]` input.
 *
 * @example
 * const layer = new Dense(4, 3, { activation: 'relu', rng: rng(0) });
 * layer.forward(zeros([10, 4])).shape; // [10, 3]
 */
export class Dense extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;
  /** The activation f (identity by default). */
  readonly activation: Activation;

  constructor(inFeatures: number, outFeatures: number, opts: DenseOptions = {}) {
    super();
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`Dense: ${name} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = resolveActivation('Dense', opts.activation);
    const r = opts.rng ?? defaultRng();
    const dtype = opts.dtype ?? 'float32';
    this.weight = resolveInitializer('Dense', opts.init ?? 'glorotUniform')([inFeatures, outFeatures], { rng: r, dtype }).detach();
    this.weight.requiresGrad = true;
    if (opts.bias ?? true) {
      this.bias = resolveInitializer('Dense', opts.biasInit ?? 'zeros')([outFeatures], { rng: r, dtype }).detach();
      this.bias.requiresGrad = true;
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError('Dense.forward: expected a Tensor input');
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`Dense.forward: input of shape [${x.shape}] does not fit a layer with ${this.inFeatures} input features (expected [..., ${this.inFeatures}])`);
    }
    const y = x.matmul(this.weight);
    return this.activation(this.bias === null ? y : y.add(this.bias));
  }
}
