// One training run, epoch by epoch, with no browser in it: the worker drives it between
// messages, and the Node tests drive it directly.
import { Adam, type Optimizer, SGD, type Sequential, accuracy, encodeModel, predict, softmaxCrossEntropy, trainEpoch } from '@jacobi/nn';
import { type Rng, rng, tensor, toMermaid, type Tensor } from '@jacobi/tensor';
import { DIGITS_DEFAULTS } from '../../examples/src/digits/digits-model.js';
import { onnxBytes } from '../../examples/src/lib/onnx-bytes.js';
import { modelInputs, type PreparedData } from './datasets.js';
import { type Architecture, buildModel, modelMetadata, parameterCount, scoresOf } from './model.js';
import type { Boundary, EpochStats, ModelFiles, TrainConfig } from './protocol.js';
import { gridCentres, paddedExtent } from './toy-data.js';

/** Rows in the batch whose training step the graph shows (a few keep the shapes readable). */
const GRAPH_ROWS = 4;

/** Trains `config`'s network on `data`. */
export class Trainer {
  readonly model: Sequential;
  readonly architecture: Architecture;
  readonly history: EpochStats[] = [];
  private readonly optimizer: Optimizer;
  private readonly batchRng: Rng;
  private readonly inputs: ReturnType<typeof modelInputs>;

  constructor(
    readonly config: TrainConfig,
    readonly data: PreparedData,
  ) {
    this.architecture =
      data.dataset === 'digits'
        ? { kind: 'cnn', channels: DIGITS_DEFAULTS.channels }
        : {
            kind: 'dense',
            features: data.rowShape[0]!,
            hidden: config.hidden,
            activation: config.activation,
            classes: data.classNames.length,
          };
    // The split, the weights and the batch order each draw from their own stream.
    this.model = buildModel(this.architecture, config.seed + 1);
    const params = this.model.parameters();
    this.optimizer = config.optimizer === 'adam' ? new Adam(params, { lr: config.lr }) : new SGD(params, { lr: config.lr });
    this.batchRng = rng(config.seed + 2);
    this.inputs = modelInputs(data);
  }

  /** The network's parameter count. */
  get parameters(): number {
    return parameterCount(this.model);
  }

  /** The epochs run so far. */
  get epoch(): number {
    return this.history.length;
  }

  /**
   * The recorded graph of one training step's loss (forward pass and cross-entropy on the first
   * rows) as Mermaid text, after its backward pass, so the leaves show their gradients. The
   * gradients are cleared again: the step is shown, not taken.
   */
  stepGraph(): string {
    const { zTrain, tTrain } = this.inputs;
    const rows = Math.min(GRAPH_ROWS, zTrain.shape[0]!);
    const loss = softmaxCrossEntropy(this.model.forward(zTrain.index({ stop: rows })), tTrain.index({ stop: rows }));
    loss.backward();
    const text = toMermaid(loss);
    this.optimizer.zeroGrad();
    return text;
  }

  /** Runs one epoch and returns its statistics. */
  runEpoch(): EpochStats {
    const { zTrain, zTest, tTrain } = this.inputs;
    const batchSize = this.config.batchSize > 0 ? this.config.batchSize : zTrain.shape[0]!;
    trainEpoch(this.model, this.optimizer, softmaxCrossEntropy, zTrain, tTrain, { batchSize, rng: this.batchRng });
    const train = this.score(zTrain, this.data.yTrain);
    const test = this.score(zTest, this.data.yTest);
    const stats = {
      epoch: this.epoch + 1,
      trainLoss: train.loss,
      trainAccuracy: train.accuracy,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
    };
    this.history.push(stats);
    return stats;
  }

  private score(z: Tensor, labels: number[]): { loss: number; accuracy: number } {
    const logits = predict(this.model, z);
    return { loss: softmaxCrossEntropy(logits, labels).item(), accuracy: accuracy(logits, labels) };
  }

  /** The predicted class over a `size × size` grid around the toy set's points; undefined for other sets. */
  boundary(size: number): Boundary | undefined {
    const points = this.data.points;
    if (!points) return undefined;
    const extent = paddedExtent(points);
    const grid = tensor(gridCentres(extent, size), { shape: [size * size, 2] });
    const scores = predict(this.model, this.data.scaler?.transform(grid) ?? grid);
    return { size, extent, classes: Uint8Array.from(scores.argmax(-1).data(), Number) };
  }

  /**
   * The trained model as a `.safetensors` file (weights, and in its metadata what rebuilds the
   * network) and as ONNX (raw inputs in, the standardisation in the graph, class scores out).
   */
  files(): ModelFiles {
    const { scaler, xTrain } = this.data;
    const metadata = modelMetadata({
      dataset: this.config.dataset,
      architecture: this.architecture,
      classNames: [...this.data.classNames],
      ...(scaler ? { scaling: { mean: Array.from(scaler.mean.data(), Number), std: Array.from(scaler.std.data(), Number) } } : {}),
    });
    const safetensors = encodeModel(this.model, { metadata });
    const onnx = onnxBytes(this.model, (x) => scoresOf(this.model, scaler, x), xTrain.index({ stop: 2 }));
    return { safetensors, onnx };
  }
}
