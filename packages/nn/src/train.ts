// A reusable training loop: one gradient step in either autodiff style, an epoch over
// seeded mini-batches, and evaluation without recording a graph.
import { ArgumentError, Tensor, noGrad, tidy, valueAndGrad, type Rng } from '@jacobi/tensor';
import { Module } from './module.js';
import { Optimizer } from './optim/optimizer.js';
import { batchesOf } from './data.js';
import {
  checkBoolean,
  checkChoice,
  checkFunction,
  checkInteger,
  checkOptions,
  checkRng,
  checkTensor,
  describeValue,
  inContext,
} from './validate.js';

/** A loss of a prediction against a target, returning a one-element tensor. */
export type LossFunction = (pred: Tensor, target: Tensor) => Tensor;

/**
 * How gradients are computed: `'backward'` is PyTorch style (`loss.backward()` fills `.grad`),
 * `'functional'` is JAX style (`valueAndGrad` over the parameter list). Both give the same step.
 */
export type GradientMode = 'backward' | 'functional';

/**
 * One optimisation step on one batch; returns the batch loss before the step. Atomic: if the
 * forward pass, the loss, the backward pass or the step throws, the parameters, the
 * optimiser and every `.grad` are as they were before the call.
 */
export function trainStep(
  model: Module,
  optimizer: Optimizer,
  loss: LossFunction,
  x: Tensor,
  y: Tensor,
  mode: GradientMode = 'backward',
): number {
  const op = 'trainStep';
  checkStepArguments(op, model, optimizer, loss, x, y);
  return stepOnce(op, model, optimizer, loss, x, y, checkChoice(op, 'mode', mode, MODES));
}

const MODES: readonly GradientMode[] = ['backward', 'functional'];

function checkStepArguments(op: string, model: unknown, optimizer: unknown, loss: unknown, x: unknown, y: unknown): void {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`${op}: optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
  checkFunction(op, 'loss', loss);
  checkTensor(op, 'x', x);
  checkTensor(op, 'y', y);
}

function stepOnce(op: string, model: Module, optimizer: Optimizer, loss: LossFunction, x: Tensor, y: Tensor, mode: GradientMode): number {
  const scalarLoss = (value: unknown): Tensor => {
    if (!(value instanceof Tensor) || value.size !== 1)
      throw new ArgumentError(`${op}: the loss function returned ${describeValue(value)}, expected a one-element Tensor`);
    return value;
  };
  if (mode === 'backward') {
    // NOTE: backward() accumulates into every requiresGrad leaf it reaches, so all of them are
    // saved and put back if anything fails; the step itself changes nothing unless it succeeds.
    const leaves = [...new Set([...optimizer.params, ...model.parameters(), x, y])].filter((t) => t.requiresGrad && t.isLeaf);
    const saved = leaves.map((t) => t.grad);
    try {
      return inContext(op, () => {
        optimizer.zeroGrad();
        const value = scalarLoss(loss(model.forward(x), y));
        value.backward();
        optimizer.step();
        return value.item();
      });
    } catch (e) {
      leaves.forEach((t, i) => (t.grad = saved[i]!));
      throw e;
    }
  }
  return inContext(op, () => {
    const params = model.parameters();
    const objective = (...ps: Tensor[]) => model.withParameters(ps, () => scalarLoss(loss(model.forward(x), y)));
    // NOTE: noGrad stops the imperative tape from also recording the pass; valueAndGrad has its own level.
    const [value, grads] = noGrad(() => valueAndGrad(objective, { argnums: params.map((_, i) => i) })(...params));
    const byParam = new Map(params.map((p, i) => [p, grads[i]!]));
    optimizer.step(optimizer.params.map((p) => byParam.get(p) ?? null));
    return value.item();
  });
}

/** Options of `trainEpoch` (and of each epoch of `fit`). */
export interface EpochOptions {
  /** Rows per step, an integer ≥ 1 (default: all rows, i.e. full-batch gradient descent). */
  batchSize?: number;
  /** Shuffles the rows each epoch with this generator; without it mini-batches keep the row order. Unused for a full batch. */
  rng?: Rng;
  /** How gradients are computed (default `'backward'`); both modes give the same step. */
  mode?: GradientMode;
  /**
   * Runs each step inside `tidy` (default false): the tensors a step makes are disposed when it
   * ends and their arrays serve the next step, which is faster for large layers (an MNIST-size
   * step, W4 in `pnpm bench`). The losses and parameters are the same; a tensor the model or the
   * loss keeps from a step (an activation stored on a module) is disposed with the rest.
   */
  tidy?: boolean;
}

/**
 * One pass over the data; returns the mean of the batch losses. Each step is atomic, but a
 * failure in a later batch keeps the steps of the batches before it.
 */
export function trainEpoch(model: Module, optimizer: Optimizer, loss: LossFunction, x: Tensor, y: Tensor, opts: EpochOptions = {}): number {
  const op = 'trainEpoch';
  checkStepArguments(op, model, optimizer, loss, x, y);
  return epochOnce(op, model, optimizer, loss, x, y, checkEpochOptions(op, opts, x));
}

interface CheckedEpoch {
  batches: Generator<[Tensor, Tensor]>;
  mode: GradientMode;
  scoped: boolean;
}

/** The epoch options, checked; the batches are drawn only when the epoch runs. */
function checkEpochOptions(op: string, opts: unknown, x: Tensor): (xs: Tensor, ys: Tensor) => CheckedEpoch {
  const o = checkOptions(op, opts);
  const mode = o.mode === undefined ? 'backward' : checkChoice(op, 'opts.mode', o.mode, MODES);
  const scoped = o.tidy === undefined ? false : checkBoolean(op, 'opts.tidy', o.tidy);
  const n = x.shape[0] ?? 0;
  const batchSize = o.batchSize === undefined ? Math.max(1, n) : checkInteger(op, 'opts.batchSize', o.batchSize, 1);
  if (o.rng !== undefined) checkRng(op, 'opts.rng', o.rng);
  const full = batchSize >= n;
  const batchOptions = full || o.rng === undefined ? { batchSize } : { batchSize, rng: o.rng };
  return (xs, ys) => ({ batches: batchesOf(op, xs, ys, batchOptions), mode, scoped });
}

function epochOnce(
  op: string,
  model: Module,
  optimizer: Optimizer,
  loss: LossFunction,
  x: Tensor,
  y: Tensor,
  epoch: (xs: Tensor, ys: Tensor) => CheckedEpoch,
): number {
  const { batches, mode, scoped } = epoch(x, y);
  model.train();
  let total = 0;
  let count = 0;
  for (const [xb, yb] of batches) {
    const step = () => stepOnce(op, model, optimizer, loss, xb, yb, mode);
    total += scoped ? tidy(step) : step();
    count++;
  }
  return total / Math.max(1, count);
}

/** The model's output on `x` in eval mode, with no graph recorded. */
export function predict(model: Module, x: Tensor): Tensor {
  const op = 'predict';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  checkTensor(op, 'x', x);
  const wasTraining = model.training;
  model.eval();
  try {
    return inContext(op, () => noGrad(() => model.forward(x)));
  } finally {
    model.train(wasTraining);
  }
}

/** Options of `fit`: what to optimise with, against which loss, for how long, and the epoch options. */
export interface FitOptions extends EpochOptions {
  /** The optimiser that takes each step; it should hold the model's parameters (`model.parameters()`). */
  optimizer: Optimizer;
  /** The loss of a batch prediction against its targets (`mse`, `softmaxCrossEntropy`, ...); it must return one element. */
  loss: LossFunction;
  /** Passes over the data, an integer ≥ 0 (0 trains nothing and returns `[]`). */
  epochs: number;
  /** Called after each epoch with its number (from 1) and mean batch loss; return `false` to stop. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing must be accepted as one that does not stop.
  onEpoch?: (epoch: number, loss: number) => void | boolean;
}

/**
 * Trains for `epochs` passes over (x, y) and returns the mean batch loss of each epoch.
 *
 * @example
 * fit(model, x, y, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: mse, epochs: 100 });
 */
export function fit(model: Module, x: Tensor, y: Tensor, opts: FitOptions): number[] {
  const op = 'fit';
  const o = checkOptions(op, opts);
  const epochs = checkInteger(op, 'opts.epochs', o.epochs, 0);
  checkStepArguments(op, model, o.optimizer, o.loss, x, y);
  const onEpoch = o.onEpoch === undefined ? undefined : checkFunction<NonNullable<FitOptions['onEpoch']>>(op, 'opts.onEpoch', o.onEpoch);
  const epoch = checkEpochOptions(op, { batchSize: o.batchSize, rng: o.rng, mode: o.mode, tidy: o.tidy }, x);
  const losses: number[] = [];
  for (let e = 1; e <= epochs; e++) {
    losses.push(epochOnce(op, model, o.optimizer as Optimizer, o.loss as LossFunction, x, y, epoch));
    if (onEpoch?.(e, losses[losses.length - 1]!) === false) break;
  }
  return losses;
}
