// Random tensors beyond rand and randn: uniform on [low, high), normal with a mean and a standard
// deviation, Bernoulli draws from a tensor of probabilities, and integers (as floats).
import type { Tensor } from './core/tensor.js';
import { ArgumentError } from './errors.js';
import { describe, expectNumber, expectOptions } from './arguments.js';
import { random, type RandomOptions } from './creation.js';
import { expectTensor } from './ops/operand.js';

/**
 * Uniform numbers in [low, high): low + (high − low)·u with u uniform in [0, 1).
 * NOTE: in float32, a value just below `high` may round up to `high`.
 *
 * @example
 * uniform([2, 3], -1, 1, { rng: rng(0) })
 */
export function uniform(shape: readonly number[], low = 0, high = 1, opts?: RandomOptions): Tensor {
  const lo = expectNumber('uniform', 'low', low);
  const hi = expectNumber('uniform', 'high', high);
  if (lo > hi) throw new ArgumentError(`uniform: low ${lo} is greater than high ${hi}`);
  return random('uniform', shape, opts, (r) => lo + (hi - lo) * r.uniform());
}

/** Normal numbers with mean `mean` and standard deviation `std` (≥ 0): mean + std·z, z standard normal. */
export function normal(shape: readonly number[], mean = 0, std = 1, opts?: RandomOptions): Tensor {
  const m = expectNumber('normal', 'mean', mean);
  const s = expectNumber('normal', 'std', std, { min: 0 });
  return random('normal', shape, opts, (r) => m + s * r.normal());
}

/**
 * 1 with probability p[i] and 0 otherwise, elementwise, in the shape and dtype of `p` (every
 * p[i] in [0, 1]); not differentiable.
 *
 * @example
 * bernoulli(full([4], 0.5), { rng: rng(1) })
 */
export function bernoulli(p: Tensor, opts?: Pick<RandomOptions, 'rng'>): Tensor {
  expectTensor('bernoulli', 'p', p);
  const o = expectOptions('bernoulli', opts);
  const probs = p.data();
  for (let i = 0; i < probs.length; i++) {
    const v = probs[i]!;
    if (!(v >= 0 && v <= 1)) throw new ArgumentError(`bernoulli: probability ${v} at flat index ${i} is not in [0, 1]`);
  }
  let i = 0;
  return random('bernoulli', p.shape, { dtype: p.dtype, rng: o.rng }, (r) => (r.uniform() < probs[i++]! ? 1 : 0));
}

/**
 * Uniform integers in [low, high) (safe integers, low < high), stored as floats for now: float32
 * holds integers exactly only up to 2^24.
 *
 * @example
 * randint(0, 10, [3], { rng: rng(2) }) // e.g. [7, 0, 3]
 */
export function randint(low: number, high: number, shape: readonly number[], opts?: RandomOptions): Tensor {
  for (const [name, v] of [
    ['low', low],
    ['high', high],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      throw new ArgumentError(`randint: expected a safe integer for ${name}, got ${describe(v)}`);
  }
  if (!(low < high)) throw new ArgumentError(`randint: low ${low} must be below high ${high}`);
  if (high - low > Number.MAX_SAFE_INTEGER) throw new ArgumentError(`randint: the range [${low}, ${high}) is wider than 2^53 − 1`);
  return random('randint', shape, opts, (r) => low + r.int(high - low));
}
