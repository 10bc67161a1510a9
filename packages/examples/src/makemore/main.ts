// `pnpm makemore`: trains a character-level transformer on 32,033 given names, prints the train
// and validation loss, and samples new names.
import { MAKEMORE_DEFAULTS, trainMakemore, type MakemoreConfig } from './train-makemore.js';
import { loadNames } from './names-data.js';
import { UsageError, parseFlags, runCli, usage, type FlagSpec } from '../lib/cli-args.js';
import { ProgressBar } from '../lib/progress.js';
import { writeOnnx } from '../lib/onnx-file.js';
import { zeros } from '@jacobi/tensor';

const d = MAKEMORE_DEFAULTS;
const FLAGS = {
  steps: { type: { kind: 'int', min: 1 }, help: `gradient steps (default ${d.steps})` },
  seed: { type: { kind: 'int' }, help: `seed of the split, weights, batches and samples (default ${d.seed})` },
  context: { type: { kind: 'int', min: 2 }, help: 'positions per name, ≥ longest name + 1 (default: longest name + 1)' },
  layers: { type: { kind: 'int', min: 0 }, help: `TransformerEncoderLayers (default ${d.layers})` },
  batch: { type: { kind: 'int', min: 1 }, help: `names per step (default ${d.batchSize})` },
  lr: { type: { kind: 'number', positive: true }, help: `AdamW learning rate (default ${d.lr})` },
  embed: { type: { kind: 'int', min: 1 }, help: `width of the embeddings and layers (default ${d.embedDim})` },
  heads: { type: { kind: 'int', min: 1 }, help: `attention heads, dividing --embed (default ${d.heads})` },
  ff: { type: { kind: 'int', min: 1 }, help: `feed-forward width (default ${d.dimFeedforward})` },
  dropout: { type: { kind: 'number' }, help: `dropout probability in [0, 1) (default ${d.dropout})` },
  'eval-every': { type: { kind: 'int', min: 1 }, help: `steps between loss evaluations (default ${d.evalEvery})` },
  samples: { type: { kind: 'int', min: 0 }, help: `names to sample at the end (default ${d.samples})` },
  temperature: { type: { kind: 'number', positive: true }, help: `sampling temperature (default ${d.temperature})` },
  onnx: { type: { kind: 'string' }, help: 'also write the trained transformer as an ONNX model to this path' },
  help: { type: { kind: 'boolean' }, help: 'show this help' },
} satisfies Record<string, FlagSpec>;

const HELP = usage(
  'pnpm makemore',
  FLAGS,
  'Trains a character-level transformer (token + position embeddings, pre-norm causal TransformerEncoderLayers, a linear head)\n' +
    'on 32,033 given names (US Social Security Administration data) and samples new ones.',
);

async function main(): Promise<void> {
  const { flags, positional } = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const config: MakemoreConfig = {
    ...d,
    steps: flags.steps ?? d.steps,
    seed: flags.seed ?? d.seed,
    context: flags.context ?? d.context,
    layers: flags.layers ?? d.layers,
    batchSize: flags.batch ?? d.batchSize,
    lr: flags.lr ?? d.lr,
    embedDim: flags.embed ?? d.embedDim,
    heads: flags.heads ?? d.heads,
    dimFeedforward: flags.ff ?? d.dimFeedforward,
    dropout: flags.dropout ?? d.dropout,
    evalEvery: flags['eval-every'] ?? d.evalEvery,
    samples: flags.samples ?? d.samples,
    temperature: flags.temperature ?? d.temperature,
  };
  if (config.embedDim % config.heads !== 0) throw new UsageError(`--heads ${config.heads} must divide --embed ${config.embedDim}`);
  if (config.dropout < 0 || config.dropout >= 1) throw new UsageError(`--dropout: expected a number in [0, 1), got ${config.dropout}`);
  const names = loadNames();
  const longest = Math.max(...names.map((n) => n.length));
  if (config.context !== null && config.context < longest + 1) {
    throw new UsageError(
      `--context: expected at least ${longest + 1} (the longest name has ${longest} characters, then '.'), got ${config.context}`,
    );
  }

  console.log(
    `makemore: ${names.length} names, context ${config.context ?? longest + 1}, ${config.layers} layer(s) of width ${config.embedDim} ` +
      `(${config.heads} heads, feed-forward ${config.dimFeedforward}), AdamW lr=${config.lr}, ${config.steps} steps of ${config.batchSize} names, seed ${config.seed}`,
  );
  const started = performance.now();
  const bar = new ProgressBar({ total: config.steps, unit: 'step' });
  let recent = 0;
  let latest = '';
  const result = trainMakemore(config, {
    names,
    onStep: (step, batchLoss, evaluation) => {
      // An exponential moving average: one batch's loss is too noisy to read.
      recent = step === 1 ? batchLoss : 0.95 * recent + 0.05 * batchLoss;
      if (evaluation) latest = `  train ${evaluation.trainLoss.toFixed(4)}  val ${evaluation.validationLoss.toFixed(4)}`;
      bar.update(step, `batch loss ${recent.toFixed(4)}${latest}`);
    },
  });
  bar.done();
  const seconds = (performance.now() - started) / 1000;
  const { final, counts } = result;
  console.log(`trained in ${seconds.toFixed(1)} s (${result.model.parameters().reduce((n, p) => n + p.size, 0)} parameters)`);
  console.log(
    `train loss:      ${final.trainLoss.toFixed(4)} nats per character (${counts.trainEvalNames} of the ${counts.train} training names)`,
  );
  console.log(`validation loss: ${final.validationLoss.toFixed(4)} nats per character (${counts.validation} held-out names)`);
  if (result.samples.length > 0) {
    console.log(`${result.samples.length} samples (temperature ${config.temperature}):`);
    for (const name of result.samples) console.log(`  ${name}`);
  }
  if (flags.onnx !== undefined) {
    // Evaluation mode (no dropout), a dynamic batch of full-context rows of token ids.
    const model = result.model.eval();
    const context = model.config.context;
    const example = zeros([2, context], { dtype: 'int32' });
    const onnxPath = await writeOnnx(flags.onnx, model, (tokens) => model.forward(tokens), example);
    console.log(
      `onnx:  ${onnxPath} (input: int32 token ids [batch, ${context}]; output: next-token logits [batch, ${context}, ${model.config.vocabSize}])`,
    );
  }
}

void runCli(main);
