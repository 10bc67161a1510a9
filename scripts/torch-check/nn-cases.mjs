// The jacobi side of the PyTorch cross-check of @jacobi/nn: losses (value and the gradient of
// Σ loss·w with respect to the first input, w = 0.1, 0.2, …), gradient clipping and learning-rate
// schedules. Prints JSON for nn-reference.py, which mirrors each case by name. The inputs are
// printed too, so that both sides see the same numbers.
import * as J from '@jacobi/tensor';
import * as N from '@jacobi/nn';

const r = J.rng(11);
const f64 = (v) => J.tensor(v, { dtype: 'float64' });
const data = {
  X2: J.randn([4, 5], { dtype: 'float64', rng: r }).mul(2).toArray(),
  X4: J.randn([2, 3, 2, 2], { dtype: 'float64', rng: r }).mul(1.5).toArray(),
  XC: J.randn([5], { dtype: 'float64', rng: r }).toArray(),
  P2: J.randn([4, 5], { dtype: 'float64', rng: r }).softmax(1).toArray(),
  P4: J.randn([2, 3, 2, 2], { dtype: 'float64', rng: r }).softmax(1).toArray(),
  A: J.randn([3, 4], { dtype: 'float64', rng: r }).mul(2).toArray(),
  B: J.randn([3, 4], { dtype: 'float64', rng: r }).toArray(),
  Q: [
    [0.1, 0.2, 0.3, 0.4],
    [0, 0.5, 0.5, 0],
    [0.25, 0.25, 0.25, 0.25],
  ],
  T2: [1, 0, 4, 2],
  T2ignore: [1, -100, 4, 2],
  T2two: [1, 2, 4, 2],
  T4: [
    [
      [2, 0],
      [1, -100],
    ],
    [
      [0, 0],
      [2, 1],
    ],
  ],
  W5: [0.2, 1, 0.5, 2, 1.5],
  W3: [0.5, 2, 1],
};
const W5 = f64(data.W5);
const W3 = f64(data.W3);
const T4 = J.tensor(data.T4, { dtype: 'int32' });
const P2 = f64(data.P2);
const P4 = f64(data.P4);
const B = f64(data.B);
const Q = f64(data.Q);
const logQ = () => f64(data.Q).add(0.05).log();

/** Each case: [the input it differentiates, the loss of it]; mirrored by name in nn-reference.py. */
const cases = {
  ce: ['X2', (x) => N.crossEntropy(x, data.T2)],
  ceSum: ['X2', (x) => N.crossEntropy(x, data.T2, { reduction: 'sum' })],
  ceNone: ['X2', (x) => N.crossEntropy(x, J.tensor(data.T2, { dtype: 'int32' }), { reduction: 'none' })],
  ceWeight: ['X2', (x) => N.crossEntropy(x, data.T2, { weight: W5 })],
  ceIgnore: ['X2', (x) => N.crossEntropy(x, data.T2ignore)],
  ceIgnoreClass: ['X2', (x) => N.crossEntropy(x, data.T2two, { ignoreIndex: 2, weight: W5 })],
  ceSmooth: ['X2', (x) => N.crossEntropy(x, data.T2, { labelSmoothing: 0.2 })],
  ceSmoothAll: ['X2', (x) => N.crossEntropy(x, data.T2ignore, { labelSmoothing: 0.2, weight: W5 })],
  ceSmoothAllSum: ['X2', (x) => N.crossEntropy(x, data.T2ignore, { labelSmoothing: 0.3, weight: W5, reduction: 'sum' })],
  ceSmoothAllNone: ['X2', (x) => N.crossEntropy(x, data.T2ignore, { labelSmoothing: 0.3, weight: W5, reduction: 'none' })],
  ceSpatial: ['X4', (x) => N.crossEntropy(x, T4, { weight: W3, labelSmoothing: 0.1 })],
  ceSpatialNone: ['X4', (x) => N.crossEntropy(x, T4, { reduction: 'none' })],
  ceProb: ['X2', (x) => N.crossEntropy(x, P2)],
  ceProbAll: ['X2', (x) => N.crossEntropy(x, P2, { weight: W5, labelSmoothing: 0.25 })],
  ceProbSpatialNone: ['X4', (x) => N.crossEntropy(x, P4, { weight: W3, reduction: 'none' })],
  ceVector: ['XC', (x) => N.crossEntropy(x, 3, { labelSmoothing: 0.1 })],
  nll: ['X2', (x) => N.nllLoss(x.logSoftmax(1), data.T2ignore, { weight: W5 })],
  nllSpatialSum: ['X4', (x) => N.nllLoss(x.logSoftmax(1), T4, { reduction: 'sum' })],
  huber: ['A', (x) => N.huberLoss(x, B)],
  huberDelta: ['A', (x) => N.huberLoss(x, B, { delta: 0.5, reduction: 'sum' })],
  huberNone: ['A', (x) => N.huberLoss(x, B, { delta: 2, reduction: 'none' })],
  smoothL1: ['A', (x) => N.smoothL1Loss(x, B)],
  smoothL1Beta: ['A', (x) => N.smoothL1Loss(x, B, { beta: 0.3, reduction: 'none' })],
  smoothL1Zero: ['A', (x) => N.smoothL1Loss(x, B, { beta: 0, reduction: 'sum' })],
  klMean: ['A', (x) => N.klDiv(x.logSoftmax(1), Q)],
  klBatchmean: ['A', (x) => N.klDiv(x.logSoftmax(1), Q, { reduction: 'batchmean' })],
  klSum: ['A', (x) => N.klDiv(x.logSoftmax(1), Q, { reduction: 'sum' })],
  klNone: ['A', (x) => N.klDiv(x.logSoftmax(1), Q, { reduction: 'none' })],
  klLogTarget: ['A', (x) => N.klDiv(x.logSoftmax(1), logQ(), { reduction: 'batchmean', logTarget: true })],
};

const weights = (y) =>
  J.arange(1, y.size + 1, 1, { dtype: 'float64' })
    .mul(0.1)
    .reshape(y.shape);
const losses = {};
for (const [name, [input, f]] of Object.entries(cases)) {
  const x = f64(data[input]);
  const y = f(x);
  const w = weights(y);
  losses[name] = { y: y.toArray(), g: J.grad((t) => f(t).mul(w).sum())(x).toArray() };
}

// Gradient clipping: the total norm returned and the gradients after clipping, for two parameters.
const G1 = [
  [0.3, -1.2],
  [2.5, 0.4],
];
const G2 = [1.5, -0.2, 0.7];
const clipCases = {
  norm2: (ps) => N.clipGradNorm(ps, 1),
  norm1: (ps) => N.clipGradNorm(ps, 2, { normType: 1 }),
  normInf: (ps) => N.clipGradNorm(ps, 0.5, { normType: Infinity }),
  norm3: (ps) => N.clipGradNorm(ps, 1.5, { normType: 3 }),
  normBelow: (ps) => N.clipGradNorm(ps, 100),
  value: (ps) => N.clipGradValue(ps, 0.5),
};
const clips = {};
for (const [name, f] of Object.entries(clipCases)) {
  const ps = [G1, G2].map((g) => {
    const p = J.zeros([g.length, ...(Array.isArray(g[0]) ? [g[0].length] : [])], { dtype: 'float64', requiresGrad: true });
    p.grad = f64(g);
    return p;
  });
  const total = f(ps);
  clips[name] = { total: total ?? null, grads: ps.map((p) => p.grad.toArray()) };
}

// Learning-rate schedules: the rate after construction, then after each of 24 steps.
const scheduleCases = {
  step: (o) => new N.StepLR(o, 3, { gamma: 0.5 }),
  stepDefault: (o) => new N.StepLR(o, 4),
  cosine: (o) => new N.CosineAnnealingLR(o, 7, { etaMin: 0.01 }),
  linear: (o) => new N.LinearLR(o, { startFactor: 0.1, endFactor: 0.9, totalIters: 6 }),
  linearDefault: (o) => new N.LinearLR(o),
  sequential: (o) => new N.SequentialLR(o, [new N.LinearLR(o, { startFactor: 0.2, totalIters: 4 }), new N.CosineAnnealingLR(o, 10)], [4]),
  sequential3: (o) =>
    new N.SequentialLR(
      o,
      [new N.StepLR(o, 2, { gamma: 0.5 }), new N.LinearLR(o, { startFactor: 0.5, totalIters: 3 }), new N.CosineAnnealingLR(o, 5)],
      [5, 12],
    ),
  chained: (o) => new N.ChainedScheduler([new N.LinearLR(o, { startFactor: 0.5, totalIters: 4 }), new N.StepLR(o, 3, { gamma: 0.8 })]),
};
const schedules = {};
for (const [name, make] of Object.entries(scheduleCases)) {
  const o = new N.SGD([J.zeros([1], { requiresGrad: true })], { lr: 0.1 });
  const s = make(o);
  const lrs = [s.getLastLr()];
  for (let i = 0; i < 24; i++) {
    s.step();
    lrs.push(s.getLastLr());
  }
  schedules[name] = lrs;
}

process.stdout.write(JSON.stringify({ data, losses, clips, schedules }));
