// A small CNN on the 8×8 handwritten digits, as a library function the CLI and the tests share:
// data -> model -> loop -> result. Softmax cross-entropy, Adam, seeded mini-batches.
import { rng, type Tensor } from '@jacobi/tensor';
import { Adam, type Sequential, accuracy, oneHot, predict, softmaxCrossEntropy, trainEpoch } from '@jacobi/nn';
import { DIGIT_CLASSES, digitImages, loadDigits } from './digits-data.js';
import { buildDigitsModel, type DigitsConfig, type EpochStats, splitDigits } from './digits-model.js';

export {
  DIGITS_DEFAULTS,
  buildDigitsModel,
  splitDigits,
  type DigitsArchitecture,
  type DigitsConfig,
  type EpochStats,
} from './digits-model.js';

export interface DigitsResult {
  model: Sequential;
  optimizer: Adam;
  history: EpochStats[];
  final: EpochStats;
  /** `confusion[t][p]`: test images of class t predicted as p. */
  confusion: number[][];
  testRows: number[];
}

/** Mean cross-entropy and accuracy of `model` on `x`, and the predicted classes. */
export function scoreDigits(model: Sequential, x: Tensor, labels: number[]): { loss: number; accuracy: number; predicted: number[] } {
  const logits = predict(model, x);
  return {
    loss: softmaxCrossEntropy(logits, labels).item(),
    accuracy: accuracy(logits, labels),
    predicted: Array.from(logits.argmax(-1).data(), Number),
  };
}

/** `counts[t][p]`: how many of `truth` are `t` and were predicted `p`. */
export function confusionMatrix(truth: readonly number[], predicted: readonly number[], classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => counts[t]![predicted[i]!]!++);
  return counts;
}

/** Trains the CNN; `onEpoch` sees the statistics after every epoch. */
export function trainDigits(config: DigitsConfig, onEpoch?: (stats: EpochStats) => void): DigitsResult {
  const digits = loadDigits();
  const { train, test } = splitDigits(digits, config);
  const xTrain = digitImages(digits, train);
  const xTest = digitImages(digits, test);
  const yTrain = train.map((r) => digits.labels[r]!);
  const yTest = test.map((r) => digits.labels[r]!);
  const tTrain = oneHot(yTrain, DIGIT_CLASSES);

  const model = buildDigitsModel(config, config.seed + 1);
  const optimizer = new Adam(model.parameters(), { lr: config.lr });
  // The split, the weights and the batch order each draw from their own stream, so the split
  // depends on the seed alone and pnpm digits:predict can redo it from the saved metadata.
  const batchRng = rng(config.seed + 2);

  const history: EpochStats[] = [];
  let last = scoreDigits(model, xTest, yTest);
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    trainEpoch(model, optimizer, softmaxCrossEntropy, xTrain, tTrain, { batchSize: config.batchSize, rng: batchRng });
    const trainScore = scoreDigits(model, xTrain, yTrain);
    last = scoreDigits(model, xTest, yTest);
    const stats = {
      epoch,
      trainLoss: trainScore.loss,
      trainAccuracy: trainScore.accuracy,
      testLoss: last.loss,
      testAccuracy: last.accuracy,
    };
    history.push(stats);
    onEpoch?.(stats);
  }
  const untrained = () => {
    const trainScore = scoreDigits(model, xTrain, yTrain);
    return { epoch: 0, trainLoss: trainScore.loss, trainAccuracy: trainScore.accuracy, testLoss: last.loss, testAccuracy: last.accuracy };
  };
  const final = history[history.length - 1] ?? untrained();
  return { model, optimizer, history, final, confusion: confusionMatrix(yTest, last.predicted, DIGIT_CLASSES), testRows: test };
}
