// The digits CNN and the seeded split, without Node (the playground builds the same network in a
// browser); train-digits.ts trains it and re-exports these.
import { rng, tensor, type Tensor } from '@jacobi/tensor';
import { Conv2d, Dense, Flatten, MaxPool2d, Sequential, relu, trainTestSplit } from '@jacobi/nn';
import { DIGIT_CLASSES, DIGIT_SIZE, type Digits } from './digits-images.js';

export interface DigitsConfig {
  epochs: number;
  lr: number;
  /** Output channels of the two convolutions. */
  channels: [number, number];
  /** Images per gradient step. */
  batchSize: number;
  seed: number;
  /** Share of the images held out for testing (stratified by class). */
  testSize: number;
  /** Use only the first `limit` images of the file (0: all 1,797); for quick runs and tests. */
  limit: number;
}

/** Defaults: test accuracy ≥ 0.97 on seed 0 and ≥ 0.95 on seeds 0–9 (`pnpm digits:seeds` checks both). */
export const DIGITS_DEFAULTS: DigitsConfig = {
  epochs: 15,
  lr: 0.005,
  channels: [16, 32],
  batchSize: 32,
  seed: 0,
  testSize: 0.2,
  limit: 0,
};

/** The architecture, as saved in a model file's metadata. */
export type DigitsArchitecture = Pick<DigitsConfig, 'channels'>;

/**
 * conv 3×3 (padding 1) → relu → max-pool 2×2, twice, then a dense layer on the flattened
 * features: [N, 1, 8, 8] → [N, c1, 4, 4] → [N, c2, 2, 2] → [N, 10] logits. PyTorch's default
 * initialisation; parameters `layers.0.weight` ([c1, 1, 3, 3]), `layers.0.bias`, `layers.3.*`, `layers.7.*`.
 */
export function buildDigitsModel(config: DigitsArchitecture, seed: number): Sequential {
  const r = rng(seed);
  const [c1, c2] = config.channels;
  const side = DIGIT_SIZE / 4; // two 2×2 poolings
  return new Sequential(
    new Conv2d(1, c1, 3, { padding: 1, rng: r }),
    relu,
    new MaxPool2d(2),
    new Conv2d(c1, c2, 3, { padding: 1, rng: r }),
    relu,
    new MaxPool2d(2),
    new Flatten(),
    new Dense(c2 * side * side, DIGIT_CLASSES, { rng: r }),
  );
}

/**
 * The rows of the data file in the training and test sets: a stratified split seeded by `seed`
 * (of the first `limit` rows when `limit` > 0). `pnpm digits:predict` calls it with the saved
 * seed to find the images the model never saw.
 */
export function splitDigits(
  digits: Digits,
  config: Pick<DigitsConfig, 'seed' | 'testSize' | 'limit'>,
): { train: number[]; test: number[] } {
  const n = config.limit > 0 ? Math.min(config.limit, digits.count) : digits.count;
  const rows = tensor(
    Float64Array.from({ length: n }, (_, i) => i),
    { shape: [n, 1] },
  );
  const split = trainTestSplit(rows, digits.labels.slice(0, n), { testSize: config.testSize, rng: rng(config.seed), stratify: true });
  const ids = (t: Tensor) => Array.from(t.data(), Number);
  return { train: ids(split.xTrain), test: ids(split.xTest) };
}

/** Mean cross-entropy (nats per image) and accuracy after one epoch. */
export interface EpochStats {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}
