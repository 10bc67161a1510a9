// Every ```ts block of docs/nn.md (the @jacobi/nn guide) is run here, verbatim (the first test checks that
// each block's lines appear in this file in order, so the two cannot drift apart).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { arange, grad, noGrad, randn, rng, tensor, valueAndGrad, type Tensor } from '@jacobi/tensor';
import {
  Adam,
  AdamW,
  BatchNorm1d,
  Conv2d,
  Dense,
  Flatten,
  MaxPool2d,
  Embedding,
  LayerNorm,
  Linear,
  CosineAnnealingLR,
  LinearLR,
  Module,
  ReLU,
  TransformerEncoderLayer,
  SGD,
  Sequential,
  SequentialLR,
  functionalCall,
  clipGradNorm,
  crossEntropy,
  decodeModel,
  encodeModel,
  halfSquaredError,
  mse,
  predict,
  relu,
  softmaxCrossEntropy,
  torchStateDict,
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
    expect(blocks.length).toBe(10);
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

  it('parameter trees and functionalCall', () => {
    const model = new Sequential(new Linear(3, 4, { rng: rng(0) }), (h: Tensor) => h.relu(), new Linear(4, 1, { rng: rng(1) }));
    const xs = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ys = tensor([[1], [2]]);
    const loss = (params: Record<string, Tensor>) => mse(functionalCall(model, params, xs), ys);
    const optimizer = new Adam(model.parameterTree(), { lr: 0.01 });
    const grads = grad(loss)(model.parameterTree());
    console.log(Object.keys(grads).join(' ')); // layers.0.bias layers.0.weight layers.2.bias layers.2.weight
    optimizer.step(grads);
    expect(Object.keys(grads)).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.2.bias', 'layers.2.weight']);
    // The same model before the step (same seeds) has a larger loss.
    const fresh = new Sequential(new Linear(3, 4, { rng: rng(0) }), (h: Tensor) => h.relu(), new Linear(4, 1, { rng: rng(1) }));
    expect(loss(model.parameterTree()).item()).toBeLessThan(mse(fresh.forward(xs), ys).item());
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

  it('a makemore-style transformer', () => {
    class TinyGPT extends Module {
      tokens: Embedding;
      positions: Embedding;
      layers: TransformerEncoderLayer[];
      norm = new LayerNorm(16);
      head: Linear;
      constructor(vocab: number, context: number, seed: number) {
        super();
        const r = rng(seed);
        this.tokens = new Embedding(vocab, 16, { rng: r });
        this.positions = new Embedding(context, 16, { rng: r });
        this.layers = [0, 1].map(() => new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, normFirst: true, rng: r }));
        this.head = new Linear(16, vocab, { rng: r });
      }
      forward(ids: Tensor): Tensor {
        const t = ids.shape[1]!;
        let h = this.tokens.forward(ids).add(this.positions.forward(arange(t, undefined, 1, { dtype: 'int32' })));
        for (const layer of this.layers) h = layer.forward(h, { isCausal: true });
        return this.head.forward(this.norm.forward(h)); // [batch, t, vocab]
      }
    }

    const model = new TinyGPT(5, 4, 0);
    const ids = tensor(
      [
        [1, 2, 3, 4],
        [2, 3, 4, 1],
      ],
      { dtype: 'int32' },
    );
    const next = [2, 3, 4, 0, 3, 4, 1, 0];
    const opt = new AdamW(model.parameters(), { lr: 0.01 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 30; step++) {
      opt.zeroGrad();
      const loss = softmaxCrossEntropy(model.forward(ids).reshape([8, 5]), next);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    console.log(last < first); // true
    console.log(model.namedParameters()[2]![0]); // layers.0.self_attn.in_proj_weight
    expect(last).toBeLessThan(first);
    expect(model.namedParameters()[2]![0]).toBe('layers.0.self_attn.in_proj_weight');
  });

  it('buffers', () => {
    const make = () => new Sequential(new Linear(3, 4, { rng: rng(1) }), new BatchNorm1d(4), new ReLU());
    const net = make();
    for (let i = 0; i < 5; i++) net.forward(randn([16, 3], { rng: rng(i) })); // train mode: running statistics move
    console.log(
      net
        .namedBuffers()
        .map(([name]) => name)
        .join(' '),
    ); // layers.1.running_mean layers.1.running_var layers.1.num_batches_tracked
    const copy = make();
    decodeModel(encodeModel(net), copy);
    const x = randn([2, 3], { rng: rng(9) });
    console.log(copy.eval().forward(x).toString() === net.eval().forward(x).toString()); // true
    expect(copy.namedBuffers().map(([, b]) => b.toArray())).toEqual(net.namedBuffers().map(([, b]) => b.toArray()));
    expect((net.layers[1] as BatchNorm1d).num_batches_tracked!.item()).toBe(5);
  });

  it('losses in PyTorch layout, clipping and schedules', () => {
    const classifier = new Dense(4, 3, { rng: rng(5) });
    const features = tensor([
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
      [5.9, 3.0, 4.2, 1.5],
    ]);
    const classes = tensor([0, 2, 1], { dtype: 'int32' });
    const momentum = new SGD(classifier.parameters(), { lr: 0.1, momentum: 0.9 });
    const warmup = new LinearLR(momentum, { startFactor: 0.1, totalIters: 5 });
    const schedule = new SequentialLR(momentum, [warmup, new CosineAnnealingLR(momentum, 45)], [5]);
    const rates: number[] = [];
    for (let epoch = 0; epoch < 50; epoch++) {
      momentum.zeroGrad();
      crossEntropy(classifier.forward(features), classes, { labelSmoothing: 0.1 }).backward();
      clipGradNorm(classifier.parameters(), 1);
      momentum.step();
      rates.push(schedule.getLastLr());
      schedule.step();
    }
    rates.slice(0, 6); // ≈ [0.01, 0.028, 0.046, 0.064, 0.082, 0.1]: the warm-up, then the cosine from 0.1
    expect(rates.slice(0, 6)).toEqual([0.01, 0.028, 0.046, 0.064, 0.082, 0.1].map((v) => expect.closeTo(v, 12)));
    expect(rates[49]).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * 44) / 45))) / 2, 12);
    expect(crossEntropy(classifier.forward(features), classes).item()).toBeLessThan(0.4); // from 1.36 before training
  });

  it('moving models to and from PyTorch', () => {
    const printed: string[] = [];
    const console = { log: (v: unknown) => printed.push(String(v)) };
    const mlp = new Sequential(new Dense(4, 16, { activation: 'relu', rng: rng(0) }), new Dense(16, 3, { rng: rng(1) }));
    // The names and shapes of nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)):
    console.log([...torchStateDict(mlp)].map(([name, t]) => `${name} [${t.shape}]`).join(' ')); // 0.weight [16,4] 0.bias [16] 2.weight [3,16] 2.bias [3]
    const file = encodeModel(mlp, { layout: 'torch' }); // the bytes saveModel(path, mlp, { layout: 'torch' }) writes
    const copy = new Sequential(new Dense(4, 16, { activation: 'relu' }), new Dense(16, 3));
    decodeModel(file, copy, { layout: 'torch' });
    const x = tensor([[1, 2, 3, 4]]);
    console.log(copy.forward(x).toString() === mlp.forward(x).toString()); // true
    expect(printed).toEqual(['0.weight [16,4] 0.bias [16] 2.weight [3,16] 2.bias [3]', 'true']);
  });
});
