// The op table: one row per primitive, keyed by the registry (a primitive without a row is a
// compile error), and one per public composite. op-table.test.ts runs the rows; op-registry.test.ts
// checks that every public op appears in some row.
import fc from 'fast-check';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { PrimitiveName } from '../src/prims/registry.js';
import { broadcastPairArb, shapeArb, tensorArb, type Domain } from './support.js';

export interface OpSpec {
  name: string;
  /** The public functions this row exercises (checked against the exports). */
  ops: readonly string[];
  /** Input tensors for one case. */
  inputs: fc.Arbitrary<Tensor[]>;
  fn: (...xs: Tensor[]) => Tensor;
  /** Smooth on its domain: check second derivatives too. */
  smooth: boolean;
  /** Finite-difference step, where the op rounds through float32 (its ulp swamps 1e-6 steps). */
  eps?: number;
}

const unary = (name: string, fn: (x: Tensor) => Tensor, domain: Domain, smooth = true): OpSpec => ({
  name,
  ops: [name.split(' ')[0]!],
  inputs: shapeArb()
    .chain((s) => tensorArb(s, domain))
    .map((x) => [x]),
  fn: fn as OpSpec['fn'],
  smooth,
});

const binary = (name: string, fn: (x: Tensor, y: Tensor) => Tensor, dx: Domain, dy: Domain, smooth = true): OpSpec => ({
  name,
  ops: [name.split(' ')[0]!],
  inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, dx), tensorArb(b, dy))),
  fn: fn as OpSpec['fn'],
  smooth,
});

/** A tensor with distinct entries (spaced ≥ 0.1 apart) so max/min/maximum have no ties. */
const distinctArb = (shape: readonly number[]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc
    .shuffledSubarray(
      Array.from({ length: 40 }, (_, i) => i / 10 - 2),
      { minLength: size, maxLength: size },
    )
    .map((v) => J.tensor(Float64Array.from(v), { shape, dtype: 'float64' }));
};

/** An axis size in 1..3. */
const smallDim = fc.integer({ min: 1, max: 3 });
const matrixShapes = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));

// Rows shared by several primitives (a layout primitive is best tested with its composites).
const maximumMinimum: OpSpec = {
  name: 'maximum / minimum (no ties)',
  ops: ['maximum', 'minimum'],
  inputs: shapeArb()
    .chain((s) => fc.tuple(distinctArb(s), distinctArb(s)))
    .filter(([a, b]) => a.sub(b).abs().min().item() > 0.05),
  fn: (x, y) => J.maximum(x, y).add(J.minimum(x, y).mul(2)),
  smooth: false,
};
const whereRow: OpSpec = {
  name: 'where (constant condition)',
  ops: ['where'],
  inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, 'awayFromZero'), tensorArb(b, 'any'))),
  fn: (x, y) => J.where(J.greater(x.detach(), 0), x.mul(x), y),
  smooth: true,
};
const matmul2d: OpSpec = {
  name: 'matmul 2-D',
  ops: ['matmul'],
  inputs: matrixShapes.chain(([m, k, n]) => fc.tuple(tensorArb([m, k], 'any'), tensorArb([k, n], 'any'))),
  fn: J.matmul,
  smooth: true,
};
const transposeRow: OpSpec = {
  name: 'transpose / .T',
  ops: ['transpose'],
  inputs: shapeArb(3)
    .chain((s) => tensorArb(s, 'any'))
    .map((x) => [x]),
  fn: (x) => J.transpose(x).mul(J.transpose(x)).add(x.T),
  smooth: true,
};
const reshapeRow: OpSpec = {
  name: 'reshape / flatten / squeeze / expandDims / unsqueeze',
  ops: ['reshape', 'flatten', 'squeeze', 'expandDims', 'unsqueeze'],
  inputs: shapeArb()
    .chain((s) => tensorArb(s, 'any'))
    .map((x) => [x]),
  fn: (x) =>
    J.unsqueeze(J.expandDims(J.squeeze(J.reshape(x, [-1, 1])), 0), -1)
      .sum(-1)
      .mul(J.flatten(x).exp()),
  smooth: true,
};
const broadcastRow: OpSpec = {
  name: 'broadcastTo',
  ops: ['broadcastTo'],
  inputs: shapeArb(2)
    .chain((s) => tensorArb(s, 'any'))
    .map((x) => [x]),
  fn: (x) => J.broadcastTo(x, [2, ...x.shape]).mul(J.broadcastTo(x, [2, ...x.shape]).sin()),
  smooth: true,
};
// Second order runs the VJP of slice's VJP, i.e. unslice in both modes.
const sliceRow: OpSpec = {
  name: 'slice / index (steps, negative steps, dropped axes)',
  ops: ['slice', 'index'],
  inputs: fc
    .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }))
    .chain(([a, b]) => tensorArb([a, b], 'any'))
    .map((x) => [x]),
  fn: (x) =>
    J.slice(x, 0, 1)
      .sum(0)
      .mul(J.index(x, '::-1', 0).sum())
      .add(J.index(x, -1, '::2').square().sum()),
  smooth: true,
};
const concatRow: OpSpec = {
  name: 'concat / stack',
  ops: ['concat', 'stack'],
  inputs: fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .chain(([a, b]) => fc.tuple(tensorArb([a, b], 'any'), tensorArb([a, 2], 'any'), tensorArb([a, b], 'any'))),
  fn: (x, y, z) =>
    J.concat([x, y, x.mul(z)], 1)
      .square()
      .sum(0)
      .add(J.stack([x, z], 1).sum([0, 2]).sum()),
  smooth: true,
};
// Repeated and negative positions; second order runs take's VJP (untake) in both modes.
const takeRow: OpSpec = {
  name: 'take / index with an integer array (repeats accumulate)',
  ops: ['take', 'index'],
  inputs: fc
    .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }))
    .chain(([a, b]) => tensorArb([a, b], 'any'))
    .map((x) => [x]),
  fn: (x) =>
    J.take(x, [1, 0, 1, -1], 0)
      .square()
      .sum(0)
      .mul(J.take(x, [[0, 0]]).sum())
      .add(x.index(null, [0, 0]).sin().sum()),
  smooth: true,
};
// im2col's primitives through conv2d: second order runs fold (unfold's VJP) and unfold again in both modes.
const convRow: OpSpec = {
  name: "conv2d (bias, padding, stride; groups, dilation, 'same')",
  ops: ['conv2d'],
  inputs: fc
    .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 3, max: 4 }), fc.integer({ min: 3, max: 4 }))
    .chain(([n, h, w]) =>
      fc.tuple(tensorArb([n, 2, h, w], 'any'), tensorArb([2, 2, 2, 2], 'any'), tensorArb([2, 1, 2, 2], 'any'), tensorArb([2], 'any')),
    ),
  fn: (x, w, w1, b) =>
    J.conv2d(x, w, { bias: b, padding: 1, stride: [1, 2] })
      .sin()
      .sum()
      .add(
        J.conv2d(x, w1, { groups: 2, padding: 'same', dilation: [2, 1] })
          .square()
          .sum(),
      ),
  smooth: true,
};
// Positions traced by jit (an input of the traced function) take the takeIndexed primitive;
// second order runs its VJP (untakeIndexed) and that one's VJP in both modes.
const jitStopGradient = J.jit((x: J.Tensor) => J.stopGradient(x).mul(x.detach()));
const jitTake = J.jit((x: J.Tensor, i: J.Tensor) => J.take(x, i, 0));
const takeIndexedRow: OpSpec = {
  name: 'take with positions traced by jit (repeats and negative positions)',
  ops: ['take'],
  inputs: fc
    .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }))
    .chain(([a, b]) => tensorArb([a, b], 'any'))
    .map((x) => [x]),
  fn: (x) =>
    jitTake(
      x,
      J.tensor(
        [
          [1, 0],
          [1, -1],
        ],
        { dtype: 'int32' },
      ),
    )
      .square()
      .sum(0)
      .mul(jitTake(x, J.tensor([0, 0], { dtype: 'int32' })).sum())
      .sum(),
  smooth: true,
};
const astypeRow: OpSpec = {
  ...unary('astype float64→float32→float64', (x) => x.astype('float32').astype('float64').mul(x), 'any'),
  eps: 1e-2,
};
const sumRow = unary('sum (all, axis, keepdims)', (x) => x.sum().add(x.ndim > 0 ? J.sum(x.square(), 0, true).sum() : 0), 'any');
const maxMin: OpSpec = {
  name: 'max / min over axes (no ties)',
  ops: ['max', 'min'],
  inputs: shapeArb()
    .filter((s) => s.length > 0)
    .chain((s) => distinctArb(s))
    .map((x) => [x]),
  fn: (x) => J.max(x, -1).add(J.min(x, -1).mul(3)).sum().add(J.max(x)),
  smooth: false,
};

// sort's values are permuteAlong of the input; second order runs the VJP's VJP (the inverse's inverse).
const sortRow: OpSpec = {
  name: 'sort / topk values (no ties)',
  ops: ['sort', 'topk'],
  inputs: shapeArb()
    .chain((s) => distinctArb(s))
    .map((x) => [x]),
  fn: (x) =>
    J.sort(x, -1)[0]
      .mul(x)
      .add(J.sort(x, 0, { descending: true })[0].square())
      .sum()
      .add(
        J.topk(x, x.ndim > 0 ? Math.min(2, x.shape[x.ndim - 1]!) : 1)[0]
          .exp()
          .sum(),
      ),
  smooth: true,
};

/**
 * A primitive whose output is a constant to autodiff (comparisons): no row for gradcheck,
 * but a property that both modes treat it as one (d/dx [c(x)·x] = c(x)).
 */
export interface ConstantSpec {
  name: string;
  ops: readonly string[];
  constant: (x: Tensor) => Tensor;
}
const constant = (name: string, c: (x: Tensor) => Tensor): ConstantSpec => ({ name, ops: [name], constant: c });

/**
 * A piecewise-constant op (or frac) times x, at x + 0.0005: off the 0.001 grid of the generated
 * values, so no input sits on an integer or a half (a jump), and the zero rule must compose.
 */
const offGrid = (name: string, f: (x: Tensor) => Tensor): OpSpec => unary(name, (x) => f(x.add(0.0005)).mul(x), 'any');

/** One row per primitive: the compiler rejects a primitive without one. */
export const primitiveRows: { readonly [P in PrimitiveName]: OpSpec | ConstantSpec } = {
  neg: unary('neg', J.neg, 'any'),
  exp: unary('exp', J.exp, 'any'),
  log: unary('log', J.log, 'positive'),
  sqrt: unary('sqrt', J.sqrt, 'positive'),
  abs: unary('abs', J.abs, 'awayFromZero', false),
  sign: unary('sign (gradient 0, as PyTorch)', (x) => J.sign(x).mul(x), 'awayFromZero'),
  tanh: unary('tanh', J.tanh, 'any'),
  sigmoid: unary('sigmoid', J.sigmoid, 'any'),
  sin: unary('sin', J.sin, 'any'),
  cos: unary('cos', J.cos, 'any'),
  add: binary('add', J.add, 'any', 'any'),
  sub: binary('sub', J.sub, 'any', 'any'),
  mul: binary('mul', J.mul, 'any', 'any'),
  div: binary('div', J.div, 'any', 'awayFromZero'),
  pow: binary('pow', J.pow, 'positive', 'any'),
  maximum: maximumMinimum,
  greater: constant('greater', (x) => J.greater(x, 0.1)),
  greaterEqual: constant('greaterEqual', (x) => J.greaterEqual(x, 0.1)),
  less: constant('less', (x) => J.less(x, 0.1)),
  lessEqual: constant('lessEqual', (x) => J.lessEqual(x, 0.1)),
  equal: constant('equal', (x) => J.equal(x, x.detach())),
  notEqual: constant('notEqual', (x) => J.notEqual(x, 0.1)),
  // Eagerly stopGradient drops traces; inside jit it is this primitive, replayed under the transforms.
  stopGradient: constant('stopGradient', (x) => jitStopGradient(x)),
  where: whereRow,
  reshape: reshapeRow,
  transpose: transposeRow,
  broadcastTo: broadcastRow,
  slice: sliceRow,
  unslice: sliceRow,
  concat: concatRow,
  cast: astypeRow,
  matmul: matmul2d,
  sum: sumRow,
  max: maxMin,
  take: takeRow,
  untake: takeRow,
  takeIndexed: takeIndexedRow,
  untakeIndexed: takeIndexedRow,
  unfold: convRow,
  fold: convRow,
  floor: offGrid('floor', J.floor),
  ceil: offGrid('ceil', J.ceil),
  round: offGrid('round', J.round),
  trunc: offGrid('trunc', J.trunc),
  tan: unary('tan', J.tan, 'unit'),
  asin: unary('asin', J.asin, 'unit'),
  acos: unary('acos', J.acos, 'unit'),
  atan: unary('atan', J.atan, 'any'),
  sinh: unary('sinh', J.sinh, 'any'),
  cosh: unary('cosh', J.cosh, 'any'),
  asinh: unary('asinh', J.asinh, 'any'),
  acosh: unary('acosh', (x) => J.acosh(x.add(1)), 'positive'),
  atanh: unary('atanh', J.atanh, 'unit'),
  log2: unary('log2', J.log2, 'positive'),
  log10: unary('log10', J.log10, 'positive'),
  log1p: unary('log1p', (x) => J.log1p(x.sub(0.1)), 'positive'),
  expm1: unary('expm1', J.expm1, 'any'),
  exp2: unary('exp2', J.exp2, 'any'),
  // The branch cut is y = 0, x ≤ 0: keep x > 0 here, y ≠ 0 in the composite row.
  atan2: binary('atan2', J.atan2, 'any', 'positive'),
  erf: unary('erf', J.erf, 'any'),
  erfc: unary('erfc', J.erfc, 'any'),
  erfinv: unary('erfinv', J.erfinv, 'unit'),
  copysign: binary('copysign', (x, y) => J.copysign(x, y).mul(y), 'awayFromZero', 'awayFromZero'),
  hypot: binary('hypot', J.hypot, 'awayFromZero', 'any'),
  argsort: constant('argsort', (x) => J.argsort(x, -1, { descending: true })),
  permuteAlong: sortRow,
  cumsum: unary('cumsum', (x) => J.cumsum(x, -1).mul(J.cumsum(x, 0)), 'any'),
  // The bitwise primitives see int32 or bool operands, made from x: constants, as every integer result.
  bitwiseAnd: constant('bitwiseAnd', (x) => J.bitwiseAnd(J.greater(x, 0), J.less(x, 1))),
  bitwiseOr: constant('bitwiseOr', (x) => J.bitwiseOr(J.greater(x, 0).astype('int32'), 2)),
  bitwiseXor: constant('bitwiseXor', (x) => J.bitwiseXor(J.greater(x, 0), J.less(x, 1))),
  bitwiseNot: constant('bitwiseNot', (x) => J.bitwiseNot(J.greater(x, 0).astype('int32'))),
  leftShift: constant('leftShift', (x) => J.leftShift(J.greater(x, 0).astype('int32'), 3)),
  rightShift: constant('rightShift', (x) => J.rightShift(J.greater(x, 0).astype('int32').mul(12), 2)),
};

// Index tensors of integer values, fixed for the shapes the row draws ([a, b], a, b ≥ 2).
const gatherFamily: OpSpec = {
  name: 'gather / scatter / scatterAdd / indexSelect / maskedFill / maskedSelect',
  ops: ['gather', 'scatter', 'scatterAdd', 'indexSelect', 'maskedFill', 'maskedSelect'],
  inputs: fc
    .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }))
    .chain(([a, b]) => fc.tuple(tensorArb([a, b], 'any'), tensorArb([a, 1], 'any'))),
  fn: (x, s) => {
    const a = x.shape[0]!;
    const rows = J.tensor(Array.from({ length: a }, (_, i) => [(i + 1) % 2, 0, 1].slice(0, x.shape[1]!)));
    const picked = J.gather(x, 1, rows).square().sum();
    const column = J.tensor(Array.from({ length: a }, (_, i) => [i % 2]));
    const added = J.scatterAdd(x, 1, rows, x.sin())
      .mul(J.scatter(x, 1, column, s))
      .sum();
    const mask = J.tensor(Array.from({ length: x.shape[1]! }, (_, j) => j % 2 === 1));
    return picked
      .add(added)
      .add(
        J.indexSelect(x, 0, [a - 1, 0, a - 1])
          .cos()
          .sum(),
      )
      .add(J.maskedFill(x, mask, 2).mul(x).sum())
      .add(J.maskedSelect(x, mask).exp().sum());
  },
  smooth: true,
};

/** The public composites (and extra cases of primitives), each a row. */
export const compositeRows: readonly OpSpec[] = [
  gatherFamily,
  unary('relu', J.relu, 'awayFromZero', false),
  unary('reciprocal', J.reciprocal, 'awayFromZero'),
  unary('square', J.square, 'any'),
  // Bounds off the 3-decimal grid of the generated values, so no input sits on a kink.
  unary('clamp', (x) => J.clamp(x, -0.4567, 0.4567), 'awayFromZero', false),
  unary('pow (number exponent)', (x) => J.pow(x, 3), 'any'),
  {
    name: 'matmul vector·matrix and matrix·vector',
    ops: ['matmul'],
    inputs: matrixShapes.chain(([m, k]) => fc.tuple(tensorArb([k], 'any'), tensorArb([k, m], 'any'), tensorArb([m, k], 'any'))),
    fn: (v, a, b) =>
      J.matmul(v, a)
        .sum()
        .add(J.matmul(b, v).mul(J.matmul(v, v)).sum()),
    smooth: true,
  },
  {
    name: 'matmul batched with broadcast batch dimensions',
    ops: ['matmul'],
    inputs: matrixShapes.chain(([m, k, n]) => fc.tuple(tensorArb([2, 1, m, k], 'any'), tensorArb([3, k, n], 'any'))),
    fn: J.matmul,
    smooth: true,
  },
  unary('mean', (x) => (x.ndim > 0 ? J.mean(x.exp(), -1) : J.mean(x)), 'any'),
  unary('logSumExp', (x) => (x.ndim > 0 ? J.logSumExp(x, -1) : J.logSumExp(x.reshape([1]))), 'any'),
  unary('softmax', (x) => (x.ndim > 0 ? J.softmax(x, -1).mul(x) : J.softmax(x.reshape([1]))), 'any'),
  unary('logSoftmax', (x) => (x.ndim > 0 ? J.logSoftmax(x, 0) : J.logSoftmax(x.reshape([1]))), 'any'),
  // x/y kept off the integers (where remainder and fmod jump): y in [0.2, 3] and x shifted off the grid.
  binary('remainder', (x, y) => J.remainder(x.add(0.0005), y.mul(0.5)), 'any', 'positive', false),
  binary('fmod', (x, y) => J.fmod(x.add(0.0005), y.mul(-0.5)), 'any', 'positive', false),
  binary('floorDivide', (x, y) => J.floorDivide(x.add(0.0005), y).mul(x), 'any', 'positive', false),
  // Elementwise math (ops/math.ts). Kinked ops get inputs away from their kinks.
  binary('atan2 (every quadrant, off the branch cut)', J.atan2, 'awayFromZero', 'any'),
  offGrid('frac', J.frac),
  unary('softplus', (x) => J.softplus(x.add(0.0005), 2, 3).add(J.softplus(x)), 'any'),
  unary('silu', J.silu, 'any'),
  unary('logSigmoid', J.logSigmoid, 'any'),
  unary('elu', (x) => J.elu(x, 1.5), 'awayFromZero'),
  unary('selu', J.selu, 'awayFromZero'),
  unary('celu', (x) => J.celu(x, 0.5), 'awayFromZero'),
  unary('hardSigmoid', (x) => J.hardSigmoid(x.mul(2).add(0.0005)).mul(x), 'any'),
  unary('hardSwish', (x) => J.hardSwish(x.mul(2).add(0.0005)), 'any'),
  unary('mish', J.mish, 'any'),
  unary('softsign', J.softsign, 'awayFromZero'),
  unary('relu6', (x) => J.relu6(x.mul(4).add(0.0005)).mul(x), 'any'),
  unary('hardTanh', (x) => J.hardTanh(x, -0.4567, 1.2345).mul(x), 'any'),
  binary('logAddExp', J.logAddExp, 'any', 'any'),
  {
    name: 'logAddExp (ties)',
    ops: ['logAddExp'],
    inputs: shapeArb()
      .chain((s) => tensorArb(s, 'any'))
      .map((x) => [x]),
    fn: (x) => J.logAddExp(x, x.mul(1)).add(J.logAddExp(x.square(), x.square())),
    smooth: true,
  },
  {
    name: 'lerp (tensor and number weights)',
    ops: ['lerp'],
    inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, 'any'), tensorArb(b, 'any'), tensorArb(b, 'any'))),
    fn: (x, y, w) => J.lerp(x, y, w).add(J.lerp(x, y, 0.75)),
    smooth: true,
  },
  {
    name: 'clamp (tensor bounds, min > max in places)',
    ops: ['clamp'],
    inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, 'any'), tensorArb(b, 'any'), tensorArb(b, 'any'))),
    // Bounds off the 0.001 grid of x, so that no input sits on a kink.
    fn: (x, lo, hi) => J.clamp(x, lo.add(0.0005), hi.add(0.0007)),
    smooth: false,
  },
  unary('gelu (exact and tanh)', (x) => J.gelu(x).add(J.gelu(x.mul(2), { approximate: 'tanh' })), 'any'),
  // Reductions and scans (statistics.ts, scan.ts); 0-d inputs take axis 0 or -1 as PyTorch does.
  unary('prod (all, axis, keepdims)', (x) => J.prod(x).add(J.prod(x, -1, true).sum()), 'any'),
  {
    name: 'variance / std (distinct entries, so the variance is positive)',
    ops: ['variance', 'std'],
    inputs: shapeArb()
      .filter((s) => s.length > 0 && s[s.length - 1]! > 1)
      .chain((s) => distinctArb(s))
      .map((x) => [x]),
    fn: (x) =>
      J.variance(x, -1)
        .add(J.std(x, -1, { correction: 0, keepdims: false }))
        .sum()
        .add(J.variance(x, undefined, { correction: 0 })),
    smooth: true,
  },
  unary(
    'norm p = 2, 1, 3, 0.5 (away from zero)',
    (x) =>
      J.norm(x)
        .add(J.norm(x, 1))
        .add(J.norm(x, 3, -1).sum())
        .add(J.norm(x, 0.5)),
    'awayFromZero',
  ),
  {
    name: 'norm p = ±Infinity (no ties)',
    ops: ['norm'],
    inputs: shapeArb()
      .chain((s) => distinctArb(s))
      .map((x) => [x.add(2.05)]),
    fn: (x) => J.norm(x, Infinity, -1).sum().add(J.norm(x, -Infinity)),
    smooth: false,
  },
  unary('cumprod', (x) => J.cumprod(x, 0), 'any'),
  unary('logCumSumExp', (x) => J.logCumSumExp(x, -1), 'any'),
  {
    name: 'cummax / cummin values (no ties)',
    ops: ['cummax', 'cummin'],
    inputs: shapeArb()
      .chain((s) => distinctArb(s))
      .map((x) => [x]),
    fn: (x) => J.cummax(x, -1)[0].add(J.cummin(x, 0)[0].mul(2)),
    smooth: false,
  },
  // Layout composites with PyTorch's names (shape-ops.ts): views, concatenations and masks.
  {
    name: 'flip / roll / movedim / swapaxes',
    ops: ['flip', 'roll', 'movedim', 'swapaxes'],
    inputs: fc.tuple(smallDim, smallDim, smallDim).chain((s) => tensorArb(s, 'any').map((x) => [x])),
    fn: (x) =>
      J.flip(x, [0, 2])
        .mul(J.roll(x, [1, -2], [0, 1]).sin())
        .add(
          J.movedim(J.swapaxes(x, 0, 2), 0, 2)
            .transpose([1, 0, 2])
            .square(),
        )
        .add(J.roll(x, 2).mul(J.flip(x))),
    smooth: true,
  },
  {
    name: 'split / chunk',
    ops: ['split', 'chunk'],
    inputs: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }))
      .chain(([a, b]) => tensorArb([a, b], 'any'))
      .map((x) => [x]),
    fn: (x) => {
      const [first, rest] = J.split(x, [1, x.shape[1]! - 1], 1);
      const pieces = J.split(x, 1, 1).map((t, i) => t.mul(i + 1).sin());
      return first!
        .mul(rest!.sum(1, true))
        .add(J.concat(pieces, 1).sum(1, true))
        .add(J.chunk(x, 2, 0)[0]!.square().sum());
    },
    smooth: true,
  },
  {
    name: 'tile / repeatInterleave',
    ops: ['tile', 'repeatInterleave'],
    inputs: fc.tuple(smallDim, smallDim).chain((s) => tensorArb(s, 'any').map((x) => [x])),
    fn: (x) =>
      J.tile(x, [2, 1, 2])
        .sin()
        .sum(0)
        .add(J.repeatInterleave(x, 2, -1).square().sum())
        .add(J.repeatInterleave(x, 3).mul(J.repeatInterleave(x, 3)).sum())
        .add(
          J.repeatInterleave(x, [2, ...new Array<number>(x.shape[1]! - 1).fill(0)], 1)
            .sin()
            .sum(),
        ),
    smooth: true,
  },
  {
    name: 'tril / triu (constant masks)',
    ops: ['tril', 'triu'],
    inputs: fc.tuple(smallDim, smallDim, smallDim).chain((s) => tensorArb(s, 'any').map((x) => [x])),
    fn: (x) =>
      J.tril(x, -1)
        .mul(x)
        .add(J.triu(x, 1).sin())
        .add(J.tril(x).mul(J.triu(x))),
    smooth: true,
  },
  {
    name: 'diag / diagonal / trace',
    ops: ['diag', 'diagonal', 'trace'],
    inputs: fc
      .tuple(smallDim, smallDim, smallDim)
      .chain(([n, m, k]) => fc.tuple(tensorArb([n, m], 'any'), tensorArb([k], 'any'), tensorArb([2, n, m], 'any'))),
    fn: (x, v, b) =>
      J.diag(v, 1)
        .square()
        .sum()
        .add(J.diag(v, -2).sin().sum())
        .add(J.diagonal(x, -1).sin().sum())
        .add(J.trace(x.mul(x)))
        .add(J.diag(x).exp().sum())
        .add(J.diagonal(b, 1, 2, 1).square().sum()),
    smooth: true,
  },
  {
    name: 'pad (constant with crops, reflect, replicate, circular)',
    ops: ['pad'],
    inputs: fc
      .tuple(fc.integer({ min: 3, max: 4 }), fc.integer({ min: 3, max: 4 }))
      .chain(([a, b]) => tensorArb([a, b], 'any'))
      .map((x) => [x]),
    fn: (x) =>
      J.pad(x, [1, -1, 2, 0], { value: 3 })
        .square()
        .sum()
        .add(J.pad(x, [1, 1, 1, 0], { mode: 'reflect' }).sin().sum())
        .add(J.pad(x, [2, 1], { mode: 'replicate' }).square().sum())
        .add(
          J.pad(x, [1, 2, 0, 2], { mode: 'circular' })
            .mul(J.pad(x, [1, 2, 0, 2], { mode: 'reflect' }).exp())
            .sum(),
        ),
    smooth: true,
  },
  {
    name: 'einsum (contraction, batch, outer product, diagonal, trace, three operands, broadcast ellipsis)',
    ops: ['einsum'],
    inputs: fc
      .tuple(smallDim, smallDim, smallDim)
      .chain(([n, m, k]) =>
        fc.tuple(tensorArb([n, m], 'any'), tensorArb([m, k], 'any'), tensorArb([2, n, n], 'any'), tensorArb([n], 'any')),
      ),
    fn: (a, b, c, v) =>
      J.einsum('ij,jk->ik', a, b)
        .sin()
        .sum()
        .add(
          J.einsum('bii->b', c)
            .mul(J.einsum('bij,bjk->bik', c, c).sum([1, 2]))
            .sum(),
        )
        .add(
          J.einsum('i,j', v, v)
            .mul(J.einsum('ij,jk,i->ik', a, b, v).sum(1, true))
            .sum(),
        )
        .add(J.einsum('ii', J.einsum('ij,kj', a, a)))
        .add(J.einsum('...ij,...j->...i', c, v).mul(J.einsum('...i->...', c.sin())).sum()),
    smooth: true,
  },
  {
    // A float bias, a bool mask (one key of each query always kept), the causal mask and a
    // custom scale; batch axes broadcast (key and value shared by the heads).
    name: 'scaledDotProductAttention (float and bool masks, causal, scale, broadcast batch)',
    ops: ['scaledDotProductAttention'],
    inputs: fc
      .tuple(smallDim, smallDim, smallDim, smallDim)
      .chain(([l, s, e, ev]) =>
        fc.tuple(
          tensorArb([2, l, e], 'any'),
          tensorArb([1, s, e], 'any'),
          tensorArb([s, ev], 'any'),
          tensorArb([l, s], 'any'),
          tensorArb([s, s, e], 'any'),
        ),
      ),
    fn: (q, k, v, bias, kk) => {
      const [l, s] = bias.shape as [number, number];
      const keep = J.tensor(Array.from({ length: l }, (_, i) => Array.from({ length: s }, (_, j) => j === i % s || (i + j) % 3 === 0)));
      return J.scaledDotProductAttention(q, k, v, { mask: bias })
        .sin()
        .sum()
        .add(J.scaledDotProductAttention(q, k, v, { mask: keep, scale: 0.7 }).square().sum())
        .add(J.scaledDotProductAttention(kk, kk, kk.exp(), { isCausal: true }).sum());
    },
    smooth: true,
  },
  {
    name: "meshgrid ('ij' and 'xy')",
    ops: ['meshgrid'],
    inputs: fc.tuple(smallDim, smallDim).chain(([n, m]) => fc.tuple(tensorArb([n], 'any'), tensorArb([m], 'any'))),
    fn: (a, b) => {
      const [ga, gb] = J.meshgrid(a, b);
      const [xa] = J.meshgrid(a, b, { indexing: 'xy' });
      return ga!.mul(gb!.sin()).sum().add(xa!.square().sum());
    },
    smooth: true,
  },
  // Convolution and pooling (ops/conv.ts, ops/pool.ts): composites of unfold, matmul and take
  // (conv2d's row is the unfold/fold primitives' row above).
  {
    name: 'conv1d / convTranspose2d (stride, padding, outputPadding, groups)',
    ops: ['conv1d', 'convTranspose2d'],
    inputs: fc
      .tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 }))
      .chain(([h, w]) =>
        fc.tuple(tensorArb([1, 2, h, w], 'any'), tensorArb([2, 1, 2, 2], 'any'), tensorArb([2, 2, 2], 'any'), tensorArb([1], 'any')),
      ),
    fn: (x, wt, w1, b) =>
      J.convTranspose2d(x, wt, { stride: 2, padding: [1, 0], outputPadding: 1, groups: 2 })
        .sin()
        .sum()
        .add(
          J.conv1d(x.reshape([1, 2, -1]), w1.index({ stop: 1 }), { bias: b, padding: 1, stride: 2 })
            .square()
            .sum(),
        ),
    smooth: true,
  },
  {
    name: 'maxPool2d / maxPool1d (distinct values: padding, dilation, ceil mode)',
    ops: ['maxPool2d', 'maxPool1d'],
    inputs: fc.integer({ min: 3, max: 4 }).chain((h) => distinctArb([1, 2, h, 4]).map((x) => [x])),
    fn: (x) =>
      J.maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 })
        .square()
        .sum()
        .add(
          J.maxPool2d(x, { kernelSize: [2, 3], stride: 2, dilation: [1, 1], ceilMode: true })
            .sin()
            .sum(),
        )
        .add(
          J.maxPool1d(x.reshape([2, 1, -1]), { kernelSize: 3, stride: 2, padding: 1, dilation: 2 })
            .exp()
            .sum(),
        ),
    smooth: true,
  },
  {
    name: 'avgPool2d / avgPool1d / adaptiveAvgPool2d / interpolate',
    ops: ['avgPool2d', 'avgPool1d', 'adaptiveAvgPool2d', 'interpolate'],
    inputs: fc
      .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }))
      .chain(([h, w]) => tensorArb([1, 2, h, w], 'any'))
      .map((x) => [x]),
    fn: (x) =>
      J.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false })
        .sin()
        .sum()
        .add(
          J.avgPool2d(x, { kernelSize: [2, 1], stride: 2, ceilMode: true })
            .square()
            .sum(),
        )
        .add(
          J.avgPool1d(x.reshape([1, 2, -1]), { kernelSize: 2, padding: 1 })
            .exp()
            .sum(),
        )
        .add(J.adaptiveAvgPool2d(x, [3, null]).sin().sum())
        .add(J.interpolate(x, { scaleFactor: 1.5 }).square().sum())
        .add(
          J.interpolate(x, { size: [3, 5], mode: 'bilinear', alignCorners: true })
            .sin()
            .sum(),
        )
        .add(
          J.interpolate(x.reshape([1, 2, -1]), { size: 3 })
            .cos()
            .sum(),
        ),
    smooth: true,
  },
];

/** Whether a row is one of a constant primitive (no inputs to perturb). */
export const isConstantSpec = (row: OpSpec | ConstantSpec): row is ConstantSpec => 'constant' in row;

/** Every row with inputs, the primitives' then the composites'; a row shared by several primitives appears once. */
export const operationRows: readonly OpSpec[] = [...new Set(Object.values(primitiveRows))]
  .filter((r): r is OpSpec => !isConstantSpec(r))
  .concat(compositeRows);

/** The positions of a row's float inputs: the ones its gradient rows differentiate. */
export const floatPositions = (xs: readonly Tensor[]): number[] =>
  xs.flatMap((x, i) => (x.dtype === 'float32' || x.dtype === 'float64' ? [i] : []));
