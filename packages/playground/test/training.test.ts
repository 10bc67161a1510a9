// The training run without a browser: the defaults reach the accuracy the end-to-end test
// waits for, the graph of a step is the recorded one, and the files the page offers load back
// into the same network (safetensors with jacobi, ONNX with ONNX Runtime).
import { accuracy, predict } from '@jacobi/nn';
import { noGrad } from '@jacobi/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadDigits } from '../../examples/src/digits/digits-data.js';
import { prepareDigits, prepareTabular } from '../src/datasets.js';
import { loadModelFile, parseModelMetadata, scoresOf } from '../src/model.js';
import { DEFAULT_CONFIGS, type TrainConfig } from '../src/protocol.js';
import { Trainer } from '../src/trainer.js';

function trained(config: TrainConfig): Trainer {
  const trainer = new Trainer(config, prepareTabular(config));
  for (let e = 0; e < config.epochs; e++) trainer.runEpoch();
  return trainer;
}

describe('Trainer', () => {
  const iris = trained(DEFAULT_CONFIGS.iris);

  it('reaches test accuracy ≥ 0.9 on iris with the defaults, within 10 epochs, and keeps it', () => {
    const first = iris.history.findIndex((s) => s.testAccuracy >= 0.9);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(10);
    expect(iris.history.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(iris.history.at(-1)!.trainLoss).toBeLessThan(iris.history[0]!.trainLoss);
  });

  it('shows the graph of a step: the loss of a batch, back to the weights with their gradients', () => {
    const text = iris.stepGraph();
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('leaf [4,16] float32 grad [4,16]'); // the first layer's weight
    expect(text).toMatch(/\("matmul \[4,16\] float32"\)/);
    // Shown, not taken: the weights have no gradient afterwards.
    expect(iris.model.parameters().every((p) => p.grad === null || p.grad.abs().max().item() === 0)).toBe(true);
  });

  it('writes a .safetensors file that rebuilds the network and predicts as it does', () => {
    const { model, saved, scaler } = loadModelFile(iris.files().safetensors);
    expect(saved.architecture).toEqual({ kind: 'dense', features: 4, hidden: [16, 8], activation: 'relu', classes: 3 });
    expect(saved.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const x = iris.data.xTest;
    const want = predict(iris.model, iris.data.scaler!.transform(x));
    expect(Array.from(predict(model, scaler!.transform(x)).data())).toEqual(Array.from(want.data()));
    expect(accuracy(want, iris.data.yTest)).toBe(iris.history.at(-1)!.testAccuracy);
  });

  it('writes an ONNX model that ONNX Runtime runs on raw measurements to the same scores', async () => {
    const { onnx } = iris.files();
    const x = iris.data.xTest;
    const session = await ort.InferenceSession.create(onnx);
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
    const want = noGrad(() => scoresOf(iris.model, iris.data.scaler, x)).data();
    expect([...output!.dims]).toEqual([x.shape[0], 3]);
    const got = output!.data as Float32Array;
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!))));
  });

  it('refuses a file without the playground metadata', () => {
    expect(() => parseModelMetadata({})).toThrow(/not a playground model file/);
    expect(() => parseModelMetadata({ 'playground.model': '{"dataset":"iris","architecture":{"kind":"dense"}}' })).toThrow(/malformed/);
    const dense = { kind: 'dense', features: 2, hidden: [3], activation: 'tanh', classes: 2 };
    const meta = (o: object) => ({ 'playground.model': JSON.stringify({ dataset: 'moons', classNames: ['a', 'b'], ...o }) });
    expect(() => parseModelMetadata(meta({ architecture: dense }))).toThrow(/malformed/); // a dense network needs its scaling
    expect(parseModelMetadata(meta({ architecture: dense, scaling: { mean: [0, 0], std: [1, 1] } })).architecture).toEqual(dense);
    expect(() => parseModelMetadata(meta({ architecture: { kind: 'cnn', channels: [16] } }))).toThrow(/malformed/);
  });

  it('draws a decision boundary for a toy set and reaches accuracy ≥ 0.9 on moons', () => {
    const moons = trained(DEFAULT_CONFIGS.moons);
    expect(moons.history.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.9);
    const b = moons.boundary(16)!;
    expect(b.classes.length).toBe(256);
    // Both classes own part of the picture.
    expect(new Set(b.classes).size).toBe(2);
    expect(iris.boundary(16)).toBeUndefined();
  });

  it('trains the digits CNN (one epoch) and writes files that load back, in jacobi and ONNX Runtime', async () => {
    const config = { ...DEFAULT_CONFIGS.digits, epochs: 1 };
    const data = prepareDigits(loadDigits(), config.seed);
    expect([data.xTrain.shape, data.xTest.shape]).toEqual([
      [1438, 1, 8, 8],
      [359, 1, 8, 8],
    ]);
    const digits = new Trainer(config, data);
    const stats = digits.runEpoch();
    // One pass already beats chance (0.1) by far.
    expect(stats.testAccuracy).toBeGreaterThan(0.5);
    expect(digits.stepGraph()).toContain('leaf [16,1,3,3] float32 grad [16,1,3,3]');
    const files = digits.files();
    const { model, saved, scaler } = loadModelFile(files.safetensors);
    expect(saved.architecture).toEqual({ kind: 'cnn', channels: [16, 32] });
    expect(scaler).toBeNull();
    const x = data.xTest.index({ stop: 7 });
    const want = predict(digits.model, x);
    expect(Array.from(predict(model, x).data())).toEqual(Array.from(want.data()));
    const session = await ort.InferenceSession.create(files.onnx);
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
    const got = output!.data as Float32Array;
    want.data().forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
  });
});
