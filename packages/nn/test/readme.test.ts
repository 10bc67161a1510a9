// Every ```ts block of docs/nn.md (the @jacobi/nn guide) is run here, verbatim (the first test checks that
// each block's lines appear in this file in order, so the two cannot drift apart).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noGrad, randn, rng, tensor, valueAndGrad, type Tensor } from '@jacobi/tensor';
import {
  Adam,
  Conv2d,
  Dense,
  Flatten,
  MaxPool2d,
  Module,
  SGD,
  Sequential,
  decodeModel,
  encodeModel,
  halfSquaredError,
  mse,
  predict,
  relu,
  softmaxCrossEntropy,
} from '@jacobi/nn';

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('import '));

describe('docs/nn.md examples', () => {
  it('are all in this file', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../docs/nn.md', import.meta.url)), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("from '@jacobi/nn'"));
    expect(blocks.length).toBe(5);
    const here = lines(readFileSync(fileURLToPath(import.meta.url), 'utf8')).join('\n');
    for (const block of blocks) expect(here).toContain(lines(block).join('\n'));
  });

  it('composing modules', () => {
    const r = rng(0);
    const model = new Sequential(new Dense(2, 8, { activation: 'tanh', rng: r }), new Dense(8, 1, { activation: 'sigmoid', rng: r }));
    const x = tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const t = tensor([[0], [1], [1], [0]]);
    const opt = new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    for (let step = 0; step < 500; step++) {
      opt.zeroGrad();
      const loss = halfSquaredError(model.forward(x), t);
      loss.backward();
      opt.step();
    }
    model.namedParameters().map(([name]) => name);
    // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
    expect(model.namedParameters().map(([name]) => name)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    expect(halfSquaredError(model.forward(x), t).item()).toBeLessThan(0.05); // XOR learnt
  });

  it('a small CNN', () => {
    const model = new Sequential(
      new Conv2d(1, 8, 3, { padding: 1, rng: rng(0) }), // [N, 1, 8, 8] → [N, 8, 8, 8]
      relu,
      new MaxPool2d(2), // → [N, 8, 4, 4]
      new Flatten(), // → [N, 128]
      new Dense(128, 10, { rng: rng(1) }),
    );
    const shapes = model.namedParameters().map(([name, p]) => `${name} [${p.shape}]`);
    console.log(shapes.slice(0, 2).join(', ')); // layers.0.weight [8,1,3,3], layers.0.bias [8]
    const x = randn([4, 1, 8, 8], { rng: rng(2) });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const loss = softmaxCrossEntropy(model.forward(x), [0, 1, 2, 3]);
    loss.backward();
    opt.step();
    console.log(model.forward(x).shape.join('x')); // 4x10
    expect(
      model
        .namedParameters()
        .map(([name, p]) => `${name} [${p.shape}]`)
        .join(', '),
    ).toBe('layers.0.weight [8,1,3,3], layers.0.bias [8], layers.4.weight [128,10], layers.4.bias [10]');
    expect(softmaxCrossEntropy(model.forward(x), [0, 1, 2, 3]).item()).toBeLessThan(loss.item());
  });

  it('subclassing Module', () => {
    class ResidualBlock extends Module {
      inner: Dense;
      outer: Dense;
      constructor(width: number, seed: number) {
        super();
        this.inner = new Dense(width, width, { activation: 'relu', init: 'heNormal', rng: rng(seed) });
        this.outer = new Dense(width, width, { init: 'zeros' }); // starts as the identity
      }
      forward(h: Tensor): Tensor {
        return h.add(this.outer.forward(this.inner.forward(h)));
      }
    }

    class Classifier extends Module {
      stem = new Dense(4, 16, { activation: 'relu', rng: rng(1) });
      blocks = [new ResidualBlock(16, 2), new ResidualBlock(16, 3)];
      head = new Dense(16, 3, { rng: rng(4) });
      forward(x: Tensor): Tensor {
        return this.head.forward(this.blocks.reduce((h, b) => b.forward(h), this.stem.forward(x)));
      }
    }

    const net = new Classifier();
    const adam = new Adam(net.parameters(), { lr: 0.01 });
    const inputs = tensor([
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ]);
    for (let step = 0; step < 50; step++) {
      adam.zeroGrad();
      softmaxCrossEntropy(net.forward(inputs), [0, 2]).backward();
      adam.step();
    }
    net.namedParameters()[2]![0]; // 'blocks.0.inner.weight'
    expect(net.namedParameters()[2]![0]).toBe('blocks.0.inner.weight');
    expect(softmaxCrossEntropy(net.forward(inputs), [0, 2]).item()).toBeLessThan(0.05);
  });

  it('the functional style', () => {
    const layer = new Dense(3, 1, { rng: rng(0) });
    const params = layer.parameters();
    const optimizer = new Adam(params, { lr: 0.1 });
    const xs = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ys = tensor([[1], [2]]);
    const objective = (...ps: Tensor[]) => layer.withParameters(ps, () => mse(layer.forward(xs), ys));
    const [lossValue, grads] = noGrad(() => valueAndGrad(objective, { argnums: params.map((_, i) => i) })(...params));
    optimizer.step(grads);
    expect(grads.map((g) => g.shape)).toEqual([[3, 1], [1]]);
    expect(mse(layer.forward(xs), ys).item()).toBeLessThan(lossValue.item());
  });

  it('model files', () => {
    const trained = new Sequential(new Dense(2, 3, { activation: 'relu', rng: rng(1) }), new Dense(3, 1, { rng: rng(2) }));
    const sgd = new SGD(trained.parameters(), { lr: 0.1, momentum: 0.9 });
    const bytes = encodeModel(trained, { optimizer: sgd, metadata: { task: 'demo' } }); // a Uint8Array, in any JS runtime
    const restored = new Sequential(new Dense(2, 3, { activation: 'relu' }), new Dense(3, 1));
    const metadata = decodeModel(bytes, restored, { optimizer: new SGD(restored.parameters(), { lr: 0.1, momentum: 0.9 }) });
    predict(restored, tensor([[1, 2]])).item() === predict(trained, tensor([[1, 2]])).item(); // true
    expect(metadata.task).toBe('demo');
    expect(predict(restored, tensor([[1, 2]])).item()).toBe(predict(trained, tensor([[1, 2]])).item());
  });
});
