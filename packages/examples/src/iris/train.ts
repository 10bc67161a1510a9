// `pnpm iris`: trains the seed's 3-layer network on iris and reports, plots and saves it.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '@jacobi/nn/node';
import { activations } from '@jacobi/nn';
import { IRIS_DEFAULTS, IRIS_OPTIMIZERS, loadIris, trainIris, type IrisConfig } from './train-iris.js';
import { irisMetadata } from './model-config.js';
import { UsageError, parseFlags, runCli, usage, type FlagSpec } from '../lib/cli-args.js';
import { ProgressBar } from '../lib/progress.js';
import { trainingCurvesSvg } from '../lib/svg-plot.js';
import { scriptCommand } from '../lib/script-command.js';
import { writeOnnx } from '../lib/onnx-file.js';

const activationNames = Object.keys(activations);
const d = IRIS_DEFAULTS;
const FLAGS = {
  epochs: { type: { kind: 'int', min: 1 }, help: `passes over the training set (default ${d.epochs})` },
  lr: { type: { kind: 'number', positive: true }, help: `learning rate (default ${d.lr})` },
  hidden: { type: { kind: 'intList', min: 1 }, help: `hidden layer widths (default ${d.hidden.join(',')})` },
  activation: { type: { kind: 'choice', choices: activationNames }, help: `f1 and f2 (default ${d.activation})` },
  'output-activation': { type: { kind: 'choice', choices: activationNames }, help: `f3 (default ${d.outputActivation})` },
  optimizer: { type: { kind: 'choice', choices: IRIS_OPTIMIZERS }, help: `update rule (default ${d.optimizer}: plain gradient descent)` },
  'batch-size': { type: { kind: 'int', min: 0 }, help: 'rows per step; 0 = all training rows (default 0)' },
  seed: { type: { kind: 'int' }, help: `seed of the split, the weights and the batches (default ${d.seed})` },
  out: { type: { kind: 'string' }, help: 'output folder (default out/iris)' },
  onnx: { type: { kind: 'string' }, help: 'also write the network, input scaling included, as an ONNX model to this path' },
  help: { type: { kind: 'boolean' }, help: 'show this help' },
} satisfies Record<string, FlagSpec>;

const HELP = usage('pnpm iris', FLAGS, 'Trains X1=f1(X0 W1), X2=f2(X1 W2), X3=f3(X2 W3) with loss 1/2||X3 - T||^2 on the iris data set.');

async function main(): Promise<void> {
  const { flags, positional } = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const config: IrisConfig = {
    ...d,
    epochs: flags.epochs ?? d.epochs,
    lr: flags.lr ?? d.lr,
    hidden: flags.hidden ?? d.hidden,
    activation: (flags.activation ?? d.activation) as IrisConfig['activation'],
    outputActivation: (flags['output-activation'] ?? d.outputActivation) as IrisConfig['outputActivation'],
    optimizer: (flags.optimizer ?? d.optimizer) as IrisConfig['optimizer'],
    batchSize: flags['batch-size'] ?? d.batchSize,
    seed: flags.seed ?? d.seed,
  };
  const outDir = resolve(flags.out ?? join('out', 'iris'));

  console.log(
    `iris: 4-${config.hidden.join('-')}-3, ${config.activation}/${config.outputActivation}, ${config.optimizer} lr=${config.lr}, ` +
      `${config.batchSize > 0 ? `batches of ${config.batchSize}` : 'full batch'}, ${config.epochs} epochs, seed ${config.seed}`,
  );
  const started = performance.now();
  const bar = new ProgressBar({ total: config.epochs });
  const result = trainIris(config, (s) =>
    bar.update(s.epoch, `loss ${s.trainLoss.toFixed(4)}  train acc ${s.trainAccuracy.toFixed(3)}  test acc ${s.testAccuracy.toFixed(3)}`),
  );
  bar.done();
  const seconds = (performance.now() - started) / 1000;
  const f = result.final;
  console.log(`trained in ${seconds.toFixed(2)} s`);
  console.log(`final train: accuracy ${f.trainAccuracy.toFixed(4)}  loss ${f.trainLoss.toFixed(6)} (½‖X3−T‖² per sample)`);
  console.log(`final test:  accuracy ${f.testAccuracy.toFixed(4)}  loss ${f.testLoss.toFixed(6)}`);

  await mkdir(outDir, { recursive: true });
  const plotPath = join(outDir, 'training.svg');
  const h = result.history;
  const svg = trainingCurvesSvg(h, '½‖X3 − T‖² per sample');
  await writeFile(plotPath, svg);
  const modelPath = join(outDir, 'model.safetensors');
  await saveModel(modelPath, result.model, { optimizer: result.optimizer, metadata: irisMetadata(config, result.scaler) });
  console.log(`plot:  ${plotPath}`);
  console.log(`model: ${modelPath}`);
  if (flags.onnx !== undefined) {
    // Raw measurements in (cm, [batch, 4]), the scores X3 out: the standardiser is part of the graph.
    const { model, scaler } = result;
    const onnxPath = await writeOnnx(flags.onnx, model, (x) => model.forward(scaler.transform(x)), loadIris().x.index({ stop: 2 }));
    console.log(`onnx:  ${onnxPath} (input: raw measurements [batch, 4]; output: class scores [batch, 3])`);
  }
  const predictFile = join(dirname(fileURLToPath(import.meta.url)), 'predict.js');
  console.log(`next:  ${scriptCommand('iris:predict', predictFile, ['--model', modelPath, '5.1,3.5,1.4,0.2'])}`);
}

void runCli(main);
