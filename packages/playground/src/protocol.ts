// The messages between the page and the training worker, and the training configuration the
// page's controls produce (checked here, so the worker never starts on a bad one).
import type { ActivationName } from '@jacobi/nn';
import type { EpochStats } from '../../examples/src/digits/digits-model.js';

/** The data sets the playground trains on. */
export const DATASETS = ['iris', 'moons', 'spirals', 'digits'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The 2-D toy problems, whose decision boundary the page draws. */
export const TOY_DATASETS: readonly DatasetName[] = ['moons', 'spirals'];

/** Activations offered for the hidden layers of the dense networks. */
export const HIDDEN_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'leakyRelu'] as const satisfies readonly ActivationName[];
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

export const OPTIMIZERS = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Everything a training run depends on; the same configuration gives the same run. */
export interface TrainConfig {
  dataset: DatasetName;
  /** Hidden layer widths and activation of the dense networks (the digits CNN's architecture is fixed). */
  hidden: number[];
  activation: HiddenActivation;
  optimizer: OptimizerName;
  lr: number;
  epochs: number;
  /** Rows per gradient step; 0 means the whole training set. */
  batchSize: number;
  seed: number;
}

/**
 * Defaults per data set. Iris reaches test accuracy ≥ 0.9 within a few epochs of these
 * (test/training.test.ts checks it), so the end-to-end test stays short.
 */
export const DEFAULT_CONFIGS: Record<DatasetName, TrainConfig> = {
  iris: { dataset: 'iris', hidden: [16, 8], activation: 'relu', optimizer: 'adam', lr: 0.01, epochs: 30, batchSize: 16, seed: 0 },
  moons: { dataset: 'moons', hidden: [16, 16], activation: 'tanh', optimizer: 'adam', lr: 0.01, epochs: 80, batchSize: 32, seed: 0 },
  spirals: { dataset: 'spirals', hidden: [32, 32], activation: 'tanh', optimizer: 'adam', lr: 0.01, epochs: 200, batchSize: 32, seed: 0 },
  // `pnpm digits`'s learning rate and batch size; fewer epochs, as the page trains while one watches.
  digits: { dataset: 'digits', hidden: [], activation: 'relu', optimizer: 'adam', lr: 0.005, epochs: 5, batchSize: 32, seed: 0 },
};

/** Loss (the mean softmax cross-entropy, in nats) and accuracy after one epoch, as `pnpm digits` reports them. */
export type { EpochStats };

/** A decision-boundary picture: the predicted class of each cell of a `size × size` grid. */
export interface Boundary {
  /** Grid cells per side. */
  size: number;
  /** The region covered, in the data's coordinates: [xMin, xMax, yMin, yMax]. */
  extent: [number, number, number, number];
  /** Row-major classes, row 0 at yMax (the top of the picture). */
  classes: Uint8Array;
}

/** The 2-D points of a toy data set, for drawing on top of its boundary. */
export interface ToyPoints {
  x: Float32Array;
  y: Float32Array;
  labels: Uint8Array;
}

/** The trained model's files, as the download links offer them. */
export interface ModelFiles {
  safetensors: Uint8Array;
  onnx: Uint8Array;
}

/** Page → worker. */
export type ToWorker = { type: 'start'; config: TrainConfig } | { type: 'stop' };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; backend: string; threads: number; crossOriginIsolated: boolean }
  | { type: 'started'; config: TrainConfig; parameters: number; trainRows: number; testRows: number; points?: ToyPoints }
  | { type: 'graph'; mermaid: string }
  | { type: 'epoch'; stats: EpochStats; boundary?: Boundary }
  | { type: 'done'; stopped: boolean; files: ModelFiles; seconds: number }
  | { type: 'error'; message: string };

/** Problems with a configuration, as sentences (empty when it is valid). */
export function configProblems(config: TrainConfig): string[] {
  const problems: string[] = [];
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!DATASETS.includes(config.dataset)) problems.push(`dataset must be one of ${DATASETS.join(', ')}`);
  if (!Array.isArray(config.hidden) || !config.hidden.every((w) => positiveInt(w) && w <= 512))
    problems.push('hidden widths must be whole numbers from 1 to 512');
  if (config.hidden.length > 6) problems.push('at most 6 hidden layers');
  if (!HIDDEN_ACTIVATIONS.includes(config.activation)) problems.push(`activation must be one of ${HIDDEN_ACTIVATIONS.join(', ')}`);
  if (!OPTIMIZERS.includes(config.optimizer)) problems.push(`optimizer must be one of ${OPTIMIZERS.join(', ')}`);
  if (!(Number.isFinite(config.lr) && config.lr > 0 && config.lr <= 10)) problems.push('learning rate must be a number in (0, 10]');
  if (!(positiveInt(config.epochs) && config.epochs <= 10_000)) problems.push('epochs must be a whole number from 1 to 10000');
  if (!(Number.isInteger(config.batchSize) && config.batchSize >= 0)) problems.push('batch size must be a whole number (0: all rows)');
  if (!Number.isInteger(config.seed)) problems.push('seed must be a whole number');
  return problems;
}

/** Widths typed as "16, 8" (commas or spaces; empty for none); undefined if any is not a positive integer. */
export function parseWidths(text: string): number[] | undefined {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const widths = parts.map(Number);
  return widths.every((w) => Number.isInteger(w) && w > 0) ? widths : undefined;
}
