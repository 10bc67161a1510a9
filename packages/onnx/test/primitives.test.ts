// Every primitive the table maps, run through ONNX Runtime against jacobi (float32), and a check
// that these functions between them apply every mapped primitive.
import { exportOnnx } from '@jacobi/onnx';
import * as J from '@jacobi/tensor';
import { jit, rand, rng, type Tensor } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { ONNX_TABLE } from '../src/mapping.js';
import { expectMatches, runOnnx } from './support.js';

// x in (0.1, 0.9): inside every function's domain once shifted where needed.
const CASES: Record<string, (x: Tensor) => Tensor> = {
  unary: (x) =>
    J.stack([x.neg(), x.exp(), x.log(), x.sqrt(), x.sub(0.5).abs(), x.sub(0.5).sign(), x.tanh(), x.sigmoid(), x.sin(), x.cos()]),
  rounding: (x) => J.stack([x.mul(7).sub(3).floor(), x.mul(7).sub(3).ceil(), x.mul(7).sub(3).round(), x.mul(7).sub(3).trunc()]),
  trigonometric: (x) =>
    J.stack([J.tan(x), J.asin(x), J.acos(x), J.atan(x), J.sinh(x), J.cosh(x), J.asinh(x), J.acosh(x.add(1.5)), J.atanh(x)]),
  logarithmic: (x) => J.stack([J.log2(x), J.log10(x), J.log1p(x), J.expm1(x), J.exp2(x), J.erf(x), J.erfc(x)]),
  binary: (x) => {
    const y = x.flip(1).add(0.2);
    return J.stack([x.add(y), x.sub(y), x.mul(y), x.div(y), x.pow(y), J.maximum(x, y), J.hypot(x, y)]);
  },
  comparisons: (x) => {
    const y = x.flip(1);
    const masks = [x.greater(y), x.greaterEqual(y), x.less(y), x.lessEqual(y), x.equal(y), x.notEqual(y)];
    return J.stack(masks.map((m) => m.where(x, y.mul(3))));
  },
  layout: (x) => J.concat([x.transpose([1, 0]).reshape([-1, 2]), x.reshape([-1, 2]).mul(2)], 0).index({ start: 1, step: 2 }),
  reductions: (x) => J.stack([x.sum(1), x.max(1), x.matmul(x.transpose([1, 0])).sum(0)]),
  gathers: (x) => J.take(x, [2, 0, 3], 1).add(x.astype('int32').astype('float32').sum()),
  windows: (x) => J.avgPool2d(x.reshape([1, 1, 4, 4]), { kernelSize: 2, stride: 1 }),
  // Positions computed in the graph (takeIndexed), a stopped gradient, an integer arg-max (its
  // integer min is a bitwise not) and a logical or (maximum of bools).
  traced: (x) =>
    J.stack([
      J.take(x, x.index(0).mul(7.9).astype('int32').remainder(4), 1).sum(1),
      x.detach().mul(x).sum(1),
      x.argmax(1).astype('float32'),
      x.greater(0.5).logicalOr(x.less(0.2)).where(x, 0).sum(1),
    ]),
};

describe('exportOnnx: every mapped primitive in ONNX Runtime', () => {
  const x = rand([4, 4], { rng: rng(7) })
    .mul(0.8)
    .add(0.1);
  for (const [name, f] of Object.entries(CASES)) {
    it(name, async () => {
      const out = await runOnnx(exportOnnx(f, [x]), { input: x });
      expectMatches(out.output, f(x));
    });
  }

  it('the cases apply every primitive the table maps', () => {
    const applied = new Set(
      Object.values(CASES).flatMap((f) =>
        jit(f)
          .lower(x)
          .program.equations.map((e) => e.primitive),
      ),
    );
    const mapped = Object.entries(ONNX_TABLE)
      .filter(([, m]) => !('unsupported' in m))
      .map(([k]) => k);
    expect(mapped.filter((k) => !applied.has(k))).toEqual([]);
  });
});
