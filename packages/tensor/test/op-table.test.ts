// One table of op specs drives the derivative tests of every primitive and public composite:
// gradcheck in float64 (reverse and forward mode against finite differences, VJP/JVP duality,
// and second order for smooth ops), over random shapes with broadcast operands.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { RUNS, broadcastPairArb, shapeArb, tensorArb, type Domain } from './support.js';

interface OpSpec {
  name: string;
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
  inputs: shapeArb().chain((s) => tensorArb(s, domain)).map((x) => [x]),
  fn: fn as OpSpec['fn'],
  smooth,
});

const binary = (name: string, fn: (x: Tensor, y: Tensor) => Tensor, dx: Domain, dy: Domain, smooth = true): OpSpec => ({
  name,
  inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, dx), tensorArb(b, dy))),
  fn: fn as OpSpec['fn'],
  smooth,
});

/** A tensor with distinct entries (spaced ≥ 0.1 apart) so max/min/maximum have no ties. */
const distinctArb = (shape: readonly number[]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.shuffledSubarray(Array.from({ length: 40 }, (_, i) => i / 10 - 2), { minLength: size, maxLength: size }).map((v) =>
    J.tensor(Float64Array.from(v), { shape, dtype: 'float64' }),
  );
};

const matrixShapes = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }));

const specs: OpSpec[] = [
  unary('neg', J.neg, 'any'),
  unary('exp', J.exp, 'any'),
  unary('log', J.log, 'positive'),
  unary('sqrt', J.sqrt, 'positive'),
  unary('abs', J.abs, 'awayFromZero', false),
  unary('tanh', J.tanh, 'any'),
  unary('sigmoid', J.sigmoid, 'any'),
  unary('relu', J.relu, 'awayFromZero', false),
  unary('sin', J.sin, 'any'),
  unary('cos', J.cos, 'any'),
  unary('reciprocal', J.reciprocal, 'awayFromZero'),
  unary('square', J.square, 'any'),
  // Bounds off the 3-decimal grid of the generated values, so no input sits on a kink.
  unary('clamp', (x) => J.clamp(x, -0.4567, 0.4567), 'awayFromZero', false),
  unary('pow (number exponent)', (x) => J.pow(x, 3), 'any'),
  { ...unary('astype float64→float32→float64', (x) => x.astype('float32').astype('float64').mul(x), 'any'), eps: 1e-2 },
  binary('add', J.add, 'any', 'any'),
  binary('sub', J.sub, 'any', 'any'),
  binary('mul', J.mul, 'any', 'any'),
  binary('div', J.div, 'any', 'awayFromZero'),
  binary('pow', J.pow, 'positive', 'any'),
  {
    name: 'maximum / minimum (no ties)',
    inputs: shapeArb().chain((s) => fc.tuple(distinctArb(s), distinctArb(s))).filter(([a, b]) => a.sub(b).abs().min().item() > 0.05),
    fn: (x, y) => J.maximum(x, y).add(J.minimum(x, y).mul(2)),
    smooth: false,
  },
  {
    name: 'where (constant condition)',
    inputs: broadcastPairArb.chain(([a, b]) => fc.tuple(tensorArb(a, 'awayFromZero'), tensorArb(b, 'any'))),
    fn: (x, y) => J.where(J.greater(x.detach(), 0), x.mul(x), y),
    smooth: true,
  },
  {
    name: 'matmul 2-D',
    inputs: matrixShapes.chain(([m, k, n]) => fc.tuple(tensorArb([m, k], 'any'), tensorArb([k, n], 'any'))),
    fn: J.matmul,
    smooth: true,
  },
  {
    name: 'matmul vector·matrix and matrix·vector',
    inputs: matrixShapes.chain(([m, k]) => fc.tuple(tensorArb([k], 'any'), tensorArb([k, m], 'any'), tensorArb([m, k], 'any'))),
    fn: (v, a, b) => J.matmul(v, a).sum().add(J.matmul(b, v).mul(J.matmul(v, v)).sum()),
    smooth: true,
  },
  {
    name: 'matmul batched with broadcast batch dimensions',
    inputs: matrixShapes.chain(([m, k, n]) => fc.tuple(tensorArb([2, 1, m, k], 'any'), tensorArb([3, k, n], 'any'))),
    fn: J.matmul,
    smooth: true,
  },
  {
    name: 'transpose / .T',
    inputs: shapeArb(3).chain((s) => tensorArb(s, 'any')).map((x) => [x]),
    fn: (x) => J.transpose(x).mul(J.transpose(x)).add(x.T),
    smooth: true,
  },
  {
    name: 'reshape / flatten / squeeze / expandDims',
    inputs: shapeArb().chain((s) => tensorArb(s, 'any')).map((x) => [x]),
    fn: (x) => J.expandDims(J.squeeze(J.reshape(x, [-1, 1])), 0).mul(J.flatten(x).exp()),
    smooth: true,
  },
  {
    name: 'broadcastTo',
    inputs: shapeArb(2).chain((s) => tensorArb(s, 'any')).map((x) => [x]),
    fn: (x) => J.broadcastTo(x, [2, ...x.shape]).mul(J.broadcastTo(x, [2, ...x.shape]).sin()),
    smooth: true,
  },
  {
    name: 'slice / index (steps, negative steps, dropped axes)',
    inputs: fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 })).chain(([a, b]) => tensorArb([a, b], 'any')).map((x) => [x]),
    fn: (x) => J.slice(x, 0, 1).sum(0).mul(J.index(x, '::-1', 0).sum()).add(J.index(x, -1, '::2').square().sum()),
    smooth: true,
  },
  {
    name: 'concat / stack',
    inputs: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([a, b]) =>
      fc.tuple(tensorArb([a, b], 'any'), tensorArb([a, 2], 'any'), tensorArb([a, b], 'any')),
    ),
    fn: (x, y, z) => J.concat([x, y, x.mul(z)], 1).square().sum(0).add(J.stack([x, z], 1).sum([0, 2]).sum()),
    smooth: true,
  },
  unary('sum (all, axis, keepdims)', (x) => x.sum().add(x.ndim > 0 ? J.sum(x.square(), 0, true).sum() : 0), 'any'),
  unary('mean', (x) => (x.ndim > 0 ? J.mean(x.exp(), -1) : J.mean(x)), 'any'),
  {
    name: 'max / min over axes (no ties)',
    inputs: shapeArb().filter((s) => s.length > 0).chain((s) => distinctArb(s)).map((x) => [x]),
    fn: (x) => J.max(x, -1).add(J.min(x, -1).mul(3)).sum().add(J.max(x)),
    smooth: false,
  },
  unary('logSumExp', (x) => (x.ndim > 0 ? J.logSumExp(x, -1) : J.logSumExp(x.reshape([1]))), 'any'),
  unary('softmax', (x) => (x.ndim > 0 ? J.softmax(x, -1).mul(x) : J.softmax(x.reshape([1]))), 'any'),
  unary('logSoftmax', (x) => (x.ndim > 0 ? J.logSoftmax(x, 0) : J.logSoftmax(x.reshape([1]))), 'any'),
];

describe('every op passes gradcheck (float64, both modes, duality)', () => {
  for (const spec of specs) {
    it(`${spec.name}${spec.smooth ? ', to second order' : ''}`, () => {
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          const report = J.gradcheck(spec.fn, xs, { secondOrder: spec.smooth, ...(spec.eps ? { eps: spec.eps } : {}) });
          if (!report.ok) {
            throw new Error(`${spec.name} at ${xs.map(String).join(', ')}: ${JSON.stringify(report.worst)}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});
