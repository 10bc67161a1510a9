// `pnpm digits`: trains a small CNN on the 8×8 handwritten digits and reports, plots and saves it.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '@jacobi/nn/node';
import { DIGITS_DEFAULTS, trainDigits, type DigitsConfig } from './train-digits.js';
import { digitsMetadata } from './model-config.js';
import { UsageError, parseFlags, runCli, usage, type FlagSpec } from '../lib/cli-args.js';
import { ProgressBar } from '../lib/progress.js';
import { trainingCurvesSvg } from '../lib/svg-plot.js';
import { confusionMatrixSvg } from '../lib/confusion-svg.js';
import { scriptCommand } from '../lib/script-command.js';
import { writeOnnx } from '../lib/onnx-file.js';
import { digitImages, loadDigits } from './digits-data.js';

const d = DIGITS_DEFAULTS;
const FLAGS = {
  epochs: { type: { kind: 'int', min: 1 }, help: `passes over the training set (default ${d.epochs})` },
  lr: { type: { kind: 'number', positive: true }, help: `Adam's learning rate (default ${d.lr})` },
  channels: { type: { kind: 'intList', min: 1 }, help: `output channels of the two convolutions (default ${d.channels.join(',')})` },
  'batch-size': { type: { kind: 'int', min: 1 }, help: `images per step (default ${d.batchSize})` },
  seed: { type: { kind: 'int' }, help: `seed of the split, the weights and the batches (default ${d.seed})` },
  limit: { type: { kind: 'int', min: 0 }, help: 'use only the first N images; 0 = all 1797 (default 0)' },
  out: { type: { kind: 'string' }, help: 'output folder (default out/digits)' },
  onnx: { type: { kind: 'string' }, help: 'also write the trained CNN as an ONNX model to this path' },
  help: { type: { kind: 'boolean' }, help: 'show this help' },
} satisfies Record<string, FlagSpec>;

const HELP = usage(
  'pnpm digits',
  FLAGS,
  'Trains conv-relu-maxpool twice, then a dense layer, on the UCI 8x8 handwritten digits (softmax cross-entropy, Adam).',
);

async function main(): Promise<void> {
  const { flags, positional } = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const channels = flags.channels ?? d.channels;
  if (channels.length !== 2) throw new UsageError(`--channels: expected two integers such as 16,32, got ${channels.length}`);
  const config: DigitsConfig = {
    ...d,
    epochs: flags.epochs ?? d.epochs,
    lr: flags.lr ?? d.lr,
    channels: [channels[0]!, channels[1]!],
    batchSize: flags['batch-size'] ?? d.batchSize,
    seed: flags.seed ?? d.seed,
    limit: flags.limit ?? d.limit,
  };
  if (config.limit > 0 && config.limit < 50) throw new UsageError(`--limit: expected 0 or at least 50 images, got ${config.limit}`);
  const outDir = resolve(flags.out ?? join('out', 'digits'));

  console.log(
    `digits: conv${config.channels[0]}-pool-conv${config.channels[1]}-pool-dense10, Adam lr=${config.lr}, batches of ${config.batchSize}, ` +
      `${config.epochs} epochs, seed ${config.seed}${config.limit > 0 ? `, first ${config.limit} images` : ''}`,
  );
  const started = performance.now();
  const bar = new ProgressBar({ total: config.epochs });
  const result = trainDigits(config, (s) =>
    bar.update(s.epoch, `loss ${s.trainLoss.toFixed(4)}  train acc ${s.trainAccuracy.toFixed(3)}  test acc ${s.testAccuracy.toFixed(3)}`),
  );
  bar.done();
  const seconds = (performance.now() - started) / 1000;
  const f = result.final;
  console.log(`trained in ${seconds.toFixed(2)} s`);
  console.log(`final train: accuracy ${f.trainAccuracy.toFixed(4)}  loss ${f.trainLoss.toFixed(6)} (cross-entropy, nats per image)`);
  console.log(`final test:  accuracy ${f.testAccuracy.toFixed(4)}  loss ${f.testLoss.toFixed(6)} (${result.testRows.length} images)`);

  await mkdir(outDir, { recursive: true });
  const h = result.history;
  const plotPath = join(outDir, 'training.svg');
  await writeFile(plotPath, trainingCurvesSvg(h, 'cross-entropy (nats per image)'));
  const confusionPath = join(outDir, 'confusion.svg');
  await writeFile(
    confusionPath,
    confusionMatrixSvg(result.confusion, { title: `Test set: accuracy ${f.testAccuracy.toFixed(4)} on ${result.testRows.length} images` }),
  );
  const modelPath = join(outDir, 'model.safetensors');
  await saveModel(modelPath, result.model, { optimizer: result.optimizer, metadata: digitsMetadata(config) });
  console.log(`plots: ${plotPath}`);
  console.log(`       ${confusionPath}`);
  console.log(`model: ${modelPath}`);
  if (flags.onnx !== undefined) {
    const { model } = result;
    const example = digitImages(loadDigits(), [0, 1]);
    const onnxPath = await writeOnnx(flags.onnx, model, (x) => model.forward(x), example);
    console.log(`onnx:  ${onnxPath} (input: images [batch, 1, 8, 8], pixels in [0, 1]; output: class scores [batch, 10])`);
  }
  const predictFile = join(dirname(fileURLToPath(import.meta.url)), 'predict.js');
  console.log(`next:  ${scriptCommand('digits:predict', predictFile, ['--model', modelPath])}`);
}

void runCli(main);
