// Dropout: in training, each element is zeroed with probability p and the rest scale by
// 1/(1 − p), so the expected output is the input; in eval mode it is the identity.
import { ArgumentError, rand, where, type Rng, type Tensor } from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import { rngOption } from './init.js';
import { checkOptions, checkTensor, describeValue, inContext } from './validate.js';

/** Options of `Dropout`. */
export interface DropoutOptions {
  /** The generator of the masks (default: the shared fixed-seed stream); pass `rng(seed)` for reproducible runs. */
  rng?: Rng;
}

/**
 * PyTorch's `nn.Dropout(p = 0.5)`: in `train()` mode each element is zeroed with probability
 * `p` and the others are multiplied by 1/(1 − p); in `eval()` mode `forward` returns its input.
 *
 * @example
 * const drop = new Dropout(0.1, { rng: rng(0) });
 * drop.eval().forward(x) === x; // true
 */
export class Dropout extends Module {
  /** The probability of zeroing an element, in [0, 1]. */
  readonly p: number;
  /** The generator the masks are drawn from. */
  readonly rng: Rng;

  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    const op = 'Dropout';
    this.p = checkProbability(op, 'p', p);
    const o = checkOptions(op, opts);
    this.rng = rngOption(op, o);
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () => dropout(x, this.p, this.training, this.rng));
  }
}

/** `x` with dropout applied when `training` (p = 1 gives zeros); the identity otherwise. */
export function dropout(x: Tensor, p: number, training: boolean, r: Rng): Tensor {
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { rng: r, dtype: x.dtype === 'float64' ? 'float64' : 'float32' }).less(1 - p);
  return where(keep, x.mul(1 / (1 - p)), 0);
}

/** Throws unless `value` is a number in [0, 1]. */
export function checkProbability(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ArgumentError(`${op}: ${name} must be a probability in [0, 1], got ${describeValue(value)}`);
  }
  return value;
}
