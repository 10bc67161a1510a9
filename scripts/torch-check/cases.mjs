// The jacobi side of the PyTorch cross-check: each case maps a [3,4] float64 input to a tensor;
// this prints every case's value and the gradient of Σ f(x)·w (w = 0.1, 0.2, … over f(x)) as
// JSON, for reference.py to compare with torch.
import * as J from '@jacobi/tensor';
import * as nn from '@jacobi/nn';

const x = J.tensor(
  [
    [0.3, -1.2, 2.5, -0.7],
    [1.1, 0.05, -2.2, 0.9],
    [-0.4, 1.7, 0.6, -1.9],
  ],
  { dtype: 'float64' },
);

/** A [1, 3, 3, 4] image of t (the convolution and pooling cases). */
const img = (t) => J.stack([t, t.flip(0).mul(0.5), t.roll(1, 1)], 0).reshape([1, 3, 3, 4]);
/** Fixed weights sin(0), sin(1), … in `shape`. */
const kernel = (shape) =>
  J.arange(
    0,
    shape.reduce((a, b) => a * b, 1),
    1,
    { dtype: 'float64' },
  )
    .sin()
    .reshape(shape);

/** Each case is mirrored, by name, in reference.py. */
const cases = {
  softplus: (t) => J.softplus(t, 2, 3),
  silu: J.silu,
  logSigmoid: J.logSigmoid,
  elu: (t) => J.elu(t, 1.5),
  selu: J.selu,
  celu: (t) => J.celu(t, 0.7),
  hardSigmoid: J.hardSigmoid,
  hardSwish: J.hardSwish,
  mish: J.mish,
  softsign: J.softsign,
  relu6: (t) => J.relu6(t.mul(3)),
  hardTanh: (t) => J.hardTanh(t, -0.5, 1),
  gelu: J.gelu,
  geluTanh: (t) => J.gelu(t, { approximate: 'tanh' }),
  erf: J.erf,
  erfc: J.erfc,
  erfinv: (t) => J.erfinv(t.mul(0.3)),
  atan: J.atan,
  asinh: J.asinh,
  expm1: J.expm1,
  log1p: (t) => J.log1p(t.abs()),
  remainder: (t) => J.remainder(t, 0.7),
  fmod: (t) => J.fmod(t, -0.7),
  logAddExp: (t) => J.logAddExp(t, t.flip(1)),
  hypot: (t) => J.hypot(t, t.roll(1, 1)),
  prod: (t) => J.prod(t, 1),
  variance: (t) => J.variance(t, 0),
  std: (t) => J.std(t, 1, { correction: 0 }),
  norm3: (t) => J.norm(t, 3, 1),
  normInf: (t) => J.norm(t, Number.POSITIVE_INFINITY),
  cumsum: (t) => J.cumsum(t, 1),
  cumprod: (t) => J.cumprod(t, 0),
  logCumSumExp: (t) => J.logCumSumExp(t, 1),
  cummax: (t) => J.cummax(t, 1)[0],
  sortDesc: (t) => J.sort(t, 1, { descending: true })[0],
  topk: (t) => J.topk(t, 2, 1)[0],
  padReflect: (t) => J.pad(t, [2, 1, 1, 2], { mode: 'reflect' }),
  padReplicate: (t) => J.pad(t, [1, 2, 2, 0], { mode: 'replicate' }),
  padCircular: (t) => J.pad(t, [2, 1, 1, 1], { mode: 'circular' }),
  padConst: (t) => J.pad(t, [1, 1], { value: 3 }),
  tril: (t) => J.tril(t, 1),
  triu: (t) => J.triu(t, -1),
  diagonal: (t) => J.diagonal(t, 1),
  trace: J.trace,
  diag: (t) => J.diag(J.diag(t, 0), 1),
  einsum: (t) => J.einsum('ij,kj->ik', t, t.mul(2)),
  einsumDiag: (t) => J.einsum('ij,ij->j', t, t),
  tile: (t) => J.tile(t, [2, 1]),
  repeatInterleave: (t) => J.repeatInterleave(t, 2, 1),
  rollBoth: (t) => J.roll(t, [1, -1], [0, 1]),
  movedim: (t) => J.movedim(t.reshape([3, 2, 2]), 0, 2),
  gather: (t) =>
    J.gather(
      t,
      1,
      J.tensor([
        [3, 0],
        [1, 1],
        [2, 3],
      ]),
    ),
  scatterAdd: (t) => J.scatterAdd(t, 0, J.tensor([[2, 0, 2, 1]]), t.index({ stop: 1 })),
  maskedSelect: (t) => J.maskedSelect(t, t.greater(0)),
  indexPairs: (t) => t.index([0, 2, 2], [3, 1, 3]),
  indexApart: (t) => t.reshape([3, 2, 2]).index([0, 2], null, [1, 0]),
  indexBroadcast: (t) => t.reshape([3, 2, 2]).index(null, [1, 0], [[1], [0]]),
  indexWithInteger: (t) => t.reshape([3, 2, 2]).index([2, 0], 1, [1, 1]),
  take: (t) =>
    J.take(t, [
      [0, 5],
      [11, 5],
    ]),
  lerp: (t) => J.lerp(t, t.flip(0), 0.3),
  atan2: (t) => J.atan2(t, t.roll(1, 0)),
  copysign: (t) => J.copysign(t, t.roll(1, 1)),
  // Attention: torch 1.13 has no scaled_dot_product_attention, so reference.py writes PyTorch 2's formula out.
  attention: (t) => J.scaledDotProductAttention(t, t.flip(0).mul(0.5), t.roll(1, 1)),
  attentionCausal: (t) => J.scaledDotProductAttention(t, t.mul(0.7), t.flip(1), { isCausal: true, scale: 0.9 }),
  attentionBoolMask: (t) =>
    J.scaledDotProductAttention(t, t.roll(1, 0), t, {
      mask: J.tensor([
        [true, false, true],
        [false, true, false],
        [true, true, false],
      ]),
    }),
  attentionBias: (t) => J.scaledDotProductAttention(t.reshape([1, 3, 4]), t.flip(0), t.mul(2), { mask: t.index(null, '0:3').detach() }),
  // Convolution and pooling: an image [1, 3, 3, 4] made from t, weights sin(0, 1, 2, …).
  conv2dPad: (t) => J.conv2d(img(t), kernel([2, 3, 2, 2]), { padding: 1, bias: J.tensor([0.5, -0.5], { dtype: 'float64' }) }),
  conv2dStride: (t) => J.conv2d(img(t), kernel([2, 3, 3, 2]), { stride: 2, dilation: [1, 2], padding: [1, 0] }),
  conv2dGroupsSame: (t) => J.conv2d(img(t), kernel([6, 1, 2, 2]), { groups: 3, padding: 'same' }),
  conv2dWeight: (t) => J.conv2d(img(t.mul(0).add(kernel([3, 4]))), t.reshape([1, 3, 2, 2]), { padding: 1, stride: [1, 2] }),
  conv1d: (t) => J.conv1d(t.reshape([1, 3, 4]), kernel([2, 3, 2]), { padding: 1, stride: 2 }),
  convTranspose2d: (t) => J.convTranspose2d(img(t), kernel([3, 2, 2, 3]), { stride: 2, padding: 1, outputPadding: 1 }),
  convTranspose2dGroups: (t) => J.convTranspose2d(img(t), kernel([3, 2, 3, 2]), { groups: 3, dilation: 2, stride: [1, 2] }),
  maxPool2d: (t) => J.maxPool2d(img(t), { kernelSize: 2, stride: 1, padding: 1 }),
  maxPool2dCeil: (t) => J.maxPool2d(img(t), { kernelSize: [2, 3], stride: 2, ceilMode: true }),
  maxPool2dDilation: (t) => J.maxPool2d(img(t), { kernelSize: 2, stride: 1, dilation: 2, padding: 1 }),
  maxPool1d: (t) => J.maxPool1d(t.reshape([1, 3, 4]), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
  avgPool2d: (t) => J.avgPool2d(img(t), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgPool2dPad: (t) => J.avgPool2d(img(t), { kernelSize: 2, stride: [1, 2], padding: 1, ceilMode: true }),
  avgPool1d: (t) => J.avgPool1d(t.reshape([1, 3, 4]), { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }),
  adaptiveAvgPool2d: (t) => J.adaptiveAvgPool2d(img(t), [2, 3]),
  nearestSize: (t) => J.interpolate(img(t), { size: [5, 7] }),
  nearestScale: (t) => J.interpolate(img(t), { scaleFactor: [1.5, 0.75] }),
  bilinear: (t) => J.interpolate(img(t), { size: [4, 7], mode: 'bilinear' }),
  bilinearCorners: (t) => J.interpolate(img(t), { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
};

const weights = (y) =>
  J.arange(1, y.size + 1, 1, { dtype: 'float64' })
    .mul(0.1)
    .reshape(y.shape);
const out = {};
for (const [name, f] of Object.entries(cases)) {
  const y = f(x);
  const w = weights(y);
  out[name] = { y: y.toArray(), g: J.grad((t) => f(t).mul(w).sum())(x).toArray() };
}

// dtypes: int32 and bool operands (and float32/float64 ones) through promotion, integer
// arithmetic, bitwise ops and the ops that give bool or positions; each result's dtype and
// values, mirrored by name in reference.py.
const I = J.tensor(
  [
    [7, -7, 5],
    [-3, 1, 12],
  ],
  { dtype: 'int32' },
);
const D = J.tensor(
  [
    [3, 3, -2],
    [2, 5, -5],
  ],
  { dtype: 'int32' },
);
const B = J.tensor([
  [true, false, true],
  [false, false, true],
]);
const F = J.tensor([
  [0.5, -1.5, 2],
  [3, -0.25, 1],
]);
const G = F.astype('float64');
const dtypeCases = {
  addID: () => I.add(D),
  mulID: () => I.mul(D),
  divID: () => I.div(D),
  floorDivideID: () => I.floorDivide(D),
  remainderID: () => I.remainder(D),
  fmodID: () => I.fmod(D),
  powI2: () => I.pow(2),
  addI1: () => I.add(1),
  addI15: () => I.add(1.5),
  addB1: () => B.add(1),
  addB15: () => B.add(1.5),
  addBB: () => B.add(B.logicalNot()),
  mulBB: () => B.mul(B),
  mulBF: () => B.mul(F),
  mulIF: () => I.mul(F),
  mulIG: () => I.mul(G),
  mulFG: () => F.mul(G),
  greaterIF: () => I.greater(F),
  equalBI: () => B.equal(I),
  andID: () => J.bitwiseAnd(I, D),
  orID: () => J.bitwiseOr(I, D),
  xorID: () => J.bitwiseXor(I, D),
  notI: () => J.bitwiseNot(I),
  notB: () => J.bitwiseNot(B),
  shiftLeft: () => J.leftShift(I, 2),
  shiftRight: () => J.rightShift(I, 1),
  andBB: () => J.bitwiseAnd(B, B.logicalNot()),
  sumB: () => B.sum(1),
  sumI: () => I.sum(0),
  maxI: () => I.max(1),
  minB: () => B.min(0),
  argmaxF: () => F.argmax(1),
  argminI: () => I.argmin(0),
  whereBIF: () => J.where(B, I, F),
  whereBI1: () => J.where(B, I, 1),
  whereB10: () => J.where(B, 1, 0),
  astypeFI: () => F.astype('int32'),
  astypeFB: () => F.astype('bool'),
  astypeIB: () => I.astype('bool'),
  expI: () => I.exp(),
  absI: () => I.abs(),
  clampI: () => I.clamp(0, 5),
  maximumID: () => I.maximum(D),
  minimumBB: () => J.minimum(B, B.logicalNot()),
  cumsumB: () => B.cumsum(1),
  isnanI: () => I.isnan(),
  logicalAndID: () => J.logicalAnd(I, D.sub(3)),
  nonzeroB: () => J.nonzero(B),
  maskedFillI: () => J.maskedFill(I, B, 2.7),
  indexMask: () => I.index(B),
};
out.__dtypes = Object.fromEntries(
  Object.entries(dtypeCases).map(([name, f]) => {
    const y = f();
    return [name, { dtype: y.dtype, y: y.toArray() }];
  }),
);

// Layers of @jacobi/nn against torch.nn: each layer is built in float64 with every parameter
// (and buffer) redrawn at random, and its state dictionary goes to reference.py, which loads it
// into the torch module of the same name unchanged (PyTorch's names and layouts) and compares
// the output, the input's gradient and every parameter's gradient of Σ y·w.
const draw = J.rng(11);
function randomised(module) {
  J.noGrad(() => {
    for (const [name, p] of module.namedParameters()) {
      p.assign(
        J.randn(p.shape, { rng: draw, dtype: 'float64' })
          .mul(0.5)
          .add(name.endsWith('norm1.weight') || name === 'weight' ? 1 : 0),
      );
    }
  });
  return module;
}
const seq = J.randn([2, 3, 4], { rng: draw, dtype: 'float64' });
const causalBlocked = J.tensor([
  [false, true, true],
  [false, false, true],
  [false, false, false],
]);
const layerCases = {
  Linear: { make: () => new nn.Linear(4, 3, { dtype: 'float64' }), input: seq, run: (m, t) => m.forward(t) },
  LayerNorm: { make: () => new nn.LayerNorm(4, { dtype: 'float64' }), input: seq, run: (m, t) => m.forward(t) },
  LayerNorm2: { make: () => new nn.LayerNorm([3, 4], { dtype: 'float64', eps: 1e-3 }), input: seq, run: (m, t) => m.forward(t) },
  RMSNorm: { make: () => new nn.RMSNorm(4, { dtype: 'float64', eps: 1e-6 }), input: seq, run: (m, t) => m.forward(t) },
  BatchNorm1dTrain: { make: () => new nn.BatchNorm1d(3, { dtype: 'float64', momentum: 0.3 }), input: seq, run: (m, t) => m.forward(t) },
  BatchNorm2dEval: {
    make: () => {
      const bn = new nn.BatchNorm2d(2, { dtype: 'float64' });
      J.noGrad(() => {
        bn.running_mean.assign(J.tensor([0.5, -0.2], { dtype: 'float64' }));
        bn.running_var.assign(J.tensor([2, 0.7], { dtype: 'float64' }));
      });
      return bn.eval();
    },
    input: seq.reshape([1, 2, 3, 4]),
    run: (m, t) => m.forward(t),
  },
  Embedding: {
    make: () => new nn.Embedding(5, 3, { paddingIdx: 1, dtype: 'float64' }),
    input: null,
    run: (m) =>
      m.forward([
        [0, 1, 4, 1],
        [3, 3, 2, 0],
      ]),
  },
  MultiheadAttention: {
    make: () => new nn.MultiheadAttention(4, 2, { dtype: 'float64' }),
    input: seq,
    run: (m, t) => m.forward(t, t.mul(0.5), t.flip(1), { attnMask: causalBlocked }),
  },
  MultiheadAttentionWeights: {
    make: () => new nn.MultiheadAttention(4, 2, { dtype: 'float64' }),
    input: seq,
    run: (m, t) =>
      m.forwardWithWeights(t, t, t, {
        keyPaddingMask: J.tensor([
          [false, false, true],
          [false, true, false],
        ]),
      })[1],
  },
  TransformerEncoderLayer: {
    make: () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, dtype: 'float64' }),
    input: seq,
    run: (m, t) => m.forward(t, { srcMask: causalBlocked }),
  },
  TransformerEncoderLayerPreNormGelu: {
    make: () =>
      new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: 'gelu', dtype: 'float64' }),
    input: seq,
    run: (m, t) => m.forward(t, { isCausal: true }),
  },
};
out.__nn = Object.fromEntries(
  Object.entries(layerCases).map(([name, c]) => {
    const m = randomised(c.make());
    const state = Object.fromEntries([...m.stateDict()].map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data()) }]));
    const input = c.input === null ? null : c.input.detach();
    if (input !== null) input.requiresGrad = true;
    const y = c.run(m, input);
    const w = weights(y);
    y.mul(w).sum().backward();
    const after = Object.fromEntries(m.namedBuffers().map(([k, t]) => [k, Array.from(t.data())]));
    return [
      name,
      {
        state,
        input: input === null ? null : input.toArray(),
        y: y.toArray(),
        gInput: input === null ? null : input.grad.toArray(),
        gParams: Object.fromEntries(m.namedParameters().map(([k, p]) => [k, p.grad === null ? null : Array.from(p.grad.data())])),
        buffers: after,
      },
    ];
  }),
);
process.stdout.write(JSON.stringify(out));
