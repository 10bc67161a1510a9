// A reusable training loop: one gradient step in either autodiff style, an epoch over
// seeded mini-batches, and evaluation without recording a graph.
import { ArgumentError, noGrad, valueAndGrad, type Rng, type Tensor } from '@jacobi/tensor';
import type { Module } from './module.js';
import type { Optimizer } from './optim/optimizer.js';
import { miniBatches } from './data.js';

/** A loss of a prediction against a target, returning a one-element tensor. */
export type LossFunction = (pred: Tensor, target: Tensor) => Tensor;

/**
 * How gradients are computed: `'backward'` is PyTorch style (`loss.backward()` fills `.grad`),
 * `'functional'` is JAX style (`valueAndGrad` over the parameter list). Both give the same step.
 */
export type GradientMode = 'backward' | 'functional';

/** One optimisation step on one batch; returns the batch loss before the step. */
export function trainStep(model: Module, optimizer: Optimizer, loss: LossFunction, x: Tensor, y: Tensor, mode: GradientMode = 'backward'): number {
  if (mode === 'backward') {
    optimizer.zeroGrad();
    const value = loss(model.forward(x), y);
    value.backward();
    optimizer.step();
    return value.item();
  }
  if (mode !== 'functional') throw new ArgumentError(`trainStep: mode must be 'backward' or 'functional', got ${JSON.stringify(mode)}`);
  const params = model.parameters();
  const objective = (...ps: Tensor[]) => model.withParameters(ps, () => loss(model.forward(x), y));
  // NOTE: noGrad stops the imperative tape from also recording the pass; valueAndGrad has its own level.
  const [value, grads] = noGrad(() => valueAndGrad(objective, { argnums: params.map((_, i) => i) })(...params));
  const byParam = new Map(params.map((p, i) => [p, grads[i]!]));
  optimizer.step(optimizer.params.map((p) => byParam.get(p) ?? null));
  return value.item();
}

export interface EpochOptions {
  /** Rows per step (default: all rows, i.e. full-batch gradient descent). */
  batchSize?: number;
  /** Shuffles the rows each epoch (needed for reproducible mini-batches). */
  rng?: Rng;
  mode?: GradientMode;
}

/** One pass over the data; returns the mean of the batch losses. */
export function trainEpoch(model: Module, optimizer: Optimizer, loss: LossFunction, x: Tensor, y: Tensor, opts: EpochOptions = {}): number {
  model.train();
  const n = x.shape[0] ?? 0;
  const batchSize = opts.batchSize ?? n;
  let total = 0;
  let batches = 0;
  const full = batchSize >= n;
  for (const [xb, yb] of miniBatches(x, y, full ? { batchSize } : { batchSize, ...(opts.rng ? { rng: opts.rng } : {}) })) {
    total += trainStep(model, optimizer, loss, xb, yb, opts.mode);
    batches++;
  }
  return total / Math.max(1, batches);
}

/** The model's output on `x` in eval mode, with no graph recorded. */
export function predict(model: Module, x: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => model.forward(x));
  } finally {
    model.train(wasTraining);
  }
}

export interface FitOptions extends EpochOptions {
  optimizer: Optimizer;
  loss: LossFunction;
  epochs: number;
  /** Called after each epoch with its number (from 1) and mean batch loss; return `false` to stop. */
  onEpoch?: (epoch: number, loss: number) => void | boolean;
}

/**
 * Trains for `epochs` passes over (x, y) and returns the mean batch loss of each epoch.
 *
 * @example
 * fit(model, x, y, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: mse, epochs: 100 });
 */
export function fit(model: Module, x: Tensor, y: Tensor, opts: FitOptions): number[] {
  if (!Number.isInteger(opts?.epochs) || opts.epochs < 0) throw new ArgumentError(`fit: epochs must be a non-negative integer, got ${opts?.epochs}`);
  const losses: number[] = [];
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    losses.push(trainEpoch(model, opts.optimizer, opts.loss, x, y, opts));
    if (opts.onEpoch?.(epoch, losses[losses.length - 1]!) === false) break;
  }
  return losses;
}
