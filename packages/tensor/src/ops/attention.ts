// Scaled dot-product attention, PyTorch 2's `scaled_dot_product_attention`, as a composite:
// softmax(q kᵀ · scale + bias) v. Built only from differentiable ops (matmul, where, softmax),
// so it needs no rule and differentiates to any order in both modes.
import type { Tensor } from '../core/tensor.js';
import { arange, random } from '../creation.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { describe, expectBoolean, expectNumber, expectOptions } from '../arguments.js';
import { isRng, type Rng } from '../random.js';
import { broadcastShapes, canBroadcastTo } from '../shape.js';
import { add, lessEqual, mul, where } from './arithmetic.js';
import { matmul } from './matmul.js';
import { castTo, expectFloatTensor, expectTensor } from './operand.js';
import { softmax } from './reduce.js';
import { swapaxes } from './shape-ops.js';

/** Options of {@link scaledDotProductAttention} (PyTorch's keyword arguments). */
export interface AttentionOptions {
  /**
   * Broadcastable to the scores' shape `[..., L, S]`. A bool mask keeps the `true` positions
   * (the others get −∞ before the softmax); a float mask is added to the scores.
   */
  mask?: Tensor;
  /** Let query i attend to keys 0..i only (the top-left lower triangle); not together with `mask`. */
  isCausal?: boolean;
  /** Multiplies q kᵀ; default 1/√E, E the size of the queries' last axis. */
  scale?: number;
  /** Probability in [0, 1] of zeroing each attention weight (the rest scale by 1/(1 − p)); default 0. */
  dropoutP?: number;
  /** The generator of the dropout draws; default one fixed-seed stream shared by the process. */
  rng?: Rng;
}

const OP = 'scaledDotProductAttention';

/**
 * Attention with PyTorch 2's semantics: q `[..., L, E]`, k `[..., S, E]`, v `[..., S, Ev]` give
 * `[..., L, Ev]` = softmax(q kᵀ · scale + bias) v, with the batch axes broadcast. A row whose keys
 * are all masked out gives NaN, as PyTorch's.
 *
 * @example
 * scaledDotProductAttention(q, k, v, { isCausal: true }) // q, k, v: [batch, heads, T, headDim]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts?: AttentionOptions): Tensor {
  const query = expectFloatTensor(OP, 'query', q);
  const key = expectFloatTensor(OP, 'key', k);
  const value = expectFloatTensor(OP, 'value', v);
  const o = expectOptions(OP, opts);
  const isCausal = expectBoolean(OP, 'opts.isCausal', o.isCausal, false);
  const dropoutP = o.dropoutP === undefined ? 0 : expectNumber(OP, 'opts.dropoutP', o.dropoutP, { min: 0, max: 1 });
  if (o.rng !== undefined && !isRng(o.rng))
    throw new ArgumentError(`${OP}: expected a generator such as rng(seed) for opts.rng, got ${describe(o.rng)}`);
  for (const [name, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    if (t.ndim < 2) throw new ShapeError(`${OP}: ${name} must have at least 2 axes ([..., length, features]), got ${formatShape(t.shape)}`);
  }
  const [L, E] = query.shape.slice(-2) as [number, number];
  const [S, Ek] = key.shape.slice(-2) as [number, number];
  if (Ek !== E)
    throw new ShapeError(`${OP}: query ${formatShape(query.shape)} and key ${formatShape(key.shape)} differ in their last axis`);
  if (value.shape[value.ndim - 2] !== S) {
    throw new ShapeError(`${OP}: key ${formatShape(key.shape)} and value ${formatShape(value.shape)} differ in their sequence axis (−2)`);
  }
  let batch: number[];
  try {
    batch = broadcastShapes(OP, broadcastShapes(OP, query.shape.slice(0, -2), key.shape.slice(0, -2)), value.shape.slice(0, -2));
  } catch {
    throw new ShapeError(
      `${OP}: the batch axes of query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${formatShape(value.shape)} do not broadcast`,
    );
  }
  const scoresShape = [...batch, L, S];
  const scale = o.scale === undefined ? 1 / Math.sqrt(E) : expectNumber(OP, 'opts.scale', o.scale);
  let mask: Tensor | null = null;
  if (o.mask !== undefined) {
    if (isCausal) throw new ArgumentError(`${OP}: give opts.mask or opts.isCausal, not both (PyTorch refuses both too)`);
    mask = expectTensor(OP, 'opts.mask', o.mask);
    if (mask.dtype === 'int32')
      throw new DTypeError(`${OP}: opts.mask has dtype int32, expected bool (keep where true) or a float (added)`);
    if (!canBroadcastTo(mask.shape, scoresShape)) {
      throw new ShapeError(
        `${OP}: opts.mask of shape ${formatShape(mask.shape)} does not broadcast to the scores' ${formatShape(scoresShape)}`,
      );
    }
  }
  if (isCausal) mask = causalMask(L, S);

  let scores = mul(matmul(query, swapaxes(key, -2, -1)), scale);
  // NOTE: a float mask takes the scores' dtype, so a float64 mask does not turn float32 attention into float64.
  if (mask !== null)
    scores = mask.dtype === 'bool' ? where(mask, scores, Number.NEGATIVE_INFINITY) : add(scores, castTo(mask, scores.dtype));
  let weights = softmax(scores, -1);
  if (dropoutP > 0) {
    const keep = 1 - dropoutP;
    // NOTE: the mask holds 0 or 1/(1 − p), so the kept weights need no second pass; p = 1 drops all.
    const dropMask = random(OP, weights.shape, { dtype: weights.dtype, rng: o.rng as Rng | undefined }, (r) =>
      keep > 0 && r.uniform() < keep ? 1 / keep : 0,
    );
    weights = mul(weights, dropMask);
  }
  return matmul(weights, value);
}

/** `[L, S]` bool, true where key j ≤ query i: PyTorch's `ones(L, S).tril()`. */
function causalMask(L: number, S: number): Tensor {
  return lessEqual(arange(S), arange(L).reshape([L, 1]));
}
