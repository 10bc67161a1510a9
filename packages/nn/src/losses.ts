// Loss functions. Each is a composite of tensor ops, so both autodiff styles differentiate it
// and its gradient needs no rule of its own.
import { ArgumentError, ShapeError, Tensor, stack, zerosLike } from '@jacobi/tensor';
import { oneHot } from './data.js';

/** How per-element losses become the result: PyTorch's `reduction`. */
export type Reduction = 'sum' | 'mean' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

function reduce(op: string, losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'sum') return losses.sum();
  if (reduction === 'mean') return losses.mean();
  if (reduction === 'none') return losses;
  throw new ArgumentError(`${op}: reduction must be 'sum', 'mean' or 'none', got ${JSON.stringify(reduction)}`);
}

function sameShape(op: string, pred: Tensor, target: Tensor): void {
  if (!(pred instanceof Tensor) || !(target instanceof Tensor)) throw new ArgumentError(`${op}: expected Tensors for the prediction and the target`);
  if (pred.shape.join() !== target.shape.join() || pred.ndim !== target.ndim) {
    throw new ShapeError(`${op}: prediction of shape [${pred.shape}] and target of shape [${target.shape}] must have the same shape`);
  }
}

/**
 * E = ½‖pred − target‖², summed over every element: exactly the seed's loss, whose gradient
 * with respect to `pred` is `pred − target`. `reduction: 'mean'` divides by the element count.
 */
export function halfSquaredError(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  sameShape('halfSquaredError', pred, target);
  return reduce('halfSquaredError', pred.sub(target).square().mul(0.5), opts.reduction ?? 'sum');
}

/** Mean squared error (PyTorch's `MSELoss`): mean of (pred − target)² by default. */
export function mse(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  sameShape('mse', pred, target);
  return reduce('mse', pred.sub(target).square(), opts.reduction ?? 'mean');
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
  if (!(logits instanceof Tensor) || logits.ndim === 0) throw new ArgumentError(`${op}: logits must be a Tensor of rank ≥ 1`);
  const classes = logits.shape[logits.ndim - 1]!;
  const batchShape = logits.shape.slice(0, -1);
  let target: Tensor;
  if (Array.isArray(labels) || (labels instanceof Tensor && labels.shape.join() === batchShape.join() && labels.ndim === batchShape.length)) {
    const flat = Array.isArray(labels) ? (labels as readonly number[]) : Array.from((labels as Tensor).data());
    const batchSize = batchShape.reduce((a, b) => a * b, 1);
    if (flat.length !== batchSize) {
      throw new ShapeError(`${op}: ${flat.length} labels for logits of shape [${logits.shape}] (expected ${batchSize})`);
    }
    target = oneHot(flat, classes, { dtype: logits.dtype }).reshape(logits.shape);
  } else if (labels instanceof Tensor) {
    sameShape(op, logits, labels);
    target = labels;
  } else {
    throw new ArgumentError(`${op}: labels must be class indices (an array or a tensor) or a probability tensor`);
  }
  const perSample = target.mul(logits.logSoftmax(-1)).sum(-1).neg();
  return reduce(op, perSample, opts.reduction ?? 'mean');
}

export interface BinaryCrossEntropyOptions extends LossOptions {
  /** `pred` holds logits, not probabilities (PyTorch's `BCEWithLogitsLoss`): stable for any logit. */
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
  sameShape(op, pred, target);
  let losses: Tensor;
  if (opts.fromLogits) {
    losses = target.neg().add(1).mul(pred).add(softplus(pred.neg()));
  } else {
    const logP = pred.log().maximum(-100);
    const log1mP = pred.neg().add(1).log().maximum(-100);
    losses = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
  }
  return reduce(op, losses, opts.reduction ?? 'mean');
}


/**
 * log(1 + eˣ) as logSumExp(0, x). NOTE: not max(x,0) + log(1 + e^−|x|): that form is equally
 * stable but its kinks at 0 (relu, abs) give the wrong derivative exactly there.
 */
function softplus(x: Tensor): Tensor {
  return stack([zerosLike(x), x], -1).logSumExp(-1);
}
