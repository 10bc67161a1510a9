// PyTorch's classification losses in its layout: classes on axis 1 of [N, C, d1, ...] (or the
// only axis of [C]), targets as class indices of shape [N, d1, ...] or as class probabilities.
// Composites of tensor ops (logSoftmax, gather, take, where), so both autodiff modes and every
// order of derivative come without a rule; class indices are constants.
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  gather,
  isConcrete,
  take,
  tensor,
  type Indices,
  type NestedArray,
} from '@jacobi/tensor';
import { tracedClassPositions } from './data.js';
import { reductionOf, type LossOptions } from './losses.js';
import { checkInteger, checkNumber, checkOptions, checkTensor, describeValue, inContext } from './validate.js';

/** Options of `nllLoss`: a reduction (default `'mean'`), class weights and the ignored class. */
export interface NllLossOptions extends LossOptions {
  /**
   * A float tensor of shape `[C]`: the loss of a target of class c is multiplied by `weight[c]`,
   * and `'mean'` divides by the sum of the weights of the (non-ignored) targets, as PyTorch.
   */
  weight?: Tensor;
  /** Targets equal to this integer count for nothing, in the loss and in the mean's divisor (default −100, PyTorch's). */
  ignoreIndex?: number;
}

/** Options of `crossEntropy`: `nllLoss`'s, and label smoothing. */
export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * ε in [0, 1]: the target becomes (1 − ε)·one-hot + ε/C (PyTorch's `label_smoothing`). With
   * class indices, the smoothing term of an ignored target is dropped too, and with `weight`
   * each class's share is weighted (Σ_c w_c·(−log p_c)·ε/C), as PyTorch.
   */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of softmax(logits) over axis 1 against `target` (PyTorch's `cross_entropy`).
 * `logits` is `[N, C]`, `[N, C, d1, ...]` (a class score per pixel, token, ...) or `[C]`;
 * `target` is either class indices (an int32 tensor, a number or nested arrays, of shape
 * `[N, d1, ...]`, or `[]` for `[C]` logits), or class probabilities of the logits' shape (a
 * float tensor). Reductions follow PyTorch exactly: `'mean'` over indices divides by the number
 * of non-ignored targets, or with `weight` by the sum of their weights; over probabilities it
 * divides by N·d1·…. `softmaxCrossEntropy` is the older form with classes on the last axis.
 * Stable for any finite logits (it uses logSoftmax).
 *
 * @example
 * const logits = tensor([[2, 0, -1], [0.5, 0.5, 3]]);
 * crossEntropy(logits, [0, 2]).item();                                  // mean of −log softmax at the targets
 * crossEntropy(logits, [0, -100]).item();                               // the second sample is ignored
 * crossEntropy(logits, [0, 2], { labelSmoothing: 0.1, weight: tensor([1, 2, 1]) });
 */
export function crossEntropy(logits: Tensor, target: Indices, opts: CrossEntropyOptions = {}): Tensor {
  return classLoss('crossEntropy', logits, target, opts, true);
}

/**
 * Negative log-likelihood of class indices under log-probabilities (PyTorch's `nll_loss`):
 * each target t contributes −weight[t]·logProbs[t] along axis 1. Shapes, weights, `ignoreIndex`
 * and reductions as `crossEntropy` with class indices; `crossEntropy(x, t)` equals
 * `nllLoss(logSoftmax(x, 1), t)`.
 *
 * @example
 * nllLoss(tensor([[0.25, 0.75]]).log(), [1]).item() // −log 0.75
 */
export function nllLoss(logProbs: Tensor, target: Indices, opts: NllLossOptions = {}): Tensor {
  return classLoss('nllLoss', logProbs, target, opts, false);
}

function classLoss(op: string, input: unknown, target: unknown, opts: unknown, fromLogits: boolean): Tensor {
  const o = checkOptions(op, opts);
  const reduction = reductionOf(op, o, 'mean');
  const name = fromLogits ? 'logits' : 'logProbs';
  const x = checkTensor(op, name, input, 1);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${x.dtype}`);
  const classes = x.ndim === 1 ? x.shape[0]! : x.shape[1]!;
  if (classes === 0) throw new ShapeError(`${op}: ${name} of shape [${x.shape}] has no classes (axis ${x.ndim === 1 ? 0 : 1} is empty)`);
  const ignoreIndex = o.ignoreIndex === undefined ? -100 : checkInteger(op, 'opts.ignoreIndex', o.ignoreIndex, -(2 ** 31), 2 ** 31 - 1);
  const smoothing = fromLogits && o.labelSmoothing !== undefined ? checkNumber(op, 'opts.labelSmoothing', o.labelSmoothing, 0) : 0;
  if (smoothing > 1) throw new ArgumentError(`${op}: opts.labelSmoothing must be in [0, 1], got ${describeValue(smoothing)}`);
  if (!fromLogits && o.labelSmoothing !== undefined)
    throw new ArgumentError(`${op}: has no labelSmoothing option (crossEntropy has), got ${describeValue(o.labelSmoothing)}`);
  const weight = o.weight === undefined ? undefined : checkWeight(op, o.weight, classes);
  const batchShape = x.ndim === 1 ? [] : [x.shape[0]!, ...x.shape.slice(2)];
  // Classes last: [M..., C], so every per-target quantity is a reduction over the last axis.
  const classesLast = x.ndim === 1 ? x.unsqueeze(0) : x.ndim === 2 ? x : x.movedim(1, -1);
  const logP = fromLogits ? classesLast.logSoftmax(-1) : classesLast;
  if (target instanceof Tensor && (target.dtype === 'float32' || target.dtype === 'float64')) {
    if (!fromLogits)
      throw new DTypeError(`${op}: target must hold class indices (an int32 tensor or an array), got a ${target.dtype} tensor`);
    if (target.shape.join() !== x.shape.join() || target.ndim !== x.ndim)
      throw new ShapeError(
        `${op}: class probabilities (a float target) must have the logits' shape [${x.shape}], got [${target.shape}]` +
          ' (class indices are an int32 tensor or an array)',
      );
    return probabilityLoss(logP, target, weight, smoothing, classes, batchShape, reduction, x.ndim);
  }
  const indices =
    target instanceof Tensor && !isConcrete(target)
      ? tracedClassIndices(op, target, batchShape, classes, ignoreIndex)
      : readClassIndices(op, target, batchShape, classes, ignoreIndex);
  return indexLoss(logP.reshape([-1, classes]), indices, weight, smoothing, classes, batchShape, reduction);
}

/** The checked class weights: a float tensor of shape [C]. */
function checkWeight(op: string, value: unknown, classes: number): Tensor {
  const w = checkTensor(op, 'opts.weight', value);
  if (w.ndim !== 1 || w.shape[0] !== classes)
    throw new ShapeError(`${op}: opts.weight must have shape [${classes}] (one weight per class), got [${w.shape}]`);
  if (w.dtype !== 'float32' && w.dtype !== 'float64') throw new DTypeError(`${op}: opts.weight must be float32 or float64, got ${w.dtype}`);
  return w;
}

/** Flat class indices, each valid (an ignored target reads class 0), and which targets are kept. */
interface ClassIndices {
  /** int32 [m]. */
  readonly safe: Tensor;
  /** bool [m]. */
  readonly kept: Tensor;
}

/** Class indices traced by jit or vmap, whose values cannot be read: ignored targets read class 0 (the gather checks the rest when it runs). */
function tracedClassIndices(op: string, t: Tensor, batchShape: readonly number[], classes: number, ignoreIndex: number): ClassIndices {
  if (t.shape.join() !== batchShape.join() || t.ndim !== batchShape.length)
    throw new ShapeError(`${op}: class indices must have shape [${batchShape}] (the input's without its class axis), got [${t.shape}]`);
  const flat = t.reshape([-1]);
  const kept = flat.notEqual(ignoreIndex);
  return { safe: kept.where(tracedClassPositions(op, flat, classes), 0).astype('int32'), kept };
}

/** The target indices, flat, checked against the batch shape and the class count; ignored ones are marked. */
function readClassIndices(op: string, target: unknown, batchShape: readonly number[], classes: number, ignoreIndex: number): ClassIndices {
  let t: Tensor;
  if (target instanceof Tensor) {
    if (target.dtype !== 'int32')
      throw new DTypeError(`${op}: target must be class indices (int32) or class probabilities (float), got a ${target.dtype} tensor`);
    t = target;
  } else if (typeof target === 'number' || Array.isArray(target)) {
    // NOTE: read as float64, not int32, which would truncate 1.5 to 1 before it can be refused.
    t = inContext(op, () => tensor(target as NestedArray, { dtype: 'float64' }));
  } else {
    throw new ArgumentError(
      `${op}: target must be class indices (an int32 tensor, a number or an array) or class probabilities, got ${describeValue(target)}`,
    );
  }
  if (t.shape.join() !== batchShape.join() || t.ndim !== batchShape.length)
    throw new ShapeError(`${op}: class indices must have shape [${batchShape}] (the input's without its class axis), got [${t.shape}]`);
  const values = t.data();
  const safe = new Int32Array(values.length);
  const keep = new Array<boolean>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === ignoreIndex) {
      keep[i] = false;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= classes)
      throw new ArgumentError(
        `${op}: target holds ${describeValue(v)} at flat index ${i}, not a class index in [0, ${classes}) nor ignoreIndex (${ignoreIndex})`,
      );
    safe[i] = v;
    keep[i] = true;
  }
  return { safe: tensor(safe, { shape: [safe.length] }), kept: tensor(keep, { dtype: 'bool' }) };
}

/**
 * Per target i with class yᵢ, kept (not ignored) or not: lossᵢ = (1 − ε)·w_yᵢ·(−log p_yᵢ) +
 * (ε/C)·Σ_c w_c·(−log p_c), and 0 when ignored; `'mean'` divides Σᵢ lossᵢ by Σ_kept w_yᵢ.
 */
function indexLoss(
  logP: Tensor,
  { safe, kept }: ClassIndices,
  weight: Tensor | undefined,
  smoothing: number,
  classes: number,
  batchShape: readonly number[],
  reduction: 'sum' | 'mean' | 'none',
): Tensor {
  const m = safe.shape[0]!;
  // NOTE: an ignored target reads class 0 (always valid) and `where` then drops it, so its
  // gradient is exactly 0 rather than 0·(something).
  const picked = gather(logP, 1, safe.reshape([m, 1])).reshape([m]);
  const targetWeight = weight === undefined ? null : take(weight, safe);
  let losses = targetWeight === null ? picked.neg() : picked.mul(targetWeight).neg();
  if (smoothing > 0) {
    const smooth = (weight === undefined ? logP : logP.mul(weight)).sum(-1).neg();
    losses = losses.mul(1 - smoothing).add(smooth.mul(smoothing / classes));
  }
  losses = kept.where(losses, 0);
  if (reduction === 'none') return losses.reshape([...batchShape]);
  if (reduction === 'sum') return losses.sum();
  // NOTE: no targets kept gives 0/0 = NaN, as PyTorch.
  const divisor = targetWeight === null ? kept.astype(losses.dtype).sum() : kept.where(targetWeight, 0).sum();
  return losses.sum().div(divisor);
}

/**
 * Against class probabilities q (after smoothing, q ← (1 − ε)q + ε/C): lossᵢ = −Σ_c w_c·q_ic·log p_ic;
 * `'mean'` divides by the number of samples N·d1·… whatever the weights, as PyTorch.
 */
function probabilityLoss(
  logP: Tensor,
  target: Tensor,
  weight: Tensor | undefined,
  smoothing: number,
  classes: number,
  batchShape: readonly number[],
  reduction: 'sum' | 'mean' | 'none',
  rank: number,
): Tensor {
  let q = rank === 1 ? target.unsqueeze(0) : rank === 2 ? target : target.movedim(1, -1);
  if (smoothing > 0) q = q.mul(1 - smoothing).add(smoothing / classes);
  if (weight !== undefined) q = q.mul(weight);
  const losses = logP.mul(q).sum(-1).neg();
  if (reduction === 'none') return losses.reshape([...batchShape]);
  if (reduction === 'sum') return losses.sum();
  return losses.sum().div(batchShape.reduce((a, b) => a * b, 1));
}
