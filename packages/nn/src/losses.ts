// Loss functions. Each is a composite of tensor ops, so both autodiff styles differentiate it
// and its gradient needs no rule of its own.
import { ArgumentError, ShapeError, Tensor, gather, isConcrete, stack, zerosLike } from '@jacobi/tensor';
import { oneHotRows, tracedClassPositions } from './data.js';
import { checkBoolean, checkChoice, checkNumber, checkOptions, checkTensor, describeValue } from './validate.js';

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

/** @internal The checked reduction option (`fallback` when not given). */
export function reductionOf(op: string, opts: Readonly<Record<string, unknown>>, fallback: Reduction): Reduction {
  return opts.reduction === undefined ? fallback : checkChoice(op, 'opts.reduction', opts.reduction, REDUCTIONS);
}

/** @internal The per-element losses reduced as `reduction` says. */
export function reduce(losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'sum') return losses.sum();
  if (reduction === 'mean') return losses.mean();
  return losses;
}

/** @internal Throws unless `pred` and `target` are tensors of the same shape. */
export function sameShape(op: string, pred: unknown, target: unknown, names = ['pred', 'target']): void {
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
  if (labels instanceof Tensor && !isConcrete(labels) && labels.ndim === batchShape.length && labels.shape.join() === batchShape.join()) {
    return reduce(tracedLabelLosses(op, logits, labels, classes), reduction);
  }
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

/**
 * Per-sample −log softmax(logits)[label] for class indices traced by jit or vmap, whose values
 * cannot be read: the log-probabilities are gathered at them (range checked when the step runs).
 */
function tracedLabelLosses(op: string, logits: Tensor, labels: Tensor, classes: number): Tensor {
  const positions = tracedClassPositions(op, labels, classes).unsqueeze(-1);
  return gather(logits.logSoftmax(-1), -1, positions).squeeze(-1).neg();
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

/** Options of `huberLoss`: a reduction (default `'mean'`) and the threshold δ. */
export interface HuberLossOptions extends LossOptions {
  /** δ > 0, where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/**
 * Huber loss (PyTorch's `huber_loss`): with d = |pred − target|, ½d² where d < δ and
 * δ(d − ½δ) elsewhere, so the gradient is pred − target clipped to [−δ, δ]. Default reduction `'mean'`.
 *
 * @example
 * huberLoss(tensor([0.5, 3]), tensor([0, 0])).item() // (0.125 + 2.5) / 2
 */
export function huberLoss(pred: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  const o = checkOptions(op, opts);
  const reduction = reductionOf(op, o, 'mean');
  const delta = o.delta === undefined ? 1 : checkPositive(op, 'opts.delta', o.delta);
  sameShape(op, pred, target);
  const d = pred.sub(target);
  const z = d.abs();
  // NOTE: both branches are built from d, and the two meet with equal slope at |d| = δ, so the
  // kink of |d| at 0 lies in the quadratic branch, whose derivative there is 0.
  return reduce(z.less(delta).where(d.square().mul(0.5), z.sub(0.5 * delta).mul(delta)), reduction);
}

/** Options of `smoothL1Loss`: a reduction (default `'mean'`) and the threshold β. */
export interface SmoothL1LossOptions extends LossOptions {
  /** β ≥ 0, where the loss turns from quadratic to linear (default 1); 0 gives the L1 loss |pred − target|. */
  beta?: number;
}

/**
 * Smooth L1 loss (PyTorch's `smooth_l1_loss`): with d = |pred − target|, ½d²/β where d < β
 * and d − ½β elsewhere; `huberLoss` with δ = β, divided by β. Default reduction `'mean'`.
 *
 * @example
 * smoothL1Loss(tensor([0.5, 3]), tensor([0, 0])).item() // (0.125 + 2.5) / 2
 */
export function smoothL1Loss(pred: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  const op = 'smoothL1Loss';
  const o = checkOptions(op, opts);
  const reduction = reductionOf(op, o, 'mean');
  const beta = o.beta === undefined ? 1 : checkNumber(op, 'opts.beta', o.beta, 0);
  sameShape(op, pred, target);
  const d = pred.sub(target);
  const z = d.abs();
  // NOTE: β = 0 is the plain L1 loss; the quadratic branch would divide by 0, and even unused
  // its gradient (0 · 1/0) would be NaN.
  if (beta === 0) return reduce(z, reduction);
  return reduce(z.less(beta).where(d.square().mul(0.5 / beta), z.sub(0.5 * beta)), reduction);
}

/** How `klDiv` reduces: PyTorch's reductions plus `'batchmean'`, the sum divided by the batch size. */
export type KlDivReduction = Reduction | 'batchmean';

/** Options of `klDiv`. */
export interface KlDivOptions {
  /**
   * `'mean'` over every element (PyTorch's default; not the KL divergence of each sample),
   * `'batchmean'` (the sum divided by `input.shape[0]`: the mathematically right one),
   * `'sum'`, or `'none'`.
   */
  reduction?: KlDivReduction;
  /** `target` holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

const KL_REDUCTIONS: readonly KlDivReduction[] = ['sum', 'mean', 'none', 'batchmean'];

/**
 * Kullback–Leibler divergence (PyTorch's `kl_div`): `input` holds log-probabilities log q,
 * `target` probabilities p, and each element is p·(log p − log q), taken as 0 where p = 0;
 * with `logTarget`, `target` holds log p and each element is eᵗ·(t − log q). Default reduction
 * `'mean'` as in PyTorch; `'batchmean'` gives KL(p‖q) averaged over the batch.
 *
 * @example
 * klDiv(tensor([[0.5, 0.5]]).log(), tensor([[0.25, 0.75]]), { reduction: 'batchmean' }).item() // 0.1308…
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  const o = checkOptions(op, opts);
  const reduction = o.reduction === undefined ? 'mean' : checkChoice(op, 'opts.reduction', o.reduction, KL_REDUCTIONS);
  const logTarget = o.logTarget === undefined ? false : checkBoolean(op, 'opts.logTarget', o.logTarget);
  sameShape(op, input, target, ['input', 'target']);
  let losses: Tensor;
  if (logTarget) {
    losses = target.exp().mul(target.sub(input));
  } else {
    // NOTE: p·log p is 0 at p = 0 (its limit), and the log runs on 1 there so that its gradient
    // is finite; a negative p gives NaN, as in PyTorch.
    const zero = target.equal(0);
    losses = zero.where(0, target.mul(zero.where(1, target).log())).sub(target.mul(input));
  }
  if (reduction !== 'batchmean') return reduce(losses, reduction);
  const total = losses.sum();
  return input.ndim === 0 ? total : total.div(input.shape[0]!);
}

/** Throws unless `value` is a finite number > 0. */
function checkPositive(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ArgumentError(`${op}: ${name} must be a finite number > 0, got ${describeValue(value)}`);
  return value;
}
