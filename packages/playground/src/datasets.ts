// The data of a run, ready for training: a stratified train/test split from the run's seed,
// inputs standardised with the training rows' statistics (the tabular sets; the digits' pixels
// are scaled to [0, 1] instead), one-hot targets.
import { Standardizer, oneHot, trainTestSplit } from '@jacobi/nn';
import { rng, tensor, type Tensor } from '@jacobi/tensor';
import { type Digits, DIGIT_CLASSES, digitImages } from '../../examples/src/digits/digits-images.js';
import { splitDigits } from '../../examples/src/digits/digits-model.js';
import { IRIS_CLASSES } from '../../examples/src/iris/iris-data.js';
import { loadIris } from '../../examples/src/iris/train-iris.js';
import type { DatasetName, ToyPoints, TrainConfig } from './protocol.js';
import { spirals, twoMoons } from './toy-data.js';

/** A data set split for one run. */
export interface PreparedData {
  dataset: DatasetName;
  /** Names of the classes, in class-index order. */
  classNames: readonly string[];
  /** The shape of one input row: `[features]`, or `[1, 8, 8]` for the digit images. */
  rowShape: number[];
  /** Raw training and test inputs (what the ONNX model takes). */
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: number[];
  yTest: number[];
  /** Fitted on the training rows, the networks see `scaler.transform(x)`; null for images. */
  scaler: Standardizer | null;
  /** The toy sets' points (all of them), for the decision-boundary picture. */
  points?: ToyPoints;
}

/** The model's inputs and targets of a prepared set. */
export function modelInputs(data: PreparedData): { zTrain: Tensor; zTest: Tensor; tTrain: Tensor } {
  return {
    zTrain: data.scaler?.transform(data.xTrain) ?? data.xTrain,
    zTest: data.scaler?.transform(data.xTest) ?? data.xTest,
    tTrain: oneHot(data.yTrain, data.classNames.length),
  };
}

/** Points per toy set: enough for a clear picture, few enough for a quick epoch. */
const TOY_SIZE = 300;

/** The toy set of a configuration, drawn from its seed (the split draws from its own stream). */
export function toyPoints(dataset: 'moons' | 'spirals', seed: number): ToyPoints {
  const r = rng(seed + 1000);
  return dataset === 'moons' ? twoMoons(TOY_SIZE, 0.12, r) : spirals(TOY_SIZE, 1.25, 0.03, r);
}

/** Splits a tabular set 80/20 (stratified, seeded) and fits the standardiser on the training part. */
function splitTabular(
  dataset: DatasetName,
  x: Tensor,
  labels: number[],
  classNames: readonly string[],
  seed: number,
  points?: ToyPoints,
): PreparedData {
  const split = trainTestSplit(x, labels, { testSize: 0.2, rng: rng(seed), stratify: true });
  return {
    dataset,
    classNames,
    rowShape: [x.shape[1]!],
    xTrain: split.xTrain,
    xTest: split.xTest,
    yTrain: split.yTrain,
    yTest: split.yTest,
    scaler: Standardizer.fit(split.xTrain),
    ...(points ? { points } : {}),
  };
}

/** The data of a dense-network run (iris or a toy set). */
export function prepareTabular(config: Pick<TrainConfig, 'dataset' | 'seed'>): PreparedData {
  const { dataset, seed } = config;
  if (dataset === 'iris') {
    const { x, labels } = loadIris();
    return splitTabular(dataset, x, labels, IRIS_CLASSES, seed);
  }
  if (dataset === 'moons' || dataset === 'spirals') {
    const points = toyPoints(dataset, seed);
    const n = points.labels.length;
    const xy = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      xy[2 * i] = points.x[i]!;
      xy[2 * i + 1] = points.y[i]!;
    }
    return splitTabular(dataset, tensor(xy, { shape: [n, 2] }), Array.from(points.labels), ['class 0', 'class 1'], seed, points);
  }
  throw new Error(`prepareTabular: '${dataset}' is not a tabular data set`);
}

/** The digits of a run: `pnpm digits`'s stratified split of all 1,797 images from the seed. */
export function prepareDigits(digits: Digits, seed: number): PreparedData {
  const { train, test } = splitDigits(digits, { seed, testSize: 0.2, limit: 0 });
  return {
    dataset: 'digits',
    classNames: Array.from({ length: DIGIT_CLASSES }, (_, i) => String(i)),
    rowShape: [1, 8, 8],
    xTrain: digitImages(digits, train),
    xTest: digitImages(digits, test),
    yTrain: train.map((r) => digits.labels[r]!),
    yTest: test.map((r) => digits.labels[r]!),
    scaler: null,
  };
}
