// Loss functions. Each is a composite of tensor ops, so both autodiff styles differentiate it
// and its gradient needs no rule of its own.
import { ArgumentError, ShapeError, Tensor, stack, zerosLike } from '@jacobi/tensor';
import { oneHotRows } from './data.js';
import { checkBoolean, checkChoice, checkOptions, checkTensor, describeValue } from './validate.js';

/** How per-element losses become the result: PyTorch's `reduction`. */
export type Reduction = 'sum' | 'mean' | 'none';

/** Options shared by the losses. */
export interface LossOptions {
  /**
   * `'mean'` or `'sum'` of the per-element losses (per-sample for `softmaxCrossEntropy`), or
   * `'none'` for the unreduced tensor. The default is each loss's own: `'sum'` for
   * `halfSquaredError`, `'mean'` (PyTorch's default) for the others.
   */
  reduction?: Reduction;
}

const REDUCTIONS: readonly Reduction[] = ['sum', 'mean', 'none'];

/** The checked reduction option (`fallback` when not given). */
function reductionOf(op: string, opts: Readonly<Record<string, unknown>>, fallback: Reduction): Reduction {
  return opts.reduction === undefined ? fallback : checkChoice(op, 'opts.reduction', opts.reduction, REDUCTIONS);
}

function reduce(losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'sum') return losses.sum();
  if (reduction === 'mean') return losses.mean();
  return losses;
}

function sameShape(op: string, pred: unknown, target: unknown, names = ['pred', 'target']): void {
  const p = checkTensor(op, names[0]!, pred);
  const t = checkTensor(op, names[1]!, target);
  if (p.shape.join() !== t.shape.join() || p.ndim !== t.ndim) {
    throw new ShapeError(`${op}: ${names[0]} of shape [${p.shape}] and ${names[1]} of shape [${t.shape}] must have the same shape`);
  }
}

/**
 * E = ½‖pred − target‖², summed over every element: exactly the seed's loss, whose gradient
 * with respect to `pred` is `pred − target`. `reduction: 'mean'` divides by the element count.
 */
export function halfSquaredError(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'halfSquaredError';
  const reduction = reductionOf(op, checkOptions(op, opts), 'sum');
  sameShape(op, pred, target);
  return reduce(pred.sub(target).square().mul(0.5), reduction);
}

/** Mean squared error (PyTorch's `MSELoss`): mean of (pred − target)² by default. */
export function mse(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'mse';
  const reduction = reductionOf(op, checkOptions(op, opts), 'mean');
  sameShape(op, pred, target);
  return reduce(pred.sub(target).square(), reduction);
}

/**
 * Cross-entropy of softmax(logits) against the targets, over the last axis of `logits`
 * (`[batch, classes]`, or `[..., classes]`). `labels` is either integer class indices
 * (a number array or a tensor of shape `logits.shape` without its last axis) or a
 * probability/one-hot tensor of the logits' shape. Stable for any finite logits: it uses
 * logSoftmax = x − logSumExp(x), never log(softmax(x)). Default reduction `'mean'` over samples.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor | readonly number[], opts: LossOptions = {}): Tensor {
  const op = 'softmaxCrossEntropy';
  const reduction = reductionOf(op, checkOptions(op, opts), 'mean');
  checkTensor(op, 'logits', logits, 1);
  const classes = logits.shape[logits.ndim - 1]!;
  const batchShape = logits.shape.slice(0, -1);
  let target: Tensor;
  if (
    Array.isArray(labels) ||
    (labels instanceof Tensor && labels.shape.join() === batchShape.join() && labels.ndim === batchShape.length)
  ) {
    const flat = Array.isArray(labels) ? (labels as readonly number[]) : Array.from((labels as Tensor).data());
    const batchSize = batchShape.reduce((a, b) => a * b, 1);
    if (flat.length !== batchSize) {
      throw new ShapeError(`${op}: ${flat.length} labels for logits of shape [${logits.shape}] (expected ${batchSize})`);
    }
    target = oneHotRows(op, flat, classes, logits.dtype).reshape(logits.shape);
  } else if (labels instanceof Tensor) {
    sameShape(op, logits, labels, ['logits', 'labels']);
    target = labels;
  } else {
    throw new ArgumentError(
      `${op}: labels must be class indices (an array or a tensor) or a probability tensor, got ${describeValue(labels)}`,
    );
  }
  const perSample = target.mul(logits.logSoftmax(-1)).sum(-1).neg();
  return reduce(perSample, reduction);
}

/** Options of `binaryCrossEntropy`: a reduction, and whether `pred` holds logits. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** `pred` holds logits, not probabilities (PyTorch's `BCEWithLogitsLoss`): stable for any logit (default false). */
  fromLogits?: boolean;
}

/**
 * Binary cross-entropy −[t·log p + (1−t)·log(1−p)] of probabilities `pred` against targets in
 * [0, 1]; default reduction `'mean'`. NOTE: like PyTorch, each log is clamped at −100 so that a
 * confident wrong prediction gives a large finite loss, not Infinity. With `fromLogits` the
 * stable form (1 − t)·x + softplus(−x) is used instead.
 */
export function binaryCrossEntropy(pred: Tensor, target: Tensor, opts: BinaryCrossEntropyOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const o = checkOptions(op, opts);
  const reduction = reductionOf(op, o, 'mean');
  const fromLogits = o.fromLogits === undefined ? false : checkBoolean(op, 'opts.fromLogits', o.fromLogits);
  sameShape(op, pred, target);
  checkUnitInterval(op, 'target', target);
  if (!fromLogits) checkUnitInterval(op, 'pred', pred, ' (pass { fromLogits: true } for logits)');
  let losses: Tensor;
  if (fromLogits) {
    losses = target.neg().add(1).mul(pred).add(softplus(pred.neg()));
  } else {
    const logP = pred.log().maximum(-100);
    const log1mP = pred.neg().add(1).log().maximum(-100);
    losses = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
  }
  return reduce(losses, reduction);
}

/** Throws unless every element of `t` is in [0, 1] (NaN is not). */
function checkUnitInterval(op: string, name: string, t: Tensor, hint = ''): void {
  const data = t.data();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 1))
      throw new ArgumentError(`${op}: ${name} must hold probabilities in [0, 1], got ${describeValue(v)} at flat index ${i}${hint}`);
  }
}

/**
 * log(1 + eˣ) as logSumExp(0, x). NOTE: not max(x,0) + log(1 + e^−|x|): that form is equally
 * stable but its kinks at 0 (relu, abs) give the wrong derivative exactly there.
 */
function softplus(x: Tensor): Tensor {
  return stack([zerosLike(x), x], -1).logSumExp(-1);
}
