// The PyTorch-style layers: layouts, initialisations, train/eval behaviour, masks and errors.
// (Values against torch.nn itself: `pnpm check:torch`; backward formulas: test/norm-attention-formulas.test.ts.)
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, type Tensor, grad, gradcheck, randn, rng, tensor } from '@jacobi/tensor';
import * as J from '@jacobi/tensor';
import {
  BatchNorm1d,
  Dropout,
  Embedding,
  GELU,
  Identity,
  LayerNorm,
  LeakyReLU,
  Linear,
  MultiheadAttention,
  RMSNorm,
  ReLU,
  SiLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  TransformerEncoderLayer,
} from '@jacobi/nn';

const flat = (t: Tensor) => Array.from(t.data());
function expectAllClose(a: Tensor, b: Tensor, digits = 10) {
  expect(a.shape).toEqual(b.shape);
  const y = flat(b);
  flat(a).forEach((v, i) => expect(v).toBeCloseTo(y[i]!, digits));
}

describe('Linear', () => {
  it("stores PyTorch's [out, in] weight, drawn from U(−1/√in, 1/√in), and computes x Wᵀ + b", () => {
    const layer = new Linear(16, 3, { rng: rng(0), dtype: 'float64' });
    expect(layer.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [3, 16]],
      ['bias', [3]],
    ]);
    expect(Math.max(...flat(layer.weight).map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...flat(layer.weight).map(Math.abs))).toBeGreaterThan(0.9 * 0.25);
    expect(Math.max(...flat(layer.bias!).map(Math.abs))).toBeLessThanOrEqual(0.25);
    const x = randn([2, 5, 16], { rng: rng(1), dtype: 'float64' });
    expectAllClose(layer.forward(x), J.matmul(x, layer.weight.T).add(layer.bias!));
    expect(new Linear(2, 2, { bias: false }).bias).toBeNull();
    expect(() => layer.forward(randn([2, 15]))).toThrow(/^Linear.forward: .*16 input features/);
  });
});

describe('Embedding', () => {
  it('looks rows up for int32 tensors and nested arrays; the gradient scatter-adds into the rows', () => {
    const emb = new Embedding(6, 3, { rng: rng(2), dtype: 'float64' });
    const out = emb.forward([
      [4, 1],
      [4, 0],
    ]);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.index(1, 0).toArray()).toEqual(emb.weight.index(4).toArray());
    expect(emb.forward(tensor([5], { dtype: 'int32' })).toArray()).toEqual([emb.weight.index(5).toArray()]);
    const g = grad((w: Tensor) => emb.withParameters([w], () => emb.forward([4, 1, 4]).sum()))(emb.weight);
    expect(g.toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
      [0, 0, 0],
      [2, 2, 2],
      [0, 0, 0],
    ]);
  });
  it('keeps the padding row at zero at first and never gives it a gradient (negative paddingIdx counts from the end)', () => {
    const emb = new Embedding(4, 2, { paddingIdx: -1, rng: rng(3) });
    expect(emb.paddingIdx).toBe(3);
    expect(emb.weight.index(3).toArray()).toEqual([0, 0]);
    emb.forward([3, 3, 1]).mul(2).sum().backward();
    expect(emb.weight.grad!.toArray()).toEqual([
      [0, 0],
      [2, 2],
      [0, 0],
      [0, 0],
    ]);
  });
  it('refuses indices out of range, float tensors and ragged arrays', () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward([4])).toThrow(/^Embedding.forward: index 4 at flat position 0 is outside \[0, 3\]/);
    expect(() => emb.forward([-1])).toThrow(ArgumentError);
    expect(() => emb.forward([0.5])).toThrow(/integers/);
    expect(() => emb.forward(tensor([1]))).toThrow(DTypeError);
    expect(() => emb.forward([[1], [1, 2]])).toThrow(/ragged/);
    expect(() => emb.forward([1, [2]] as never)).toThrow(/ragged/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(ArgumentError);
  });
  it('looks up indices traced by jit (checked when the program runs), with the eager values and gradients', () => {
    const emb = new Embedding(5, 2, { rng: rng(6), dtype: 'float64' });
    const loss = (w: Tensor, idx: Tensor) => emb.withParameters([w], () => emb.forward(idx).square().sum());
    const idx = tensor(
      [
        [4, 1],
        [4, 0],
      ],
      { dtype: 'int32' },
    );
    const step = J.jit(J.valueAndGrad(loss));
    step(emb.weight, idx);
    const [value, g] = step(emb.weight, idx);
    const [eagerValue, eagerG] = J.valueAndGrad(loss)(emb.weight, idx);
    expect(value.item()).toBe(eagerValue.item());
    expect(g.toArray()).toEqual(eagerG.toArray());
    expect(step.lower(emb.weight, idx).toString()).toContain('takeIndexed');
    expect(() =>
      step(
        emb.weight,
        tensor(
          [
            [5, 1],
            [0, 0],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toThrow(/out of range for axis 0 of size 5/);
  });
});

describe('Dropout', () => {
  const x = J.ones([1000], { dtype: 'float64' });
  it('zeroes with probability p and scales the rest by 1/(1 − p) in training, reproducibly for a seed', () => {
    const a = new Dropout(0.2, { rng: rng(4) }).forward(x);
    const b = new Dropout(0.2, { rng: rng(4) }).forward(x);
    expect(a.toArray()).toEqual(b.toArray());
    const values = new Set(flat(a));
    expect([...values].sort()).toEqual([0, 1.25]);
    const kept = flat(a).filter((v) => v > 0).length;
    expect(kept).toBeGreaterThan(740);
    expect(kept).toBeLessThan(860);
  });
  it('is the identity in eval mode and for p = 0; p = 1 gives zeros', () => {
    const d = new Dropout(0.5, { rng: rng(5) });
    expect(d.eval().forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(new Dropout(1).forward(x).sum().item()).toBe(0);
    expect(() => new Dropout(1.5)).toThrow(/^Dropout: p must be a probability in \[0, 1\]/);
  });
});

describe('LayerNorm and RMSNorm', () => {
  it('LayerNorm normalises the trailing axes to mean 0 and variance 1 (biased), then scales and shifts', () => {
    const x = randn([3, 2, 5], { rng: rng(6), dtype: 'float64' })
      .mul(4)
      .add(3);
    const ln = new LayerNorm([2, 5], { dtype: 'float64', eps: 0 });
    expect(ln.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [2, 5]],
      ['bias', [2, 5]],
    ]);
    const y = ln.forward(x);
    expectAllClose(y.mean([1, 2]), J.zeros([3], { dtype: 'float64' }));
    expectAllClose(y.variance([1, 2], { correction: 0 }), J.ones([3], { dtype: 'float64' }));
    expect(new LayerNorm(5, { elementwiseAffine: false }).namedParameters()).toEqual([]);
    expect(new LayerNorm(5, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(() => ln.forward(randn([3, 5, 2]))).toThrow(/^LayerNorm.forward: .*does not end in the normalized shape \[2,5\]/);
    expect(() => new LayerNorm([])).toThrow(ShapeError);
  });
  it('RMSNorm divides by the root mean square of the trailing axes', () => {
    const x = randn([4, 6], { rng: rng(7), dtype: 'float64' });
    const y = new RMSNorm(6, { dtype: 'float64', eps: 0 }).forward(x);
    expectAllClose(y.square().mean(-1), J.ones([4], { dtype: 'float64' }));
    expectAllClose(y.mul(x.square().mean(-1, true).sqrt()), x);
  });
});

describe('BatchNorm', () => {
  const x = tensor(
    [
      [1, 10],
      [3, 20],
      [8, 60],
    ],
    { dtype: 'float64' },
  );
  it('normalises with the biased batch variance in training and updates the running statistics with the unbiased one', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64', eps: 0 });
    const y = bn.forward(x);
    expectAllClose(y.mean(0), J.zeros([2], { dtype: 'float64' }));
    expectAllClose(y.variance(0, { correction: 0 }), J.ones([2], { dtype: 'float64' }));
    // mean [4, 30]; unbiased variance [13, 700]; momentum 0.1 from (0, 1).
    expectAllClose(bn.running_mean!, tensor([0.4, 3], { dtype: 'float64' }));
    expectAllClose(bn.running_var!, tensor([0.9 + 1.3, 0.9 + 70], { dtype: 'float64' }));
    expect(bn.num_batches_tracked!.item()).toBe(1);
    expect(bn.num_batches_tracked!.dtype).toBe('int32');
  });
  it('uses the running statistics in eval mode and leaves them alone', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64', eps: 0 });
    bn.forward(x);
    const mean = bn.running_mean!.toArray();
    const y = bn.eval().forward(x);
    expectAllClose(y, x.sub(bn.running_mean!).div(bn.running_var!.sqrt()));
    expect(bn.running_mean!.toArray()).toEqual(mean);
    expect(bn.num_batches_tracked!.item()).toBe(1);
  });
  it('keeps a cumulative average with momentum null, and takes [N, C, L] inputs', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64', momentum: null });
    bn.forward(x);
    bn.forward(x.mul(3));
    expectAllClose(bn.running_mean!, tensor([8, 60], { dtype: 'float64' }));
    const seq = randn([2, 2, 5], { rng: rng(8) });
    expect(bn.forward(seq.astype('float64')).shape).toEqual([2, 2, 5]);
  });
  it('refuses one value per channel in training, and inputs of the wrong rank or channels, changing nothing', () => {
    const bn = new BatchNorm1d(2);
    expect(() => bn.forward(randn([1, 2]))).toThrow(/^BatchNorm1d.forward: expected more than 1 value per channel/);
    expect(() => bn.forward(randn([4, 3]))).toThrow(ShapeError);
    expect(() => bn.forward(randn([4, 2, 2, 2]))).toThrow(/\[N, 2\] or \[N, 2, …\]/);
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(bn.running_mean!.toArray()).toEqual([0, 0]);
  });
});

describe('MultiheadAttention', () => {
  const E = 8;
  const x = randn([2, 5, E], { rng: rng(9), dtype: 'float64' });
  const make = () => new MultiheadAttention(E, 2, { rng: rng(10), dtype: 'float64' });
  it("has PyTorch's parameters, names and initialisation", () => {
    const mha = make();
    expect(mha.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [3 * E, E]],
      ['in_proj_bias', [3 * E]],
      ['out_proj.weight', [E, E]],
      ['out_proj.bias', [E]],
    ]);
    expect(flat(mha.in_proj_bias!).every((v) => v === 0)).toBe(true);
    expect(flat(mha.out_proj.bias!).every((v) => v === 0)).toBe(true);
    expect(Math.max(...flat(mha.in_proj_weight).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (4 * E)));
    expect(Math.max(...flat(mha.in_proj_weight).map(Math.abs))).toBeGreaterThan(0.9 * Math.sqrt(6 / (4 * E)));
    expect(() => new MultiheadAttention(6, 4)).toThrow(/divisible/);
  });
  it('gives the same self-attention through the packed projection as through separate inputs', () => {
    const mha = make();
    expectAllClose(mha.forward(x), mha.forward(x, x.add(0), x.mul(1)), 12);
  });
  it('is causal with isCausal or a blocking bool attnMask: outputs do not depend on later positions', () => {
    const mha = make();
    const later = x.index(null, '3:').mul(5);
    const changed = J.concat([x.index(null, ':3'), later], 1);
    const a = mha.forward(x, x, x, { isCausal: true });
    const b = mha.forward(changed, changed, changed, { isCausal: true });
    expectAllClose(a.index(null, ':3'), b.index(null, ':3'), 12);
    const blocked = J.ones([5, 5]).triu(1).astype('bool');
    expectAllClose(mha.forward(x, x, x, { attnMask: blocked }), a, 12);
    expect(() => mha.forward(x, x, x, { attnMask: blocked, isCausal: true })).toThrow(/not both/);
  });
  it('ignores padded keys, and returns head-averaged weights whose rows sum to 1', () => {
    const mha = make();
    const padding = tensor([
      [false, false, false, false, true],
      [false, true, false, false, false],
    ]);
    const [out, w] = mha.forwardWithWeights(x, x, x, { keyPaddingMask: padding });
    expect(w.shape).toEqual([2, 5, 5]);
    expectAllClose(w.sum(-1), J.ones([2, 5], { dtype: 'float64' }), 12);
    expect(w.index(0, null, 4).abs().max().item()).toBe(0);
    expectAllClose(out, mha.forward(x, x, x, { keyPaddingMask: padding }), 12);
    const [, perHead] = mha.forwardWithWeights(x, x, x, { averageAttnWeights: false });
    expect(perHead.shape).toEqual([2, 2, 5, 5]);
  });
  it('takes [L, N, E] without batchFirst, and unbatched [L, E]', () => {
    const mha = make();
    const first = mha.forward(x);
    const seqFirst = new MultiheadAttention(E, 2, { rng: rng(10), dtype: 'float64', batchFirst: false });
    expectAllClose(seqFirst.forward(x.swapaxes(0, 1)).swapaxes(0, 1), first, 12);
    expectAllClose(mha.forward(x.index(1)), first.index(1), 12);
    expect(() => mha.forward(x, x.index(null, ':2'), x)).toThrow(/disagree/);
    expect(() => mha.forward(randn([2, 5, 4]))).toThrow(/^MultiheadAttention.forward: query/);
    expect(() => mha.forward(x, x, x, { attnMask: J.ones([4, 5]) })).toThrow(ShapeError);
  });
});

describe('TransformerEncoderLayer', () => {
  const x = randn([2, 4, 8], { rng: rng(11), dtype: 'float64' });
  it("names its parameters as PyTorch's", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, rng: rng(12) });
    expect(layer.namedParameters().map(([n]) => n)).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.in_proj_bias',
      'self_attn.out_proj.weight',
      'self_attn.out_proj.bias',
      'linear1.weight',
      'linear1.bias',
      'linear2.weight',
      'linear2.bias',
      'norm1.weight',
      'norm1.bias',
      'norm2.weight',
      'norm2.bias',
    ]);
    expect(new TransformerEncoderLayer(8, 2).linear1.weight.shape).toEqual([2048, 8]);
  });
  it('drops out in training only, and is causal with isCausal (pre-norm and post-norm)', () => {
    for (const normFirst of [false, true]) {
      const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.3, normFirst, rng: rng(13), dtype: 'float64' });
      expect(layer.forward(x).toArray()).not.toEqual(layer.forward(x).toArray());
      layer.eval();
      expect(layer.forward(x).toArray()).toEqual(layer.forward(x).toArray());
      const changed = J.concat([x.index(null, ':2'), x.index(null, '2:').neg()], 1);
      expectAllClose(
        layer.forward(x, { isCausal: true }).index(null, ':2'),
        layer.forward(changed, { isCausal: true }).index(null, ':2'),
        12,
      );
    }
    expect(() => new TransformerEncoderLayer(8, 3)).toThrow(/^TransformerEncoderLayer: MultiheadAttention: embedDim 8 must be divisible/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as never })).toThrow(ArgumentError);
  });
  it('post-norm ends in norm2, so each position has mean 0 and variance 1 before the affine (weights 1, bias 0)', () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, rng: rng(14), dtype: 'float64' });
    const y = layer.forward(x);
    expectAllClose(y.mean(-1), J.zeros([2, 4], { dtype: 'float64' }));
  });
});

describe('activation modules', () => {
  it('compute the tensor functions and sit in a Sequential', () => {
    const x = randn([3, 4], { rng: rng(15), dtype: 'float64' });
    expectAllClose(new ReLU().forward(x), x.relu());
    expectAllClose(new GELU().forward(x), x.gelu());
    expectAllClose(new GELU({ approximate: 'tanh' }).forward(x), x.gelu({ approximate: 'tanh' }));
    expectAllClose(new Tanh().forward(x), x.tanh());
    expectAllClose(new Sigmoid().forward(x), x.sigmoid());
    expectAllClose(new SiLU().forward(x), x.silu());
    expectAllClose(new LeakyReLU(0.2).forward(x), J.where(x.greater(0), x, x.mul(0.2)));
    expectAllClose(new Softmax(0).forward(x), x.softmax(0));
    expect(new Identity().forward(x)).toBe(x);
    const net = new Sequential(
      new Linear(4, 4, { rng: rng(16), dtype: 'float64' }),
      new ReLU(),
      new Linear(4, 2, { rng: rng(17), dtype: 'float64' }),
    );
    expect(net.forward(x).shape).toEqual([3, 2]);
    expect(() => new ReLU().forward(1 as never)).toThrow(/^ReLU.forward: x must be a Tensor/);
    expect(() => new GELU({ approximate: 'erf' as never })).toThrow(/^GELU: opts.approximate/);
  });
});

describe('derivatives of the layers to second order, both modes (gradcheck in float64)', () => {
  const r = rng(20);
  const x = randn([2, 3, 4], { rng: r, dtype: 'float64' });
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['LayerNorm', (t) => new LayerNorm(4, { dtype: 'float64' }).forward(t)],
    ['RMSNorm', (t) => new RMSNorm([3, 4], { dtype: 'float64', eps: 1e-6 }).forward(t)],
    ['BatchNorm1d (training)', (t) => new BatchNorm1d(3, { dtype: 'float64' }).forward(t)],
    [
      'MultiheadAttention (causal, padding mask)',
      (t) =>
        new MultiheadAttention(4, 2, { rng: rng(21), dtype: 'float64' }).forward(t, t, t, {
          isCausal: true,
          keyPaddingMask: tensor([
            [false, false, true],
            [false, false, false],
          ]),
        }),
    ],
    [
      'TransformerEncoderLayer (pre-norm, gelu, causal)',
      (t) =>
        new TransformerEncoderLayer(4, 2, {
          dimFeedforward: 6,
          dropout: 0,
          normFirst: true,
          activation: 'gelu',
          rng: rng(22),
          dtype: 'float64',
        }).forward(t, { isCausal: true }),
    ],
  ];
  for (const [name, f] of cases) {
    it(name, () => {
      const weights = randn([2, 3, 4], { rng: rng(23), dtype: 'float64' });
      const report = gradcheck((t: Tensor) => f(t).mul(weights).sum(), [x]);
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
    });
  }
});
