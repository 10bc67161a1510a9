// PyTorch's fully connected layer: y = x Wᵀ + b with `weight` stored `[out, in]`, so weights move
// to and from PyTorch unchanged. (`Dense` keeps the seed's `[in, out]` layout.)
import { ShapeError, type DType, type Rng, type Tensor } from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import { rngOption } from './init.js';
import { uniformParameter } from './parameter.js';
import { checkBoolean, checkDType, checkInteger, checkOptions, checkShape, checkTensor, inContext } from './validate.js';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** The generator of the initial weights (default: the shared fixed-seed stream). */
  rng?: Rng;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/**
 * PyTorch's `nn.Linear`: y = x Wᵀ + b for inputs `[..., in]`, with `weight` `[out, in]` and
 * `bias` `[out]`, both initialised as PyTorch does, from U(−1/√in, 1/√in) (its
 * `kaiming_uniform_(a=√5)`). The attention and transformer layers use it, so their state
 * dictionaries match PyTorch's name for name and shape for shape.
 *
 * @example
 * new Linear(4, 3, { rng: rng(0) }).forward(zeros([10, 4])).shape; // [10, 3]
 */
export class Linear extends Module {
  /** Size of the input's last axis. */
  readonly inFeatures: number;
  /** Size of the output's last axis. */
  readonly outFeatures: number;
  /** W, `[outFeatures, inFeatures]` (PyTorch's layout; the transpose of `Dense.weight`). */
  weight: Tensor;
  /** b, `[outFeatures]`, or null when built with `bias: false`. */
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    const op = 'Linear';
    checkInteger(op, 'inFeatures', inFeatures, 1);
    checkInteger(op, 'outFeatures', outFeatures, 1);
    const o = checkOptions(op, opts);
    const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
    const r = rngOption(op, o);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    checkShape(op, 'the weight shape [outFeatures, inFeatures]', [outFeatures, inFeatures]);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], bound, r, dtype);
    this.bias = bias ? uniformParameter([outFeatures], bound, r, dtype) : null;
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `${op}: input of shape [${x.shape}] does not fit ${this.inFeatures} input features (expected [..., ${this.inFeatures}])`,
      );
    }
    return inContext(op, () => linear(x, this.weight, this.bias));
  }
}

/** x Wᵀ + b with W `[out, in]`: PyTorch's `F.linear`. The transpose is a view, so no copy is made. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = x.matmul(weight.T);
  return bias === null ? y : y.add(bias);
}
