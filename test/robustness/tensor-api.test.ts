// Every export of @jacobi/tensor and @jacobi/tensor/wasm, and every method, getter and setter
// of Tensor, called with each hostile value of support/bad-values.ts in each argument position
// (and fast-check pairs of positions), must return normally or throw a JacobiError whose
// message starts with the name the caller used, and must change no input tensor (data, shape,
// dtype, .grad, requiresGrad), not the active backend and no shared prototype.
//
// How the exports are covered: `CALLS` has one entry per export, keyed by a mapped type over
// the modules' types and checked at run time against `Object.keys`, so a new export without an
// entry fails to compile and fails the test. An entry is one of
//   - calls: good argument lists, each with the name its errors must start with. A call may go
//     through what the export returns (`grad(f)(x)`, `vjp(f, x)[1](ct)`, `rng(1).int(n)`);
//     their errors name the export the user called first.
//   - 'error class': error classes (and GradcheckError) are constructed by the library; the
//     test checks that they derive from JacobiError, not what `new` does with a symbol message.
//   - 'class': `Tensor`, whose constructor is internal; its prototype is covered below.
//   - 'constant': a number export, or a frozen record of numbers (checked so: a user must not be
//     able to change a default the library reads).
// Type-only exports do not exist at run time and need no entry.
//
// Positions: every top-level argument, and every element of a plain array or field of a plain
// object given as an argument (shapes, lists of tensors, option objects), is replaced in turn.
// Tensor methods with a free function of the same name reuse its calls with the first argument
// as the receiver; the others are listed in `METHOD_CALLS`. A call that legitimately changes a
// tensor (assign, backward, the setters) is checked for unchanged inputs only when it throws;
// setBackend, whose purpose is to switch the backend, is checked for an unchanged backend
// only when it throws. The hostile callback `() => { throw }` may make a call throw its own
// error: passing a user's error through unchanged is right, so that error is allowed.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import * as W from '@jacobi/tensor/wasm';
import { BAD_VALUES, badValue, contractViolation, describe as show, snapshotGlobals, type BadValue } from './support/bad-values.js';
import { announceSeed, fc, runs } from '../support/properties.js';

announceSeed('tensor-api.test.ts');

const { Tensor, tensor } = J;
type Args = unknown[];

interface Call {
  /** What the call's errors must start with: the function the user called. */
  readonly name: string;
  /** Fresh good arguments (tensors included) for each attempt. */
  readonly args: () => Args;
  readonly invoke: (args: Args) => unknown;
  /** The call changes its inputs when it succeeds (they are then compared only on failure). */
  readonly mutates?: boolean;
  /** A method call: argument 0 is the receiver, which is never replaced. */
  readonly method?: boolean;
}

type Entry = { readonly calls: readonly Call[] } | 'error class' | 'class' | 'constant';

type Exports = typeof J & typeof W;

const fn = (f: unknown) => f as (...a: Args) => unknown;
/** Calls of the export `name` itself with each list of good arguments. */
function direct(name: keyof Exports, ...lists: (() => Args)[]): Entry {
  const f = fn((J as Record<string, unknown>)[name] ?? (W as Record<string, unknown>)[name]);
  return { calls: lists.map((args) => ({ name, args, invoke: (a: Args) => f(...a) })) };
}

// Good values, fresh for every attempt.
const x = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const row = () => tensor([1, 2, 3]);
const ints = () =>
  tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: 'int32' },
  );
const intRow = () => tensor([1, 2, 3], { dtype: 'int32' });
const integerBinary = (name: keyof Exports) =>
  direct(
    name,
    () => [ints(), intRow()],
    () => [ints(), 2],
  );
// Convolution and pooling inputs: an image [1, 2, 3, 4], a signal [1, 1, 5], two 2×2 filters.
const image = () => J.arange(24).astype('float32').reshape([1, 2, 3, 4]);
const line = () => tensor([[[1, 3, 2, 5, 4]]]);
const filters = () => J.ones([2, 2, 2, 2]);
const leaf = () => tensor([1, 2], { dtype: 'float64', requiresGrad: true });
const scalarFn = () => (t: J.Tensor) => t.mul(t).sum();
// Functions of any pytrees, for the transforms: a hostile value that is still a pytree (null,
// {}, []) reaches the function as an argument, and these functions accept every pytree. An
// argument grad and valueAndGrad do not differentiate (outside argnums) reaches the function as
// it is, whatever it is: the loss counts only the tensors of the arguments that are pytrees, so
// every error comes from the transform, never from the function.
const leavesOrNone = (a: unknown): J.PyTreeLeaf[] => {
  try {
    return J.treeLeaves(a as J.PyTree);
  } catch {
    return [];
  }
};
const treeLoss =
  () =>
  (...args: J.PyTree[]) =>
    args.flatMap(leavesOrNone).reduce<J.Tensor>((acc, l) => (l instanceof J.Tensor ? acc.add(l.mul(l).sum()) : acc), tensor(0));
const treeLossWithAux =
  () =>
  (...args: J.PyTree[]) =>
    [treeLoss()(...args), { args }] as const;
const treeDouble =
  () =>
  (...args: J.PyTree[]) =>
    J.treeMap((l) => (l instanceof J.Tensor ? l.mul(2) : l), args.length === 1 ? args[0]! : args);
const binary = (name: keyof Exports) =>
  direct(
    name,
    () => [x(), row()],
    () => [x(), 2],
  );
const unary = (name: keyof Exports) => direct(name, () => [x()]);
/** sin at every tensor leaf: a function that any pytree may be passed to (vmap and the Jacobians take trees). */
const sinOfTree = (t: J.PyTree) => J.treeMap((l) => (l instanceof J.Tensor ? l.sin() : l), t);
const reduction = (name: keyof Exports) =>
  direct(
    name,
    () => [x(), 0, false],
    () => [x(), [0, 1], true],
  );

// NOTE: a backend with its own name, so that registering it replaces none of the real ones.
const testBackend = (): J.Backend => ({ ...W.createWasmBackend({ threads: 1 }), name: 'robustness-test' });

const CALLS: { readonly [K in keyof Exports]: Entry } = {
  Tensor: 'class',
  JacobiError: 'error class',
  ShapeError: 'error class',
  AxisError: 'error class',
  DTypeError: 'error class',
  ArgumentError: 'error class',
  NonScalarOutputError: 'error class',
  NotDifferentiableError: 'error class',
  TraceError: 'error class',
  AnomalyError: 'error class',
  GradcheckError: 'error class',
  TreeStructureError: 'error class',
  DEFAULT_THREAD_THRESHOLD: 'constant',
  FUSED_THREAD_DEFAULTS: 'constant',
  MAX_DEFAULT_THREADS: 'constant',

  tensor: direct(
    'tensor',
    () => [
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32', requiresGrad: false, shape: [4] },
    ],
    () => [new Float64Array(4), { shape: [2, 2], dtype: 'float64', requiresGrad: true }],
  ),
  zeros: direct('zeros', () => [[2, 3], { dtype: 'float64', requiresGrad: false }]),
  ones: direct('ones', () => [[2, 3], { dtype: 'float64', requiresGrad: false }]),
  full: direct('full', () => [[2, 3], 1.5, { dtype: 'float32', requiresGrad: true }]),
  zerosLike: direct('zerosLike', () => [x()]),
  onesLike: direct('onesLike', () => [x()]),
  eye: direct('eye', () => [3, 2, { dtype: 'float64', requiresGrad: false }]),
  arange: direct(
    'arange',
    () => [1, 5, 0.5, { dtype: 'float32' }],
    () => [4],
  ),
  rand: direct('rand', () => [[2, 3], { dtype: 'float32', requiresGrad: false, rng: J.rng(1) }]),
  randn: direct('randn', () => [[2, 3], { dtype: 'float64', requiresGrad: false, rng: J.rng(1) }]),
  rng: {
    calls: [
      { name: 'rng', args: () => [42], invoke: ([seed]) => J.rng(seed as number).uniform() },
      { name: 'rng', args: () => [10], invoke: ([n]) => J.rng(1).int(n as number) },
    ],
  },

  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  greater: binary('greater'),
  greaterEqual: binary('greaterEqual'),
  less: binary('less'),
  lessEqual: binary('lessEqual'),
  equal: binary('equal'),
  notEqual: binary('notEqual'),
  clamp: direct(
    'clamp',
    () => [x(), 2, 5],
    () => [x(), row(), undefined],
  ),
  where: direct(
    'where',
    () => [x().greater(2), x(), row()],
    () => [row(), 1, 0],
  ),
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  sign: unary('sign'),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  relu: unary('relu'),
  sin: unary('sin'),
  cos: unary('cos'),
  reciprocal: unary('reciprocal'),
  square: unary('square'),
  floor: unary('floor'),
  ceil: unary('ceil'),
  round: unary('round'),
  trunc: unary('trunc'),
  frac: unary('frac'),
  tan: unary('tan'),
  asin: unary('asin'),
  acos: unary('acos'),
  atan: unary('atan'),
  sinh: unary('sinh'),
  cosh: unary('cosh'),
  asinh: unary('asinh'),
  acosh: unary('acosh'),
  atanh: unary('atanh'),
  log2: unary('log2'),
  log10: unary('log10'),
  log1p: unary('log1p'),
  expm1: unary('expm1'),
  exp2: unary('exp2'),
  silu: unary('silu'),
  logSigmoid: unary('logSigmoid'),
  selu: unary('selu'),
  hardSigmoid: unary('hardSigmoid'),
  hardSwish: unary('hardSwish'),
  mish: unary('mish'),
  softsign: unary('softsign'),
  relu6: unary('relu6'),
  atan2: binary('atan2'),
  softplus: direct(
    'softplus',
    () => [x(), 2, 10],
    () => [x()],
  ),
  elu: direct('elu', () => [x(), 0.5]),
  celu: direct('celu', () => [x(), 0.5]),
  hardTanh: direct('hardTanh', () => [x(), -2, 2]),
  erf: unary('erf'),
  erfc: unary('erfc'),
  erfinv: direct('erfinv', () => [x().div(10)]),
  gelu: direct(
    'gelu',
    () => [x()],
    () => [x(), { approximate: 'tanh' }],
  ),
  logAddExp: binary('logAddExp'),
  lerp: direct(
    'lerp',
    () => [x(), row(), 0.25],
    () => [x(), 2, row()],
  ),
  copysign: binary('copysign'),
  hypot: binary('hypot'),
  remainder: binary('remainder'),
  fmod: binary('fmod'),
  floorDivide: binary('floorDivide'),
  isnan: unary('isnan'),
  isinf: unary('isinf'),
  isfinite: unary('isfinite'),
  logicalAnd: binary('logicalAnd'),
  logicalOr: binary('logicalOr'),
  logicalXor: binary('logicalXor'),
  logicalNot: unary('logicalNot'),
  bitwiseAnd: integerBinary('bitwiseAnd'),
  bitwiseOr: integerBinary('bitwiseOr'),
  bitwiseXor: integerBinary('bitwiseXor'),
  bitwiseNot: direct('bitwiseNot', () => [ints()]),
  leftShift: integerBinary('leftShift'),
  rightShift: integerBinary('rightShift'),
  matmul: direct(
    'matmul',
    () => [x(), x().T],
    () => [row(), x().T],
  ),

  reshape: direct('reshape', () => [x(), [3, -1]]),
  transpose: direct('transpose', () => [x(), [1, 0]]),
  broadcastTo: direct('broadcastTo', () => [row(), [2, 3]]),
  squeeze: direct(
    'squeeze',
    () => [tensor([[1, 2, 3]]), 0],
    () => [tensor([[1, 2, 3]]), [0]],
  ),
  expandDims: direct('expandDims', () => [x(), 1]),
  unsqueeze: direct('unsqueeze', () => [x(), -1]),
  flatten: unary('flatten'),
  slice: direct('slice', () => [x(), 1, 0, 3, 2]),
  index: direct(
    'index',
    () => [x(), 0, '1:3'],
    () => [x(), null, [2, 0, -1]],
    () => [x(), ':', 1],
    () => [x(), [1, 0, 1]],
    () => [x(), { start: 1 }, [[2, 0]]],
  ),
  take: direct(
    'take',
    () => [x(), [1, 0, 1], 0],
    () => [x(), [[0, -1]], 1],
    () => [x(), 3],
  ),
  gather: direct('gather', () => [
    x(),
    1,
    tensor([
      [2, 0],
      [1, 1],
    ]),
  ]),
  scatter: direct(
    'scatter',
    () => [x(), 1, tensor([[2], [0]]), tensor([[7], [8]])],
    () => [x(), 0, tensor([[1, 0, 1]]), 9],
  ),
  scatterAdd: direct(
    'scatterAdd',
    () => [
      x(),
      1,
      tensor([
        [2, 2],
        [0, 1],
      ]),
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ],
    () => [x(), 0, tensor([[1, 1, 0]]), 2],
  ),
  indexSelect: direct(
    'indexSelect',
    () => [x(), 1, [2, 0]],
    () => [x(), 0, tensor([1, 1])],
  ),
  maskedFill: direct(
    'maskedFill',
    () => [x(), tensor([1, 0, 1]), 0],
    () => [x(), tensor([[1], [0]]), tensor(5)],
  ),
  maskedSelect: direct('maskedSelect', () => [x(), tensor([0, 1, 1])]),
  nonzero: direct('nonzero', () => [x().sub(3)]),
  concat: direct('concat', () => [[x(), x()], 1]),
  stack: direct('stack', () => [[x(), x()], 0]),
  astype: direct('astype', () => [x(), 'float64']),
  stopGradient: unary('stopGradient'),
  flip: direct(
    'flip',
    () => [x(), [0, -1]],
    () => [x(), 1],
  ),
  roll: direct(
    'roll',
    () => [x(), [1, -2], [0, 1]],
    () => [x(), 4],
  ),
  movedim: direct(
    'movedim',
    () => [x(), [0, 1], [1, 0]],
    () => [x(), 0, -1],
  ),
  swapaxes: direct('swapaxes', () => [x(), 0, -1]),
  split: direct(
    'split',
    () => [x(), 2, 1],
    () => [x(), [1, 2], -1],
  ),
  chunk: direct('chunk', () => [x(), 2, 1]),
  tile: direct('tile', () => [x(), [2, 1, 2]]),
  repeatInterleave: direct(
    'repeatInterleave',
    () => [x(), 2, 1],
    () => [x(), 3],
    () => [x(), [1, 0, 2], -1],
    () => [x(), tensor([2, 1]), 0],
  ),
  tril: direct('tril', () => [x(), -1]),
  triu: direct('triu', () => [x(), 1]),
  diag: direct(
    'diag',
    () => [row(), -1],
    () => [x(), 1],
  ),
  diagonal: direct('diagonal', () => [x(), 1, 1, 0]),
  trace: unary('trace'),
  pad: direct(
    'pad',
    () => [x(), [1, 1, 0, 1], { mode: 'reflect' }],
    () => [x(), [2, -1], { mode: 'constant', value: 3 }],
  ),
  meshgrid: direct(
    'meshgrid',
    () => [row(), row(), { indexing: 'xy' }],
    () => [row(), tensor(2)],
  ),
  conv1d: direct('conv1d', () => [
    line(),
    tensor([[[1, -1]]]),
    { bias: tensor([0.5]), stride: 1, padding: 'same', dilation: 1, groups: 1 },
  ]),
  conv2d: direct(
    'conv2d',
    () => [image(), filters(), { bias: tensor([1, 2]), stride: [1, 2], padding: 1, dilation: 1, groups: 1 }],
    () => [image().index(0), J.ones([2, 1, 1, 1]), { padding: 'valid', groups: 2 }],
  ),
  convTranspose2d: direct('convTranspose2d', () => [
    image(),
    filters(),
    { bias: tensor([1, 2]), stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 1 },
  ]),
  maxPool1d: direct('maxPool1d', () => [line(), { kernelSize: 2, stride: 1, padding: 1, dilation: 1, ceilMode: true }]),
  maxPool2d: direct('maxPool2d', () => [image(), { kernelSize: [2, 3], stride: 2, padding: 1, dilation: 1, ceilMode: true }]),
  avgPool1d: direct('avgPool1d', () => [line(), { kernelSize: 2, stride: 1, padding: 1, ceilMode: false, countIncludePad: false }]),
  avgPool2d: direct('avgPool2d', () => [image(), { kernelSize: 2, stride: [1, 2], padding: 1, ceilMode: true, countIncludePad: true }]),
  adaptiveAvgPool2d: direct(
    'adaptiveAvgPool2d',
    () => [image(), [2, null]],
    () => [image(), 1],
  ),
  interpolate: direct(
    'interpolate',
    () => [image(), { size: [5, 3], mode: 'bilinear', alignCorners: true }],
    () => [line(), { scaleFactor: 1.5, mode: 'nearest' }],
  ),
  einsum: direct(
    'einsum',
    () => ['ij,kj->ik', x(), x()],
    () => [
      'ii',
      tensor([
        [1, 2],
        [3, 4],
      ]),
    ],
    () => ['i,j', row(), row()],
    () => ['...j,j->...', x(), row()],
  ),
  scaledDotProductAttention: direct(
    'scaledDotProductAttention',
    () => [
      x(),
      x(),
      x(),
      {
        mask: tensor([
          [true, false],
          [true, true],
        ]),
        scale: 0.5,
        dropoutP: 0.1,
        rng: J.rng(1),
      },
    ],
    () => [x().unsqueeze(0), x(), x(), { isCausal: true }],
  ),
  linspace: direct('linspace', () => [0, 1, 5, { dtype: 'float64', requiresGrad: false }]),
  logspace: direct('logspace', () => [0, 2, 3, { base: 2, dtype: 'float32', requiresGrad: true }]),
  uniform: direct('uniform', () => [[2, 3], -1, 1, { dtype: 'float64', requiresGrad: false, rng: J.rng(1) }]),
  normal: direct('normal', () => [[2, 3], 1, 2, { dtype: 'float32', requiresGrad: true, rng: J.rng(1) }]),
  bernoulli: direct('bernoulli', () => [tensor([0, 0.5, 1]), { rng: J.rng(1) }]),
  randint: direct('randint', () => [-2, 5, [2, 3], { dtype: 'float64', requiresGrad: false, rng: J.rng(1) }]),
  multinomial: direct(
    'multinomial',
    () => [tensor([0.2, 0, 0.8]), 2, { replacement: false, rng: J.rng(1) }],
    () => [
      tensor([
        [1, 2],
        [3, 0],
      ]),
      3,
      { replacement: true },
    ],
  ),

  sum: reduction('sum'),
  mean: reduction('mean'),
  max: reduction('max'),
  min: reduction('min'),
  logSumExp: reduction('logSumExp'),
  softmax: direct('softmax', () => [x(), 0]),
  logSoftmax: direct('logSoftmax', () => [x(), -1]),
  argmax: direct('argmax', () => [x(), 1, true]),
  prod: reduction('prod'),
  variance: direct(
    'variance',
    () => [x(), 0, { correction: 0, keepdims: true }],
    () => [x(), [0, 1]],
  ),
  std: direct('std', () => [x(), -1, { correction: 1, keepdims: false }]),
  norm: direct(
    'norm',
    () => [x(), 3, 0, false],
    () => [x(), Infinity, [0, 1], true],
  ),
  argmin: direct('argmin', () => [x(), 1, true]),
  any: reduction('any'),
  all: reduction('all'),
  cumsum: direct('cumsum', () => [x(), 1]),
  cumprod: direct('cumprod', () => [x(), 0]),
  logCumSumExp: direct('logCumSumExp', () => [x(), -1]),
  cummax: direct('cummax', () => [x(), 1]),
  cummin: direct('cummin', () => [x(), 0]),
  sort: direct(
    'sort',
    () => [x(), -1, { descending: true, stable: false }],
    () => [row()],
  ),
  argsort: direct('argsort', () => [x(), 0, { descending: false, stable: true }]),
  topk: direct(
    'topk',
    () => [x(), 2, 1, { largest: false, sorted: true }],
    () => [row(), 1],
  ),
  broadcastShapes: direct('broadcastShapes', () => [[2, 1], [3]]),
  toArray: unary('toArray'),
  formatTensor: direct('formatTensor', () => [x(), { threshold: 4, edgeItems: 1 }]),

  noGrad: direct('noGrad', () => [() => leaf().mul(2)]),
  tidy: direct('tidy', () => [() => x().mul(2)]),
  keep: direct('keep', () => [x()]),
  isGradEnabled: direct('isGradEnabled', () => []),
  detectAnomaly: direct('detectAnomaly', () => [() => x().log()]),
  setDetectAnomaly: direct('setDetectAnomaly', () => [false]),
  vjp: {
    calls: [
      { name: 'vjp', args: () => [treeLoss(), x()], invoke: ([f, ...xs]) => fn(J.vjp)(f, ...xs) },
      {
        name: 'vjp',
        args: () => [treeDouble(), x(), x()],
        invoke: ([f, p, ct]) => J.vjp(f as J.TensorFunction, p as J.Tensor)[1](ct as J.Tensor),
      },
    ],
  },
  jvp: direct(
    'jvp',
    () => [treeDouble(), [x()], [x()]],
    () => [treeDouble(), [row(), 2], [row(), 1]],
    () => [treeDouble(), [{ w: row(), n: 2 }], [{ w: row(), n: null }]],
  ),
  grad: {
    calls: [
      { name: 'grad', args: () => [treeLoss(), { argnums: [0] }], invoke: ([f, o]) => fn(J.grad)(f, o) },
      { name: 'grad', args: () => [treeLoss(), undefined, x()], invoke: ([f, o, ...xs]) => fn(fn(J.grad)(f, o))(...xs) },
      {
        name: 'grad',
        args: () => [treeLoss(), { argnums: [1, 0] }, row(), row()],
        invoke: ([f, o, ...xs]) => fn(fn(J.grad)(f, o))(...xs),
      },
      {
        name: 'grad',
        args: () => [treeLossWithAux(), { hasAux: true }, { w: [row(), 1], b: null }],
        invoke: ([f, o, ...xs]) => fn(fn(J.grad)(f, o))(...xs),
      },
    ],
  },
  jit: {
    calls: [
      { name: 'jit', args: () => [scalarFn()], invoke: ([f]) => fn(J.jit)(f) },
      // The traced function returns its arguments: what is checked is jit's own handling of
      // hostile arguments (the function's own errors are the caller's).
      { name: 'jit', args: () => [(...a: unknown[]) => a, x(), { a: row(), s: 2 }], invoke: ([f, ...xs]) => fn(fn(J.jit)(f))(...xs) },
    ],
  },
  valueAndGrad: {
    calls: [
      { name: 'valueAndGrad', args: () => [treeLoss(), { argnums: [0] }], invoke: ([f, o]) => fn(J.valueAndGrad)(f, o) },
      {
        name: 'valueAndGrad',
        args: () => [treeLoss(), { argnums: [0] }, x()],
        invoke: ([f, o, ...xs]) => fn(fn(J.valueAndGrad)(f, o))(...xs),
      },
      {
        name: 'valueAndGrad',
        args: () => [treeLossWithAux(), { argnums: [0, 1], hasAux: true }, { w: x() }, [row()]],
        invoke: ([f, o, ...xs]) => fn(fn(J.valueAndGrad)(f, o))(...xs),
      },
    ],
  },
  jacobian: {
    calls: [
      { name: 'jacobian', args: () => [sinOfTree, { mode: 'forward' }], invoke: ([f, o]) => fn(J.jacobian)(f, o) },
      {
        name: 'jacobian',
        args: () => [sinOfTree, { mode: 'reverse' }, row()],
        invoke: ([f, o, t]) => fn(fn(J.jacobian)(f, o))(t),
      },
    ],
  },
  hessian: {
    calls: [
      { name: 'hessian', args: () => [scalarFn()], invoke: ([f]) => fn(J.hessian)(f) },
      { name: 'hessian', args: () => [treeLoss(), row()], invoke: ([f, t]) => fn(fn(J.hessian)(f))(t) },
    ],
  },
  vmap: {
    calls: [
      { name: 'vmap', args: () => [sinOfTree, { inAxes: [0], outAxes: -1 }], invoke: ([f, o]) => fn(J.vmap)(f, o) },
      {
        name: 'vmap',
        args: () => [
          (a: J.Tensor, b: J.PyTree) => J.treeMap((l) => (l instanceof J.Tensor ? l.mul(a) : l), b),
          { inAxes: [0, null], outAxes: 1 },
          x(),
          row(),
        ],
        invoke: ([f, o, ...xs]) => fn(fn(J.vmap)(f, o))(...xs),
      },
    ],
  },
  jacfwd: {
    calls: [
      { name: 'jacfwd', args: () => [sinOfTree], invoke: ([f]) => fn(J.jacfwd)(f) },
      { name: 'jacfwd', args: () => [sinOfTree, row()], invoke: ([f, t]) => fn(fn(J.jacfwd)(f))(t) },
    ],
  },
  jacrev: {
    calls: [
      { name: 'jacrev', args: () => [sinOfTree], invoke: ([f]) => fn(J.jacrev)(f) },
      { name: 'jacrev', args: () => [sinOfTree, row()], invoke: ([f, t]) => fn(fn(J.jacrev)(f))(t) },
    ],
  },
  customOp: {
    calls: [
      {
        name: 'customOp',
        args: () => [{ forward: (t: J.Tensor) => t.mul(2), vjp: (g: J.Tensor) => [g.mul(2)] }],
        invoke: ([d]) => fn(J.customOp)(d),
      },
      // The op's own errors carry the name it was given. It takes pytrees: a hostile value that
      // is still a tree reaches forward, which doubles every tensor leaf of any tree, so every
      // error must be the op's own.
      {
        name: 'double',
        args: () => [{ w: row(), s: 2, none: null }],
        invoke: (xs) =>
          fn(
            J.customOp({
              name: 'double',
              forward: (...args: J.PyTree[]) => treeDouble()(...args),
              vjp: (g: J.PyTree, args: J.PyTree[]) => args.map(() => J.treeMap((l) => (l instanceof J.Tensor ? l.mul(2) : null), g)),
            }),
          )(...xs),
      },
    ],
  },
  // Pytrees: a hostile value anywhere in a tree is a typed error naming the function.
  treeFlatten: direct('treeFlatten', () => [{ w: x(), b: [row(), 1, null] }]),
  treeUnflatten: direct('treeUnflatten', () => [J.treeFlatten([x(), { a: 1 }])[1], [x(), 2]]),
  treeLeaves: direct('treeLeaves', () => [[x(), { a: row() }]]),
  treeMap: direct('treeMap', () => [(a: unknown, b: unknown) => [a, b], { w: x(), b: [row()] }, { w: x(), b: [row()] }]),
  ravel: {
    calls: [
      { name: 'ravel', args: () => [{ w: x(), b: [row(), 1, null] }], invoke: ([t]) => fn(J.ravel)(t) },
      // unravel's errors name ravel, the export the caller called first.
      {
        name: 'ravel',
        args: () => [{ w: x(), b: row() }, tensor([1, 2, 3, 4, 5, 6, 7, 8, 9])],
        invoke: ([t, v]) => (fn(J.ravel)(t) as [unknown, (v: unknown) => unknown])[1](v),
      },
    ],
  },
  TreeDef: 'class',
  // Each attempt builds its own graph from a fresh leaf, so a released graph is never reused.
  gradients: {
    calls: [
      {
        name: 'gradients',
        args: () => {
          const w = leaf();
          return [w.mul(w).sum(), { w }, { gradOutputs: 1, retainGraph: false, createGraph: false, allowUnused: false }];
        },
        invoke: ([o, i, opts]) => fn(J.gradients)(o, i, opts),
      },
    ],
  },
  gradcheck: direct('gradcheck', () => [
    (t: J.Tensor) => t.sin().sum(),
    [tensor([0.5, 1], { dtype: 'float64' })],
    { eps: 1e-6, atol: 1e-5, rtol: 1e-3, secondOrder: false, throwOnFailure: false, seed: 3 },
  ]),
  toDot: direct('toDot', () => [leaf().mul(2).sum()]),
  toMermaid: direct('toMermaid', () => [leaf().mul(2).sum()]),
  // Switching the backend is setBackend's purpose: the active one is compared only on failure.
  setBackend: { calls: [{ name: 'setBackend', args: () => [J.getBackend()], invoke: ([b]) => fn(J.setBackend)(b), mutates: true }] },
  getBackend: direct('getBackend', () => []),
  backendMemoryBytes: direct('backendMemoryBytes', () => []),
  isConcrete: direct('isConcrete', () => [x()]),
  registerBackend: direct('registerBackend', () => [testBackend()]),
  createWasmBackend: direct('createWasmBackend', () => [
    { threads: 1, relaxedSimd: false, smallToFallback: true, threadThreshold: 2 ** 22 },
  ]),
  supportsRelaxedSimd: direct('supportsRelaxedSimd', () => []),
};

/** Tensor members without a free function of the same name: the receiver is the first argument. */
type MethodName = Exclude<keyof J.Tensor, '_view' | '_trace' | '_owns' | '_handle' | '_scope'>;
const member = (name: string, args: () => Args, mutates = false): Call => ({
  name,
  args,
  mutates,
  method: true,
  invoke: ([self, ...rest]) => fn((self as Record<string, unknown>)[name]).call(self, ...rest),
});
const getter = (name: string, self: () => J.Tensor): Call => ({
  name,
  args: () => [self()],
  method: true,
  invoke: ([t]) => (t as Record<string, unknown>)[name],
});
const setter = (name: string, self: () => J.Tensor, value: unknown): Call => ({
  name,
  args: () => [self(), value],
  mutates: true,
  method: true,
  invoke: ([t, v]) => {
    (t as Record<string, unknown>)[name] = v;
  },
});
// `grad` is both a free function (the transform) and a Tensor accessor (the gradient).
const METHOD_CALLS: { readonly [K in Exclude<MethodName, keyof typeof J> | 'grad']: readonly Call[] } = {
  shape: [getter('shape', x)],
  dtype: [getter('dtype', x)],
  size: [getter('size', x)],
  ndim: [getter('ndim', x)],
  T: [getter('transpose', x)],
  isLeaf: [getter('isLeaf', leaf)],
  data: [member('data', () => [x()])],
  realize: [member('realize', () => [x()])],
  dispose: [member('dispose', () => [x()], true)],
  [Symbol.dispose]: [
    {
      name: 'Symbol.dispose',
      args: () => [x()],
      mutates: true,
      method: true,
      invoke: ([t]) => fn((t as J.Tensor)[Symbol.dispose]).call(t),
    },
  ],
  isDisposed: [getter('isDisposed', x)],
  item: [member('item', () => [tensor([3])])],
  var: [member('var', () => [x(), 0, { correction: 0, keepdims: true }])],
  toString: [member('toString', () => [x()])],
  detach: [member('detach', () => [leaf().mul(2)])],
  // The receiver is computed from the leaf inside the call, so that the leaf (whose .grad a
  // failed backward must not touch) is among the watched arguments.
  backward: [
    {
      name: 'backward',
      args: () => [leaf(), { gradient: tensor([1, 1], { dtype: 'float64' }), retainGraph: false, createGraph: false }],
      invoke: ([w, opts]) => (w as J.Tensor).mul(2).backward(opts as J.BackwardOptions),
      mutates: true,
      method: true,
    },
  ],
  assign: [member('assign', () => [leaf(), tensor([3, 4], { dtype: 'float64' })], true)],
  // NOTE: the receivers already hold the good values (null, true), so a good set changes nothing.
  grad: [getter('grad', leaf), setter('grad', leaf, null)],
  requiresGrad: [getter('requiresGrad', leaf), setter('requiresGrad', leaf, true)],
};

const entryCalls = (e: Entry): readonly Call[] => (typeof e === 'string' ? [] : e.calls);
const methodNames = Object.getOwnPropertyNames(Tensor.prototype).filter((n) => n !== 'constructor');
const METHODS: [string, readonly Call[]][] = methodNames.map((name) => {
  const own = (METHOD_CALLS as Record<string, readonly Call[]>)[name];
  if (own !== undefined) return [name, own];
  // The method shares the free function's calls; its errors carry the same name.
  return [name, entryCalls((CALLS as Record<string, Entry>)[name] ?? { calls: [] }).map((c) => member(c.name, c.args, c.mutates))];
});
const FUNCTIONS: [string, readonly Call[]][] = Object.entries(CALLS).map(([name, e]) => [name, entryCalls(e)]);

/** A path to an argument: a top-level index, or an index and a key inside a plain array or object. */
type Position = readonly [number] | readonly [number, string | number];

function isPlain(v: unknown): v is Record<string, unknown> | unknown[] {
  if (Array.isArray(v)) return true;
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function positionsOf(call: Call, args: Args): Position[] {
  const out: Position[] = [];
  args.forEach((a, i) => {
    if (call.method && i === 0) return;
    out.push([i]);
    if (Array.isArray(a)) a.forEach((_, j) => out.push([i, j]));
    else if (isPlain(a)) for (const k of Object.keys(a)) out.push([i, k]);
  });
  return out;
}

function substitute(args: Args, at: Position, value: unknown): Args {
  const out = [...args];
  if (at.length === 1) {
    out[at[0]] = value;
    return out;
  }
  const inner = out[at[0]];
  const copy = (Array.isArray(inner) ? [...(inner as unknown[])] : { ...(inner as object) }) as Record<string | number, unknown>;
  copy[at[1]] = value;
  out[at[0]] = copy;
  return out;
}

/** Every tensor an argument list holds, at the top level or one level inside. */
function tensorsIn(args: Args): J.Tensor[] {
  const out: J.Tensor[] = [];
  for (const a of args) {
    if (a instanceof Tensor) out.push(a);
    else if (isPlain(a)) for (const v of Object.values(a)) if (v instanceof Tensor) out.push(v);
  }
  return out;
}

function snapshotTensor(t: J.Tensor): unknown {
  const grad = t.grad;
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    data: Array.from(t.data()),
    requiresGrad: t.requiresGrad,
    grad: grad === null ? null : Array.from(grad.data()),
  };
}

/** Runs one call with `args`; returns what went wrong, or null. */
function check(call: Call, args: Args): string | null {
  const watched = tensorsIn(args);
  const before = watched.map(snapshotTensor);
  const globals = snapshotGlobals();
  let threw = false;
  const violation = contractViolation(call.name, () => {
    try {
      call.invoke(args);
    } catch (e) {
      threw = true;
      // A user callback's own error passes through unchanged: that is not the library's error.
      if (e instanceof Error && e.message === 'thrown by a user callback') return;
      throw e;
    }
  });
  const globalsAfter = snapshotGlobals();
  // Undo what a successful call may legitimately change, so that no state leaks to the next.
  J.setDetectAnomaly(false);
  J.setBackend(globals.backend);
  if (violation !== null) return violation;
  if (threw || !call.mutates) {
    const after = watched.map(snapshotTensor);
    const changed = after.findIndex((s, i) => JSON.stringify(s) !== JSON.stringify(before[i]));
    if (changed >= 0)
      return `${threw ? 'failed but ' : ''}changed input tensor ${changed}: ${JSON.stringify(before[changed])} -> ${JSON.stringify(after[changed])}`;
    if (JSON.stringify(globalsAfter) !== JSON.stringify(globals))
      return `changed global state: ${JSON.stringify(globals)} -> ${JSON.stringify(globalsAfter)}`;
  }
  return null;
}

/** Each bad value in each position of each call; returns the violations found. */
function sweep(label: string, calls: readonly Call[]): string[] {
  const found: string[] = [];
  calls.forEach((call, c) => {
    const good = check(call, call.args());
    if (good !== null) found.push(`${label} (call ${c}) with good arguments: ${good}`);
    for (const at of positionsOf(call, call.args())) {
      for (const bad of BAD_VALUES) {
        const v = check(call, substitute(call.args(), at, bad.make()));
        if (v !== null) found.push(`${label} (call ${c}) with ${bad.label} at [${at.join('.')}]: ${v}`);
      }
    }
  });
  return found;
}

afterEach(() => J.setDetectAnomaly(false));

describe('every export of @jacobi/tensor and @jacobi/tensor/wasm', () => {
  it('has an entry in the table (a new export must get one)', () => {
    const names = [...Object.keys(J), ...Object.keys(W)].sort();
    expect(Object.keys(CALLS).sort()).toEqual(names);
    const methods = methodNames.filter((n) => !(n in METHOD_CALLS) && !(n in CALLS));
    expect(methods).toEqual([]);
  });
  it('keeps the error classes under JacobiError, and the constants numbers or frozen records of them', () => {
    for (const [name, entry] of Object.entries(CALLS)) {
      const value = (J as Record<string, unknown>)[name] ?? (W as Record<string, unknown>)[name];
      if (entry === 'error class')
        expect(value === J.JacobiError || (value as { prototype: unknown }).prototype instanceof J.JacobiError, name).toBe(true);
      if (entry === 'constant' && typeof value === 'object' && value !== null) {
        expect(Object.isFrozen(value), name).toBe(true);
        expect(Object.values(value).every((v) => typeof v === 'number') && Object.keys(value).length > 0, name).toBe(true);
      } else if (entry === 'constant') expect(typeof value, name).toBe('number');
    }
  });
  it.each(FUNCTIONS.filter(([, calls]) => calls.length > 0))(
    '%s keeps the contract with each bad value in each position',
    (name, calls) => {
      expect(sweep(name, calls)).toEqual([]);
    },
  );
});

describe('every method, getter and setter of Tensor', () => {
  it.each(METHODS)('%s keeps the contract with each bad value in each position', (name, calls) => {
    expect(calls.length, `${name} has no calls`).toBeGreaterThan(0);
    expect(sweep(`Tensor.prototype.${name}`, calls)).toEqual([]);
  });
});

describe('pairs of bad values', () => {
  const all: [string, Call][] = [...FUNCTIONS, ...METHODS].flatMap(([n, calls]) => calls.map((c): [string, Call] => [n, c]));
  it('keep the contract in any two positions of any call', () => {
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.nat(), fc.nat(), badValue, badValue, ([label, call], i, j, b1: BadValue, b2: BadValue) => {
        const positions = positionsOf(call, call.args());
        if (positions.length === 0) return;
        // NOTE: the deeper position first: a top-level value replaces what lies inside it, and
        // a position inside a hostile value (a huge sparse array) must never be copied into.
        const [p, q] = [positions[i % positions.length]!, positions[j % positions.length]!].sort((a, b) => b.length - a.length) as [
          Position,
          Position,
        ];
        const args = substitute(substitute(call.args(), p, b1.make()), q, b2.make());
        const v = check(call, args);
        if (v !== null)
          throw new Error(`${label} with ${b1.label} at [${p.join('.')}] and ${b2.label} at [${q.join('.')}]: ${v} (${show(args)})`);
      }),
      { numRuns: runs(300) },
    );
  });
});
