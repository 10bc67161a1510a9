// Random tensors beyond rand and randn: uniform on [low, high), normal with a mean and a standard
// deviation, Bernoulli draws from a tensor of probabilities, integers (int32), and
// multinomial draws of categories.
import type { Tensor } from './core/tensor.js';
import { ArgumentError } from './errors.js';
import { describe, expectBoolean, expectInteger, expectNumber, expectOptions } from './arguments.js';
import { random, type RandomOptions } from './creation.js';
import { expectFloatTensor } from './ops/operand.js';
import type { Rng } from './random.js';

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
  expectFloatTensor('bernoulli', 'p', p);
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
 * Uniform integers in [low, high) (safe integers, low < high), int32 by default (then within
 * [−2³¹, 2³¹]); `opts.dtype` may ask for float32 or float64 (float32 holds integers exactly only up to 2^24).
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
  const asInt32 = expectOptions('randint', opts).dtype === undefined || expectOptions('randint', opts).dtype === 'int32';
  if (asInt32 && (low < -(2 ** 31) || high > 2 ** 31))
    throw new ArgumentError(`randint: the range [${low}, ${high}) does not fit int32 (pass { dtype: 'float64' })`);
  return random('randint', shape, opts, (r) => low + r.int(high - low), 'int32', ['int32', 'float32', 'float64']);
}

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  /** The generator to draw from (`rng(seed)`); a fixed-seed default is used without it. */
  rng?: RandomOptions['rng'];
}

/**
 * PyTorch's `multinomial`: `n` category indices drawn from the non-negative weights `probs`
 * (1-D, or 2-D with one distribution per row; weights need not sum to 1), giving shape `[n]` or
 * `[rows, n]`. Without replacement each category is drawn at most once, so `n` may not exceed
 * the count of non-zero weights. The indices are int32; not differentiable.
 *
 * @example
 * multinomial(tensor([0.1, 0, 0.9]), 2, { rng: rng(0) }) // [2, 0] or [0, 2]
 */
export function multinomial(probs: Tensor, n: number, opts?: MultinomialOptions): Tensor {
  expectFloatTensor('multinomial', 'probs', probs);
  if (probs.ndim !== 1 && probs.ndim !== 2) {
    throw new ArgumentError(`multinomial: probs must be 1-D or 2-D, got shape [${probs.shape.join(',')}]`);
  }
  const o = expectOptions('multinomial', opts);
  const replacement = o.replacement === undefined ? false : expectBoolean('multinomial', 'opts.replacement', o.replacement);
  const categories = probs.shape[probs.ndim - 1]!;
  const rows = probs.ndim === 2 ? probs.shape[0]! : 1;
  const count = expectInteger('multinomial', 'n', n, 0, replacement ? 2 ** 31 - 1 : categories);
  const weights = probs.data();
  for (let r = 0; r < rows; r++) {
    let total = 0;
    let positive = 0;
    for (let c = 0; c < categories; c++) {
      const w = weights[r * categories + c]!;
      if (!(w >= 0 && w < Infinity)) throw new ArgumentError(`multinomial: weight ${w} at row ${r}, category ${c} is not finite and ≥ 0`);
      total += w;
      if (w > 0) positive++;
    }
    if (total === 0 && count > 0) throw new ArgumentError(`multinomial: row ${r} has no positive weight`);
    if (!replacement && count > positive) {
      throw new ArgumentError(
        `multinomial: cannot draw ${count} distinct categories from row ${r}, which has ${positive} positive weights`,
      );
    }
  }
  const left = Float64Array.from(weights);
  const sums = Array.from({ length: rows }, (_, r) => left.subarray(r * categories, (r + 1) * categories).reduce((a, b) => a + b, 0));
  let k = 0;
  // Draw k-th sample of row ⌊k/n⌋: walk the cumulative weights to u·total; without replacement
  // the drawn category's weight is then removed.
  const shape = probs.ndim === 2 ? [rows, count] : [count];
  const draw = (g: Rng): number => {
    const r = Math.floor(k++ / count);
    const row = left.subarray(r * categories, (r + 1) * categories);
    const target = g.uniform() * sums[r]!;
    let c = 0;
    let acc = row[0]!;
    while (acc <= target && c < categories - 1) acc += row[++c]!;
    // NOTE: rounding can leave the walk on a zero weight at the end; step back to a positive one.
    while (row[c] === 0 && c > 0) c--;
    if (!replacement) {
      sums[r]! -= row[c]!;
      row[c] = 0;
    }
    return c;
  };
  return random('multinomial', shape, { dtype: 'int32', rng: o.rng }, draw, 'int32', ['int32']);
}
