// The fully connected layer of the seed: Y = f(X W + b) with row-vector inputs.
import { ArgumentError, ShapeError, Tensor, type DType, type Rng } from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import { checkBoolean, checkDType, checkInteger, checkOptions, checkShape, checkTensor, describeValue, inContext } from './validate.js';
import { resolveActivation, type Activation, type ActivationName } from './activations.js';
import { rngOption, resolveInitializer, type Initializer, type InitializerName } from './init.js';

/** Options of `Dense`; every one is checked when the layer is built. */
export interface DenseOptions {
  /** Add a bias `b` (default true). */
  bias?: boolean;
  /** f in Y = f(XW + b): a function or a name (default `'identity'`). */
  activation?: Activation | ActivationName;
  /** How to fill the weight (default `'glorotUniform'`). */
  init?: Initializer | InitializerName;
  /** How to fill the bias (default `'zeros'`). */
  biasInit?: Initializer | InitializerName;
  /**
   * The generator the initialisers draw from (default: one fixed-seed stream shared by the
   * process, so weights depend on what was built before); pass `rng(seed)` for reproducible weights.
   */
  rng?: Rng;
  /** Dtype of the weight and bias (default `'float32'`); an initialiser must return exactly it. */
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
  /** Size of the input's last axis, an integer ≥ 1. */
  readonly inFeatures: number;
  /** Size of the output's last axis, an integer ≥ 1. */
  readonly outFeatures: number;
  /** The weight W, a `[inFeatures, outFeatures]` parameter (the transpose of PyTorch's `Linear.weight`). */
  weight: Tensor;
  /** The bias b, an `[outFeatures]` parameter, or null when built with `bias: false`. */
  bias: Tensor | null;
  /** The activation f (identity by default). */
  readonly activation: Activation;

  constructor(inFeatures: number, outFeatures: number, opts: DenseOptions = {}) {
    super();
    const op = 'Dense';
    checkInteger(op, 'inFeatures', inFeatures, 1);
    checkInteger(op, 'outFeatures', outFeatures, 1);
    const o = checkOptions(op, opts);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = resolveActivation(op, o.activation as DenseOptions['activation']);
    const weightInit = resolveInitializer(op, (o.init ?? 'glorotUniform') as Initializer | InitializerName);
    const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
    const biasInit = bias ? resolveInitializer(op, (o.biasInit ?? 'zeros') as Initializer | InitializerName) : null;
    const r = rngOption(op, o);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    checkShape(op, 'the weight shape [inFeatures, outFeatures]', [inFeatures, outFeatures]);
    this.weight = parameterFrom(op, 'init', weightInit, [inFeatures, outFeatures], r, dtype);
    this.bias = biasInit === null ? null : parameterFrom(op, 'biasInit', biasInit, [outFeatures], r, dtype);
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `${op}: input of shape [${x.shape}] does not fit a layer with ${this.inFeatures} input features (expected [..., ${this.inFeatures}])`,
      );
    }
    return inContext(op, () => {
      const y = x.matmul(this.weight);
      const out: unknown = this.activation(this.bias === null ? y : y.add(this.bias));
      if (!(out instanceof Tensor)) throw new ArgumentError(`${op}: the activation returned ${describeValue(out)}, expected a Tensor`);
      return out;
    });
  }
}

/** A fresh requiresGrad leaf from an initialiser, which must return exactly `shape` in `dtype`. */
function parameterFrom(op: string, option: string, init: Initializer, shape: number[], r: Rng, dtype: DType): Tensor {
  const value: unknown = inContext(op, () => init(shape, { rng: r, dtype }));
  if (!(value instanceof Tensor) || value.shape.join() !== shape.join() || value.ndim !== shape.length || value.dtype !== dtype) {
    throw new ArgumentError(`${op}: opts.${option} returned ${describeValue(value)}, expected a ${dtype} Tensor of shape [${shape}]`);
  }
  const p = value.detach();
  p.requiresGrad = true;
  return p;
}
