// Every export of @jacobi/nn and @jacobi/nn/node, found by walking the modules (and, for
// classes, their constructors, prototype methods, setters and static methods), is called with
// good arguments in which one position (or one option) is replaced by each hostile value, plus
// random combinations. Each call must return normally or throw a JacobiError whose message
// starts with the name of the function the user called, and a call that throws must leave its
// arguments, their .grad, models, optimisers, the backend and the prototypes as they were.
//
// The naming convention (kept by every message in @jacobi/nn): a function `oneHot: ...`, a
// constructor `Dense: ...`, a method `<runtime class>.<method>: ...` (`AdamW.step: ...`, also
// for inherited methods), a setter `SGD.lr: ...`, a static method `Standardizer.fit: ...`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, onesLike, rng, tensor } from '@jacobi/tensor';
import * as nn from '@jacobi/nn';
import * as nnNode from '@jacobi/nn/node';
import { announceSeed, fc, runs } from '../support/properties.js';
import { BAD_VALUES, asyncContractViolation, badValue, type BadValue, snapshotGlobals } from './support/bad-values.js';

announceSeed('nn-api');

// ---- good fixtures (fresh on every call, so no call sees another's changes) ----
const seeded = () => rng(7);
const x43 = () =>
  tensor([
    [0.1, 0.2, 0.3],
    [0.4, 0.5, 0.6],
    [0.7, 0.8, 0.9],
    [1, 0, 1],
  ]);
const y42 = () =>
  tensor([
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
  ]);
const mlp = () => new nn.Sequential(new nn.Dense(3, 2, { rng: seeded() }), nn.tanh);
const sgdFor = (m: nn.Module) => new nn.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
/** An optimiser that has taken one step, so it has buffers and step counts. */
function stepped<O extends nn.Optimizer>(make: (params: Tensor[]) => O): O {
  const m = mlp();
  const opt = make(m.parameters());
  nn.mse(m.forward(x43()), y42()).backward();
  opt.step();
  return opt;
}
class Probe extends nn.Module {
  scale = tensor([2], { requiresGrad: true });
  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
}

let dir = '';
let savedModel = '';
const previousCwd = process.cwd();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jacobi-nn-api-'));
  // NOTE: hostile strings ('x', '__proto__') are relative paths; they land in this folder.
  process.chdir(dir);
  savedModel = join(dir, 'saved.safetensors');
  const m = mlp();
  await nnNode.saveModel(savedModel, m, { optimizer: stepped((ps) => new nn.SGD(ps, { lr: 0.1, momentum: 0.9 })) });
});
afterAll(async () => {
  process.chdir(previousCwd);
  await rm(dir, { recursive: true, force: true });
});

// ---- the table: good arguments for every export ----
type Args = () => unknown[];
type MethodArgs = (self: never) => unknown[];
/** A plain function; `returns` are good arguments for the function it returns (an initialiser). */
interface FunctionRow {
  kind: 'function';
  args: Args;
  returns?: Args;
  name?: (args: unknown[]) => string;
}
/** A class: `construct` null where the constructor is not public (private or abstract). */
interface ClassRow {
  kind: 'class';
  construct: Args | null;
  instance: (() => object) | null;
  methods: Record<string, MethodArgs>;
  setters?: Record<string, () => unknown>;
  statics?: Record<string, Args>;
}
/** An object of functions (activations, initializers by name), each called with `args`. */
interface FunctionsRow {
  kind: 'functions';
  args: Args;
}
interface ValueRow {
  kind: 'value';
}
type Row = FunctionRow | ClassRow | FunctionsRow | ValueRow;

const moduleMethods: Record<string, MethodArgs> = {
  namedParameters: () => [],
  parameters: () => [],
  namedBuffers: () => [],
  buffers: () => [],
  namedChildren: () => [],
  zeroGrad: () => [],
  train: () => [true],
  eval: () => [],
  stateDict: () => [],
  loadStateDict: (self: nn.Module) => [self.stateDict(), { file: 'f' }],
  withParameters: (self: nn.Module) => [self.parameters(), () => 1],
  parameterTree: () => [],
  forward: (self: nn.Module) => [self instanceof Probe ? x43() : x43()],
};
const image = () =>
  tensor(
    Array.from({ length: 50 }, (_, i) => Math.sin(i)),
    { shape: [1, 2, 5, 5] },
  );
const imageMethods: Record<string, MethodArgs> = { ...moduleMethods, forward: () => [image()] };
const optimizerMethods: Record<string, MethodArgs> = {
  step: (self: nn.Optimizer) => [self.params.map((p) => onesLike(p))],
  zeroGrad: () => [],
  stateDict: () => [],
  loadStateDict: (self: nn.Optimizer) => [self.stateDict(), { file: 'f' }],
  checkStateDict: (self: nn.Optimizer) => [self.stateDict(), 'f'],
};
const scheduleMethods: Record<string, MethodArgs> = {
  step: () => [],
  getLastLr: () => [],
  stateDict: () => [],
  loadStateDict: (self: { stateDict(): unknown }) => [self.stateDict()],
};
/** The parameters of a model after one backward pass, so each has a .grad to clip. */
function withGrads(): Tensor[] {
  const m = mlp();
  nn.mse(m.forward(x43()), y42()).backward();
  return m.parameters();
}
const adamSetters = { lr: () => 0.01, betas: () => [0.8, 0.9], eps: () => 1e-6, weightDecay: () => 0.1 };
const initializerArgs: Args = () => [[3, 2], { rng: seeded(), dtype: 'float32' }];
const name = (args: unknown[], fallback: string) => (typeof args[0] === 'string' && args[0] !== '' ? args[0] : fallback);
const trainArgs =
  (last: unknown): Args =>
  () => {
    const m = mlp();
    return [m, sgdFor(m), nn.mse, x43(), y42(), last];
  };

/** Good arguments of MultiheadAttention's forward methods: query [1, 2, 4], key and value [1, 3, 4], both masks. */
const attentionArgs =
  (weights: boolean): MethodArgs =>
  () => [
    x43().reshape([1, 3, 4]).index(null, ':2'),
    x43().reshape([1, 3, 4]),
    x43().reshape([1, 3, 4]).mul(2),
    {
      attnMask: tensor([
        [false, true, false],
        [false, false, true],
      ]),
      keyPaddingMask: tensor([[false, false, true]]),
      isCausal: false,
      ...(weights ? { averageAttnWeights: true } : {}),
    },
  ];

const NN: { [K in keyof typeof nn]: Row } = {
  Module: { kind: 'class', construct: null, instance: () => new Probe(), methods: moduleMethods },
  checkStateDict: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [m, m.stateDict(), 'f'];
    },
  },
  functionalCall: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [m, m.parameterTree(), x43()];
    },
    // A bad input with a good model and parameter tree reaches the model's forward, whose errors name it.
    name: (a) => {
      if (a[2] instanceof Tensor && a[2].shape.join() === '4,3') return 'functionalCall';
      try {
        nn.functionalCall(a[0] as nn.Module, a[1] as Record<string, Tensor>, x43());
        return 'Sequential.forward';
      } catch {
        return 'functionalCall';
      }
    },
  },
  Dense: {
    kind: 'class',
    construct: () => [3, 2, { activation: 'relu', init: 'heNormal', biasInit: 'zeros', bias: true, rng: seeded(), dtype: 'float64' }],
    instance: () => new nn.Dense(3, 2, { rng: seeded() }),
    methods: moduleMethods,
  },
  Sequential: { kind: 'class', construct: () => [new nn.Dense(3, 2, { rng: seeded() }), nn.relu], instance: mlp, methods: moduleMethods },
  // Convolution and pooling layers, fed a [1, 2, 5, 5] image (a [1, 2, 5] signal for Conv1d).
  Conv2d: {
    kind: 'class',
    construct: () => [2, 4, [3, 2], { stride: 1, padding: 'same', dilation: 1, groups: 2, bias: true, rng: seeded(), dtype: 'float64' }],
    instance: () => new nn.Conv2d(2, 3, 3, { padding: 1, rng: seeded() }),
    methods: imageMethods,
  },
  Conv1d: {
    kind: 'class',
    construct: () => [2, 4, 3, { stride: 2, padding: 1, dilation: 1, groups: 1, bias: false, rng: seeded(), dtype: 'float32' }],
    instance: () => new nn.Conv1d(2, 3, 2, { rng: seeded() }),
    methods: {
      ...moduleMethods,
      forward: () => [
        tensor([
          [
            [1, 2, 3, 4, 5],
            [5, 4, 3, 2, 1],
          ],
        ]),
      ],
    },
  },
  ConvTranspose2d: {
    kind: 'class',
    construct: () => [2, 4, 2, { stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 2, bias: true, rng: seeded() }],
    instance: () => new nn.ConvTranspose2d(2, 3, 2, { stride: 2, rng: seeded() }),
    methods: imageMethods,
  },
  MaxPool2d: {
    kind: 'class',
    construct: () => [[2, 3], { stride: 2, padding: 1, dilation: 1, ceilMode: true }],
    instance: () => new nn.MaxPool2d(2),
    methods: imageMethods,
  },
  AvgPool2d: {
    kind: 'class',
    construct: () => [3, { stride: 2, padding: 1, ceilMode: false, countIncludePad: false }],
    instance: () => new nn.AvgPool2d(2, { stride: 1 }),
    methods: imageMethods,
  },
  AdaptiveAvgPool2d: { kind: 'class', construct: () => [[2, null]], instance: () => new nn.AdaptiveAvgPool2d(1), methods: imageMethods },
  Flatten: { kind: 'class', construct: () => [1, -1], instance: () => new nn.Flatten(), methods: imageMethods },
  Lambda: { kind: 'class', construct: () => [nn.relu], instance: () => new nn.Lambda(nn.gelu), methods: moduleMethods },
  activations: { kind: 'functions', args: () => [x43()] },
  identity: { kind: 'function', args: () => [x43()] },
  sigmoid: { kind: 'function', args: () => [x43()] },
  tanh: { kind: 'function', args: () => [x43()] },
  relu: { kind: 'function', args: () => [x43()] },
  leakyRelu: { kind: 'function', args: () => [x43(), 0.1] },
  gelu: { kind: 'function', args: () => [x43()] },
  softmax: { kind: 'function', args: () => [x43()] },
  resolveActivation: { kind: 'function', args: () => ['MyLayer', 'relu'], name: (a) => name(a, 'resolveActivation') },
  halfSquaredError: { kind: 'function', args: () => [x43(), x43().mul(2), { reduction: 'sum' }] },
  mse: { kind: 'function', args: () => [x43(), x43().mul(2), { reduction: 'none' }] },
  softmaxCrossEntropy: { kind: 'function', args: () => [y42().mul(3), [0, 1, 1, 0], { reduction: 'mean' }] },
  binaryCrossEntropy: { kind: 'function', args: () => [y42().mul(0.5).add(0.2), y42(), { reduction: 'sum', fromLogits: false }] },
  initializers: { kind: 'functions', args: initializerArgs },
  glorotUniform: { kind: 'function', args: () => [1], returns: initializerArgs },
  glorotNormal: { kind: 'function', args: () => [1], returns: initializerArgs },
  heUniform: { kind: 'function', args: () => [2], returns: initializerArgs },
  heNormal: { kind: 'function', args: () => [2], returns: initializerArgs },
  zerosInit: { kind: 'function', args: initializerArgs },
  constant: { kind: 'function', args: () => [0.5], returns: initializerArgs },
  fans: { kind: 'function', args: () => [[4, 3, 2]] },
  resolveInitializer: { kind: 'function', args: () => ['MyLayer', 'heNormal'], name: (a) => name(a, 'resolveInitializer') },
  // Abstract: its methods are called through SGD, Adam and AdamW, which inherit them.
  Optimizer: { kind: 'class', construct: null, instance: null, methods: {} },
  SGD: {
    kind: 'class',
    construct: () => [mlp().parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    instance: () => stepped((ps) => new nn.SGD(ps, { lr: 0.1, momentum: 0.9 })),
    methods: optimizerMethods,
    setters: { lr: () => 0.01, momentum: () => 0.5, nesterov: () => false, weightDecay: () => 0.1 },
  },
  Adam: {
    kind: 'class',
    construct: () => [
      mlp().parameters(),
      { lr: 0.01, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1 },
      // The internal third argument (AdamW's way in) is reachable at run time, so it is fuzzed too.
      'Adam',
    ],
    instance: () => stepped((ps) => new nn.Adam(ps)),
    methods: optimizerMethods,
    setters: adamSetters,
  },
  AdamW: {
    kind: 'class',
    construct: () => [mlp().parameters(), { lr: 0.01, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1 }],
    instance: () => stepped((ps) => new nn.AdamW(ps)),
    methods: optimizerMethods,
    setters: adamSetters,
  },
  accuracy: {
    kind: 'function',
    args: () => [
      tensor([
        [0.9, 0.1],
        [0.2, 0.8],
      ]),
      [0, 1],
    ],
  },
  oneHot: { kind: 'function', args: () => [[0, 2], 3, { dtype: 'float64' }] },
  takeRows: { kind: 'function', args: () => [x43(), [2, 0]] },
  permutation: { kind: 'function', args: () => [5, seeded()] },
  trainTestSplit: { kind: 'function', args: () => [x43(), [0, 1, 0, 1], { testSize: 0.5, rng: seeded(), stratify: true }] },
  Standardizer: {
    kind: 'class',
    construct: null, // private: made by fit or fromStatistics
    instance: () => nn.Standardizer.fit(x43()),
    methods: { transform: () => [x43()] },
    statics: {
      fit: () => [x43()],
      fromStatistics: () => [
        [0, 0, 0],
        [1, 2, 3],
      ],
    },
  },
  miniBatches: { kind: 'function', args: () => [x43(), y42(), { batchSize: 3, rng: seeded(), dropLast: false }] },
  trainStep: { kind: 'function', args: trainArgs('backward') },
  trainEpoch: { kind: 'function', args: trainArgs({ batchSize: 2, rng: seeded(), mode: 'functional', tidy: true }) },
  predict: { kind: 'function', args: () => [mlp(), x43()] },
  fit: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [
        m,
        x43(),
        y42(),
        {
          optimizer: sgdFor(m),
          loss: nn.mse,
          epochs: 2,
          batchSize: 2,
          rng: seeded(),
          mode: 'backward',
          tidy: true,
          onEpoch: () => undefined,
        },
      ];
    },
  },
  encodeSafetensors: {
    kind: 'function',
    args: () => [
      new Map([
        ['w', x43()],
        ['0', tensor([1], { dtype: 'float64' })],
      ]),
      { format: 'jacobi' },
    ],
  },
  decodeSafetensors: { kind: 'function', args: () => [nn.encodeModel(mlp()), { file: 'f' }] },
  encodeModel: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [m, { optimizer: sgdFor(m), metadata: { config: '{}' }, layout: 'jacobi' }];
    },
  },
  decodeModel: {
    kind: 'function',
    args: () => {
      const opt = stepped((ps) => new nn.SGD(ps, { lr: 0.1, momentum: 0.9 }));
      const bytes = nn.encodeModel(mlp(), { optimizer: opt });
      const m = mlp();
      return [bytes, m, { optimizer: sgdFor(m), file: 'f', layout: 'jacobi' }];
    },
  },
  OPTIMIZER_PREFIX: { kind: 'value' },
  // The PyTorch-style layers: each forward gets inputs of the shapes the layer expects.
  Linear: {
    kind: 'class',
    construct: () => [3, 2, { bias: true, rng: seeded(), dtype: 'float64' }],
    instance: () => new nn.Linear(3, 2, { rng: seeded() }),
    methods: moduleMethods,
  },
  Embedding: {
    kind: 'class',
    construct: () => [5, 3, { paddingIdx: 1, rng: seeded(), dtype: 'float32' }],
    instance: () => new nn.Embedding(5, 3, { rng: seeded() }),
    methods: {
      ...moduleMethods,
      forward: () => [
        [
          [0, 1],
          [4, 2],
        ],
      ],
    },
  },
  Dropout: {
    kind: 'class',
    construct: () => [0.5, { rng: seeded() }],
    instance: () => new nn.Dropout(0.3, { rng: seeded() }),
    methods: moduleMethods,
  },
  LayerNorm: {
    kind: 'class',
    construct: () => [[3], { eps: 1e-5, elementwiseAffine: true, bias: true, dtype: 'float32' }],
    instance: () => new nn.LayerNorm(3),
    methods: moduleMethods,
  },
  RMSNorm: {
    kind: 'class',
    construct: () => [3, { eps: 1e-6, elementwiseAffine: true, dtype: 'float64' }],
    instance: () => new nn.RMSNorm([3]),
    methods: moduleMethods,
  },
  BatchNorm1d: {
    kind: 'class',
    construct: () => [3, { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true, dtype: 'float32' }],
    instance: () => new nn.BatchNorm1d(3),
    methods: moduleMethods,
  },
  BatchNorm2d: {
    kind: 'class',
    construct: () => [2, { eps: 1e-5, momentum: null, affine: false, trackRunningStats: true, dtype: 'float64' }],
    instance: () => new nn.BatchNorm2d(2),
    methods: { ...moduleMethods, forward: () => [x43().reshape([2, 2, 1, 3])] },
  },
  MultiheadAttention: {
    kind: 'class',
    construct: () => [4, 2, { batchFirst: true, bias: true, dropout: 0.1, rng: seeded(), dtype: 'float32' }],
    instance: () => new nn.MultiheadAttention(4, 2, { rng: seeded() }),
    methods: { ...moduleMethods, forward: attentionArgs(false), forwardWithWeights: attentionArgs(true) },
  },
  TransformerEncoderLayer: {
    kind: 'class',
    construct: () => [
      4,
      2,
      {
        dimFeedforward: 8,
        dropout: 0.1,
        activation: 'gelu',
        layerNormEps: 1e-5,
        batchFirst: true,
        normFirst: true,
        bias: true,
        rng: seeded(),
        dtype: 'float32',
      },
    ],
    instance: () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: seeded() }),
    methods: {
      ...moduleMethods,
      forward: () => [
        x43().reshape([1, 3, 4]),
        {
          srcMask: tensor([
            [false, true, true],
            [false, false, true],
            [false, false, false],
          ]),
          srcKeyPaddingMask: tensor([[false, false, true]]),
          isCausal: false,
        },
      ],
    },
  },
  ReLU: { kind: 'class', construct: () => [], instance: () => new nn.ReLU(), methods: moduleMethods },
  GELU: { kind: 'class', construct: () => [{ approximate: 'tanh' }], instance: () => new nn.GELU(), methods: moduleMethods },
  Tanh: { kind: 'class', construct: () => [], instance: () => new nn.Tanh(), methods: moduleMethods },
  Sigmoid: { kind: 'class', construct: () => [], instance: () => new nn.Sigmoid(), methods: moduleMethods },
  SiLU: { kind: 'class', construct: () => [], instance: () => new nn.SiLU(), methods: moduleMethods },
  LeakyReLU: { kind: 'class', construct: () => [0.2], instance: () => new nn.LeakyReLU(), methods: moduleMethods },
  Softmax: { kind: 'class', construct: () => [1], instance: () => new nn.Softmax(), methods: moduleMethods },
  Identity: { kind: 'class', construct: () => [], instance: () => new nn.Identity(), methods: moduleMethods },
  crossEntropy: {
    kind: 'function',
    args: () => [y42().mul(3), [0, 1, 1, -100], { reduction: 'mean', weight: tensor([1, 2]), ignoreIndex: -100, labelSmoothing: 0.1 }],
  },
  nllLoss: {
    kind: 'function',
    args: () => [y42().mul(3).logSoftmax(1), [0, 1, 1, 0], { reduction: 'sum', weight: tensor([1, 2]), ignoreIndex: 1 }],
  },
  huberLoss: { kind: 'function', args: () => [x43(), x43().mul(2), { reduction: 'sum', delta: 0.5 }] },
  smoothL1Loss: { kind: 'function', args: () => [x43(), x43().mul(2), { reduction: 'none', beta: 0.5 }] },
  klDiv: { kind: 'function', args: () => [x43().logSoftmax(1), x43().softmax(1), { reduction: 'batchmean', logTarget: false }] },
  clipGradNorm: { kind: 'function', args: () => [withGrads(), 0.1, { normType: 2, errorIfNonfinite: true }] },
  clipGradValue: { kind: 'function', args: () => [withGrads(), 0.1] },
  // Abstract: its methods are called through the schedules, which inherit them.
  LRScheduler: { kind: 'class', construct: null, instance: null, methods: {} },
  StepLR: {
    kind: 'class',
    construct: () => [sgdFor(mlp()), 2, { gamma: 0.5 }],
    instance: () => new nn.StepLR(sgdFor(mlp()), 2),
    methods: scheduleMethods,
  },
  CosineAnnealingLR: {
    kind: 'class',
    construct: () => [sgdFor(mlp()), 10, { etaMin: 0.01 }],
    instance: () => new nn.CosineAnnealingLR(sgdFor(mlp()), 10),
    methods: scheduleMethods,
  },
  LinearLR: {
    kind: 'class',
    construct: () => [sgdFor(mlp()), { startFactor: 0.5, endFactor: 1, totalIters: 3 }],
    instance: () => new nn.LinearLR(sgdFor(mlp())),
    methods: scheduleMethods,
  },
  SequentialLR: {
    kind: 'class',
    construct: () => {
      const opt = sgdFor(mlp());
      return [opt, [new nn.LinearLR(opt), new nn.StepLR(opt, 2)], [3]];
    },
    instance: () => {
      const opt = sgdFor(mlp());
      return new nn.SequentialLR(opt, [new nn.LinearLR(opt), new nn.StepLR(opt, 2)], [3]);
    },
    methods: scheduleMethods,
  },
  ChainedScheduler: {
    kind: 'class',
    construct: () => {
      const opt = sgdFor(mlp());
      return [[new nn.LinearLR(opt), new nn.StepLR(opt, 2)]];
    },
    instance: () => {
      const opt = sgdFor(mlp());
      return new nn.ChainedScheduler([new nn.LinearLR(opt), new nn.StepLR(opt, 2)]);
    },
    methods: scheduleMethods,
  },
  ModelFileError: { kind: 'class', construct: () => ['broken', { op: 'loadModel', file: 'f', tensor: 't' }], instance: null, methods: {} },
  // PyTorch's state_dict names and layouts.
  torchStateDict: { kind: 'function', args: () => [mlp()] },
  loadTorchStateDict: { kind: 'function', args: () => [mlp(), nn.torchStateDict(mlp()), { file: 'f' }] },
};

const NODE: { [K in keyof typeof nnNode]: Row } = {
  saveModel: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [join(dir, 'out', 'save.safetensors'), m, { optimizer: sgdFor(m), metadata: { a: 'b' } }];
    },
  },
  loadModel: {
    kind: 'function',
    args: () => {
      const m = mlp();
      return [savedModel, m, { optimizer: sgdFor(m) }];
    },
  },
  readSafetensors: { kind: 'function', args: () => [savedModel] },
  writeSafetensors: { kind: 'function', args: () => [join(dir, 'write.safetensors'), new Map([['w', x43()]]), { a: 'b' }] },
  writeFileAtomic: { kind: 'function', args: () => [join(dir, 'atomic.bin'), new Uint8Array([1, 2, 3])] },
};

// ---- call sites: every public way in, each with the name its errors must start with ----
interface CallSite {
  label: string;
  /** The good arguments; positions below `fixed` (the instance) are never replaced. */
  args: Args;
  fixed: number;
  name: (args: unknown[]) => string;
  invoke: (args: unknown[]) => unknown;
}

type Callable = (...args: unknown[]) => unknown;
type Constructor = new (...args: unknown[]) => object;

/** Own methods and accessors of a class's prototypes, up to (not including) Error or Object. */
function prototypeMembers(proto: object | null): Map<string, PropertyDescriptor> {
  const out = new Map<string, PropertyDescriptor>();
  for (let p = proto; p !== null && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key !== 'constructor' && !out.has(key)) out.set(key, Object.getOwnPropertyDescriptor(p, key)!);
    }
  }
  return out;
}

/** Members declared `protected` (for subclasses); TypeScript keeps users from calling them. */
const PROTECTED = ['update', 'hyperValue', 'setHyperValue', 'registerBuffer', 'nextLr', 'closedFormLr', 'initialStep', 'stepCount'];

function callSites(exports: Record<string, unknown>, table: Record<string, Row>, missing: string[]): CallSite[] {
  const sites: CallSite[] = [];
  for (const [key, value] of Object.entries(exports)) {
    const row = table[key];
    if (row === undefined) {
      missing.push(key);
      continue;
    }
    if (row.kind === 'function') {
      const fn = value as Callable;
      sites.push({ label: key, args: row.args, fixed: 0, name: (a) => row.name?.(a) ?? key, invoke: (a) => fn(...a) });
      if (row.returns) {
        const made = fn(...row.args()) as Callable;
        sites.push({ label: `${key}(...)`, args: row.returns, fixed: 0, name: () => key, invoke: (a) => made(...a) });
      }
    } else if (row.kind === 'functions') {
      for (const [member, fn] of Object.entries(value as Record<string, Callable>)) {
        sites.push({ label: `${key}.${member}`, args: row.args, fixed: 0, name: () => fn.name, invoke: (a) => fn(...a) });
      }
    } else if (row.kind === 'class') {
      const cls = value as Constructor & Record<string, unknown>;
      if (row.construct) sites.push({ label: `new ${key}`, args: row.construct, fixed: 0, name: () => key, invoke: (a) => new cls(...a) });
      for (const s of Object.getOwnPropertyNames(cls).filter((k) => !['length', 'name', 'prototype'].includes(k))) {
        const args = row.statics?.[s];
        if (args === undefined) missing.push(`${key}.${s} (static)`);
        else sites.push({ label: `${key}.${s}`, args, fixed: 0, name: () => `${key}.${s}`, invoke: (a) => (cls[s] as Callable)(...a) });
      }
      if (row.instance === null) continue;
      const make = row.instance;
      for (const [member, d] of prototypeMembers(cls.prototype as object)) {
        const runtimeName = (a: unknown[]) => `${(a[0] as object).constructor.name}.${member}`;
        if (PROTECTED.includes(member)) continue;
        if (typeof d.value === 'function') {
          const args = row.methods[member];
          if (args === undefined) missing.push(`${key}.${member}`);
          else
            sites.push({
              label: `${key}#${member}`,
              args: () => {
                const self = make();
                return [self, ...args(self as never)];
              },
              fixed: 1,
              name: runtimeName,
              invoke: ([self, ...a]) => ((self as Record<string, Callable>)[member] as Callable).call(self, ...a),
            });
        }
        if (d.set) {
          const good = row.setters?.[member];
          if (good === undefined) missing.push(`${key}.${member} (setter)`);
          else
            sites.push({
              label: `${key}#${member}=`,
              args: () => [make(), good()],
              fixed: 1,
              name: runtimeName,
              invoke: ([self, v]) => {
                (self as Record<string, unknown>)[member] = v;
              },
            });
        }
        if (d.get)
          sites.push({
            label: `${key}#${member} (read)`,
            args: () => [make()],
            fixed: 1,
            name: runtimeName,
            invoke: ([self]) => (self as Record<string, unknown>)[member],
          });
      }
    }
  }
  return sites;
}

const missing: string[] = [];
const SITES = [...callSites(nn as Record<string, unknown>, NN, missing), ...callSites(nnNode as Record<string, unknown>, NODE, missing)];

// ---- state snapshots ----
/** A printable fingerprint of everything a call could change through its arguments. */
function fingerprint(values: readonly unknown[]): string {
  const seen = new Set<unknown>();
  const num = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
  const tensorText = (t: Tensor) =>
    `T[${t.shape}]${t.dtype}${t.requiresGrad ? 'g' : ''}(${Array.from(t.data(), num)})grad(${t.requiresGrad && t.grad ? Array.from(t.grad.data(), num) : ''})`;
  const walk = (v: unknown, depth: number): string => {
    if (v instanceof Tensor) return tensorText(v);
    if (typeof v !== 'object' || v === null)
      return typeof v === 'symbol' || typeof v === 'function' ? typeof v : `${typeof v}:${String(v)}`;
    if (seen.has(v) || depth > 4) return '…';
    seen.add(v);
    if (v instanceof nn.Module)
      return `M${v.training}{${[...v.namedParameters(), ...v.namedBuffers()].map(([n, p]) => `${n}=${tensorText(p)}`)}}`;
    if (v instanceof nn.Optimizer) {
      const s = v.stateDict();
      return `O${JSON.stringify(s.hyper)}${s.steps}{${[...s.buffers].map(([n, b]) => `${n}=${tensorText(b)}`)}}${v.params.map(tensorText)}`;
    }
    if (v instanceof Map) return `Map{${[...v].slice(0, 64).map(([k, x]) => `${walk(k, depth + 1)}=>${walk(x, depth + 1)}`)}}`;
    if (Array.isArray(v)) return v.length > 64 ? `array(${v.length})` : `[${v.map((x) => walk(x, depth + 1))}]`;
    if (ArrayBuffer.isView(v))
      return `${v.constructor.name}(${Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice(0, 256))})`;
    return `{${Object.keys(v)
      .slice(0, 64)
      .map((k) => `${k}:${walk((v as Record<string, unknown>)[k], depth + 1)}`)}}`;
  };
  return values.map((v) => walk(v, 0)).join(' | ');
}

const USER_ERROR = 'thrown by a user callback';
/**
 * Functions of several atomic steps: when a user callback throws between steps (fit's
 * onEpoch), the steps before it stay applied, as the README says.
 */
const MULTI_STEP = ['fit'];

/** Consumes what a call returned when it is a generator, so that lazy errors surface. */
async function settle(result: unknown): Promise<void> {
  const r = await result;
  if (typeof r === 'object' && r !== null && Object.prototype.toString.call(r) === '[object Generator]') {
    let n = 0;
    for (const _ of r as Generator) if (++n > 1000) break;
  }
}

/** Calls `site` with `args`; the description of any broken promise, or null. */
async function check(site: CallSite, args: unknown[], what: string): Promise<string | null> {
  const globals = JSON.stringify(snapshotGlobals());
  const before = fingerprint(args);
  let threw = false;
  let userError = false;
  const violation = await asyncContractViolation(`${site.name(args)}:`, async () => {
    try {
      await settle(site.invoke(args));
    } catch (e) {
      threw = true;
      // A user callback's own error passes through unchanged, as it should.
      if (e instanceof Error && e.message === USER_ERROR) {
        userError = true;
        return;
      }
      throw e;
    }
  });
  const problems: string[] = [];
  if (violation !== null) problems.push(violation);
  if (JSON.stringify(snapshotGlobals()) !== globals) problems.push('changed the prototypes or the backend');
  if (threw && fingerprint(args) !== before && !(userError && MULTI_STEP.includes(site.label)))
    problems.push('threw but changed its arguments');
  return problems.length === 0 ? null : `${site.label} with ${what}: ${problems.join('; ')}`;
}

/** Each way to make one argument hostile: the position itself, or one key of an options object. */
function mutations(site: CallSite): { what: string; apply: (args: unknown[], bad: BadValue) => void }[] {
  const sample = site.args();
  const out: { what: string; apply: (args: unknown[], bad: BadValue) => void }[] = [];
  for (let i = site.fixed; i < sample.length; i++) {
    out.push({ what: `argument ${i - site.fixed}`, apply: (a, bad) => void (a[i] = bad.make()) });
    const v = sample[i];
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      for (const key of Object.keys(v)) {
        out.push({
          what: `argument ${i - site.fixed}.${key}`,
          apply: (a, bad) => {
            // (an earlier mutation may have replaced the whole options object)
            if (typeof a[i] === 'object' && a[i] !== null) (a[i] as Record<string, unknown>)[key] = bad.make();
          },
        });
      }
    }
  }
  return out;
}

describe('every export of @jacobi/nn keeps the error contract', () => {
  it('has a row of good arguments for every export, method, setter and static method', () => {
    expect(missing).toEqual([]);
    expect(Object.keys(NN).sort()).toEqual(Object.keys(nn).sort());
    expect(Object.keys(NODE).sort()).toEqual(Object.keys(nnNode).sort());
  });

  it('the good arguments are good: every call site succeeds with them', async () => {
    const failures: string[] = [];
    for (const site of SITES) {
      try {
        await settle(site.invoke(site.args()));
      } catch (e) {
        failures.push(`${site.label}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('one hostile value at a time, in every argument and option', async () => {
    const failures: string[] = [];
    for (const site of SITES) {
      for (const m of mutations(site)) {
        for (const bad of BAD_VALUES) {
          const args = site.args();
          m.apply(args, bad);
          const failure = await check(site, args, `${m.what} = ${bad.label}`);
          if (failure !== null) failures.push(failure);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('several hostile values at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(SITES.length - 1),
        fc.array(fc.tuple(fc.nat(), badValue), { minLength: 2, maxLength: 4 }),
        async (s, picks) => {
          const site = SITES[s]!;
          const ms = mutations(site);
          if (ms.length === 0) return;
          const args = site.args();
          for (const [k, bad] of picks) ms[k % ms.length]!.apply(args, bad);
          const failure = await check(site, args, picks.map(([k, b]) => `${ms[k % ms.length]!.what} = ${b.label}`).join(', '));
          expect(failure).toBeNull();
        },
      ),
      { numRuns: runs(300) },
    );
  });
});
