// The digits CNN's building blocks (conv = unfold + matmul, batch norm in eval mode, pooling)
// exported and run in ONNX Runtime, with a dynamic batch.
import { AvgPool2d, BatchNorm2d, Conv2d, Dense, Flatten, MaxPool2d, Sequential, relu } from '@jacobi/nn';
import { exportOnnx } from '@jacobi/onnx';
import { conv2d, randn, rng, type Tensor } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../src/onnx-proto.js';
import { expectMatches, runOnnx } from './support.js';

/** The example's digits CNN with batch norm after each convolution and average pooling in place of max pooling. */
function digitsModel(seed: number): Sequential {
  const r = rng(seed);
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: r }),
    new BatchNorm2d(8),
    relu,
    new AvgPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: r }),
    new BatchNorm2d(16),
    relu,
    new AvgPool2d(2),
    new Flatten(),
    new Dense(16 * 2 * 2, 10, { rng: r }),
  );
}

describe('exportOnnx: the digits CNN', () => {
  it('conv, batch norm (eval mode, trained running statistics) and pooling match jacobi at batches 2 and 5', async () => {
    const model = digitsModel(0);
    // A few training-mode passes move the running statistics away from 0 and 1.
    for (let i = 0; i < 3; i++)
      model.forward(
        randn([6, 1, 8, 8], { rng: rng(10 + i) })
          .mul(2)
          .add(0.5),
      );
    const bytes = exportOnnx(model, [randn([2, 1, 8, 8], { rng: rng(1) })], { dynamicAxes: { input: { 0: 'batch' } } });
    expect(model.training).toBe(true); // restored after the export
    model.eval();
    for (const n of [2, 5]) {
      const x = randn([n, 1, 8, 8], { rng: rng(20 + n) });
      const out = await runOnnx(bytes, { input: x });
      expectMatches(out.output, model.forward(x));
    }
  });

  it('strided, dilated, asymmetrically padded and grouped convolutions', async () => {
    const w = randn([6, 2, 3, 2], { rng: rng(3) });
    const b = randn([6], { rng: rng(4) });
    const cases: ((x: Tensor) => Tensor)[] = [
      (x) => conv2d(x, w, { bias: b, stride: 2, padding: 1, dilation: [2, 1], groups: 2 }),
      (x) => conv2d(x, w, { stride: [3, 2], groups: 2 }),
      (x) => conv2d(x, w, { padding: 'same', groups: 2 }),
    ];
    for (const f of cases) {
      const bytes = exportOnnx(f, [randn([2, 4, 9, 7], { rng: rng(5) })], { dynamicAxes: { input: { 0: 'n' } } });
      const x = randn([3, 4, 9, 7], { rng: rng(6) });
      expectMatches((await runOnnx(bytes, { input: x })).output, f(x));
    }
  });

  it('a convolution (groups 1) is one Conv node on the named weight; a grouped one is the Gather im2col and MatMul', () => {
    const ops = (bytes: Uint8Array) => {
      const m = decodeModel(bytes) as { graph: { node: { op_type: string }[]; initializer: { name: string; dims: number[] }[] } };
      return { ops: m.graph.node.map((n) => n.op_type), initializers: m.graph.initializer.map((t) => [t.name, t.dims]) };
    };
    const model = digitsModel(0).eval();
    const plain = ops(exportOnnx(model, [randn([2, 1, 8, 8])], { dynamicAxes: { input: { 0: 'batch' } } }));
    expect(plain.ops.filter((o) => o === 'Conv')).toHaveLength(2);
    // The two average poolings keep their gathers; the one MatMul is the dense layer's.
    expect(plain.ops.filter((o) => o === 'Gather')).toHaveLength(2);
    expect(plain.ops.filter((o) => o === 'MatMul')).toHaveLength(1);
    expect(plain.initializers).toContainEqual(['layers.0.weight', [8, 1, 3, 3]]);
    const w = randn([6, 2, 3, 2]);
    const grouped = ops(exportOnnx((x: Tensor) => conv2d(x, w, { groups: 2 }), [randn([2, 4, 9, 7])]));
    expect(grouped.ops).not.toContain('Conv');
    expect(grouped.ops).toEqual(expect.arrayContaining(['Gather', 'MatMul']));
  });

  it("the example's CNN with max pooling (its arg-max traced as ops) matches jacobi at batches 2 and 5", async () => {
    const r = rng(0);
    const model = new Sequential(
      new Conv2d(1, 8, 3, { padding: 1, rng: r }),
      relu,
      new MaxPool2d(2),
      new Conv2d(8, 16, 3, { padding: 1, rng: r }),
      relu,
      new MaxPool2d(2),
      new Flatten(),
      new Dense(16 * 2 * 2, 10, { rng: r }),
    );
    const bytes = exportOnnx(model, [randn([2, 1, 8, 8], { rng: rng(1) })], { dynamicAxes: { input: { 0: 'batch' } } });
    for (const n of [2, 5]) {
      const x = randn([n, 1, 8, 8], { rng: rng(30 + n) });
      expectMatches((await runOnnx(bytes, { input: x })).output, model.forward(x));
    }
  });
});
