// `pnpm makemore` as a library function the CLI and the tests share: names -> tokens -> a
// character-level transformer -> AdamW on the masked next-character loss -> sampled names.
import { AdamW, softmaxCrossEntropy } from '@jacobi/nn';
import { ArgumentError, multinomial, noGrad, rng, take, tensor, type Rng, type Tensor } from '@jacobi/tensor';
import { CharTransformer, type CharTransformerConfig } from './model.js';
import { BOUNDARY, CharTokenizer, batchOf, encodeNames, loadNames, splitNames, type Batch, type EncodedNames } from './names-data.js';

export interface MakemoreConfig {
  /** Gradient steps, each on `batchSize` names drawn at random from the training split. */
  steps: number;
  batchSize: number;
  /** AdamW's learning rate. */
  lr: number;
  /** AdamW's decoupled weight decay. */
  weightDecay: number;
  /** Positions per name, the longest name + 1 at least; null fits the longest name of the data. */
  context: number | null;
  embedDim: number;
  heads: number;
  layers: number;
  dimFeedforward: number;
  dropout: number;
  /** Seeds the split, the weights, the batches, dropout and the samples. */
  seed: number;
  /** Share of the names held out for validation. */
  validationShare: number;
  /** Evaluate train and validation loss every this many steps (and after the last). */
  evalEvery: number;
  /** Names to sample at the end. */
  samples: number;
  /** Divides the logits before the softmax when sampling: 1 samples the model as it is, lower is more conservative. */
  temperature: number;
}

/** Defaults: validation ≤ 2.3 nats per character in about a minute or two on two cores. */
export const MAKEMORE_DEFAULTS: MakemoreConfig = {
  steps: 400,
  batchSize: 32,
  lr: 3e-3,
  weightDecay: 0.01,
  context: null,
  embedDim: 64,
  heads: 4,
  layers: 2,
  dimFeedforward: 256,
  dropout: 0,
  seed: 0,
  validationShare: 0.1,
  evalEvery: 200,
  samples: 20,
  temperature: 1,
};

/** Mean loss (nats per character) over the names of one split. */
export interface Evaluation {
  step: number;
  trainLoss: number;
  validationLoss: number;
}

export interface MakemoreResult {
  model: CharTransformer;
  tokenizer: CharTokenizer;
  /** The loss of every step's batch. */
  batchLosses: number[];
  /** Evaluations every `evalEvery` steps and after the last step. */
  evaluations: Evaluation[];
  final: Evaluation;
  /** `config.samples` names drawn from the trained model. */
  samples: string[];
  /** Sizes of the splits; `trainEvalNames` training names are scored for the train loss. */
  counts: { train: number; validation: number; trainEvalNames: number };
}

/**
 * Mean next-character cross-entropy over the counted positions of `batch` (each name's
 * characters and its closing '.'; padding after it is masked out of the loss).
 */
export function maskedLoss(model: CharTransformer, batch: Batch): Tensor {
  const logits = model.forward(batch.inputs);
  const [rows, positions, vocab] = logits.shape as [number, number, number];
  const perPosition = softmaxCrossEntropy(logits.reshape([rows * positions, vocab]), batch.targets.reshape([rows * positions]), {
    reduction: 'none',
  });
  const mask = batch.mask.reshape([rows * positions]);
  return perPosition.mul(mask).sum().div(mask.sum());
}

/** Nats per character over every name of `data`, in eval mode, without a graph. */
export function evaluate(model: CharTransformer, data: EncodedNames, rowsPerBatch = 512): number {
  // Rows of similar length go together, so that each batch is cut to few positions (see batchOf).
  const order = Array.from({ length: data.count }, (_, i) => i).sort((a, b) => data.lengths[a]! - data.lengths[b]! || a - b);
  return inEvalMode(model, () =>
    noGrad(() => {
      let total = 0;
      let counted = 0;
      for (let start = 0; start < data.count; start += rowsPerBatch) {
        const batch = batchOf(data, order.slice(start, start + rowsPerBatch));
        const n = batch.mask.sum().item();
        total += maskedLoss(model, batch).item() * n;
        counted += n;
      }
      return total / counted;
    }),
  );
}

/**
 * Draws `count` names character by character: each step feeds the prefixes so far ('.' first),
 * samples the next token from softmax(logits / temperature) at the last position, and a name ends
 * at its first '.'. A name has at most `context − 1` characters: the last position was only ever
 * trained to predict the closing '.', so a name still open there ends.
 */
export function sampleNames(model: CharTransformer, tokenizer: CharTokenizer, count: number, r: Rng, temperature = 1): string[] {
  const context = model.config.context;
  const prefixes: number[][] = Array.from({ length: count }, () => [BOUNDARY]);
  const names: number[][] = Array.from({ length: count }, () => []);
  const done = new Array<boolean>(count).fill(false);
  inEvalMode(model, () =>
    noGrad(() => {
      for (let t = 0; t < context - 1 && done.includes(false); t++) {
        const logits = model.forward(tensor(prefixes, { dtype: 'int32' }));
        const last = take(logits, [t], 1).reshape([count, tokenizer.size]);
        const next = multinomial(last.div(temperature).softmax(-1), 1, { rng: r }).data();
        for (let i = 0; i < count; i++) {
          const token = next[i]!;
          prefixes[i]!.push(token);
          if (done[i]) continue;
          if (token === BOUNDARY) done[i] = true;
          else names[i]!.push(token);
        }
      }
    }),
  );
  return names.map((tokens) => tokenizer.decode(tokens));
}

function inEvalMode<T>(model: CharTransformer, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(wasTraining);
  }
}

/** Trains the transformer on `names` (default: the shipped list); `onStep` sees every step. */
export function trainMakemore(
  config: MakemoreConfig,
  opts: { names?: readonly string[]; onStep?: (step: number, batchLoss: number, evaluation: Evaluation | null) => void } = {},
): MakemoreResult {
  const names = opts.names ?? loadNames();
  const tokenizer = CharTokenizer.fromNames(names);
  const longest = Math.max(...names.map((n) => n.length));
  const context = config.context ?? longest + 1;
  if (context < longest + 1)
    throw new ArgumentError(`trainMakemore: a context of ${context} is too short for the longest name (${longest} characters + '.')`);
  const split = splitNames(names, config.validationShare, rng(config.seed));
  const train = encodeNames(split.train, tokenizer, context);
  const validation = encodeNames(split.validation, tokenizer, context);
  // NOTE: the train loss is scored on as many training names as there are validation names (the
  // split is already shuffled, so the first ones are a random sample): a full pass over the
  // training split would take as long as a few hundred steps.
  const trainEval = encodeNames(split.train.slice(0, split.validation.length), tokenizer, context);

  const modelConfig: CharTransformerConfig = {
    vocabSize: tokenizer.size,
    context,
    embedDim: config.embedDim,
    heads: config.heads,
    layers: config.layers,
    dimFeedforward: config.dimFeedforward,
    dropout: config.dropout,
  };
  const model = new CharTransformer(modelConfig, config.seed + 1);
  const optimizer = new AdamW(model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const batchRng = rng(config.seed + 2);

  const score = (step: number): Evaluation => ({
    step,
    trainLoss: evaluate(model, trainEval),
    validationLoss: evaluate(model, validation),
  });
  const evaluations: Evaluation[] = [];
  const batchLosses: number[] = [];
  for (let step = 1; step <= config.steps; step++) {
    const rows = Array.from({ length: config.batchSize }, () => batchRng.int(train.count));
    optimizer.zeroGrad();
    const loss = maskedLoss(model, batchOf(train, rows));
    loss.backward();
    optimizer.step();
    batchLosses.push(loss.item());
    const evaluation = step % config.evalEvery === 0 || step === config.steps ? score(step) : null;
    if (evaluation) evaluations.push(evaluation);
    opts.onStep?.(step, batchLosses[batchLosses.length - 1]!, evaluation);
  }
  const samples = sampleNames(model, tokenizer, config.samples, rng(config.seed + 3), config.temperature);
  return {
    model,
    tokenizer,
    batchLosses,
    evaluations,
    final: evaluations[evaluations.length - 1]!,
    samples,
    counts: { train: train.count, validation: validation.count, trainEvalNames: trainEval.count },
  };
}
