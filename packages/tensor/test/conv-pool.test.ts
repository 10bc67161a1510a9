// Convolution and pooling: values against direct loops written here (any stride, padding,
// dilation and groups), the transposed convolution against conv2d's input gradient, hand-worked
// pooling values (PyTorch's ceil-mode and padding divisors, ties, NaN), resizing, and errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose } from './support.js';

const f64 = (shape: number[], seed: number) => J.randn(shape, { rng: J.rng(seed), dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.astype('float64').reshape([-1]).toArray() as number[]);
// Shapes equal and |a − b| ≤ tol·(1 + |b|): support.ts's expectClose with rtol = atol = tol.
const closeTo = (a: Tensor, b: Tensor, tol = 1e-12) => expectClose(a, b, tol, tol);

/** conv2d by its definition: out[n,o,p,q] = b[o] + Σ_{c,i,j} w[o,c,i,j] · x[n, g·C/G + c, p·s − pad + i·d, q·s − pad + j·d]. */
function directConv(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  s: [number, number],
  pad: [number, number],
  d: [number, number],
  groups: number,
): Tensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * pad[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const X = values(x);
  const W = values(w);
  const B = b === null ? null : values(b);
  const out = new Float64Array(n * o * oh * ow);
  const perGroup = o / groups;
  for (let bn = 0; bn < n; bn++)
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / perGroup);
      for (let p = 0; p < oh; p++)
        for (let q = 0; q < ow; q++) {
          let acc = B === null ? 0 : B[oc]!;
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const r = p * s[0] - pad[0] + i * d[0];
                const col = q * s[1] - pad[1] + j * d[1];
                if (r < 0 || r >= h || col < 0 || col >= wd) continue;
                acc += W[((oc * cg + ci) * kh + i) * kw + j]! * X[((bn * c + g * cg + ci) * h + r) * wd + col]!;
              }
          out[((bn * o + oc) * oh + p) * ow + q] = acc;
        }
    }
  return J.tensor(out, { shape: [n, o, oh, ow], dtype: 'float64' });
}

const geometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 2 }),
  cg: fc.integer({ min: 1, max: 2 }),
  og: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 6 }),
  w: fc.integer({ min: 3, max: 6 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe('conv2d', () => {
  it('equals the direct sum for any stride, padding, dilation and groups', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        fc.pre(g.h + 2 * g.pad[0] >= g.d[0] * (g.kh - 1) + 1 && g.w + 2 * g.pad[1] >= g.d[1] * (g.kw - 1) + 1);
        const x = f64([g.n, g.groups * g.cg, g.h, g.w], g.seed);
        const w = f64([g.groups * g.og, g.cg, g.kh, g.kw], g.seed + 1);
        const b = g.bias ? f64([g.groups * g.og], g.seed + 2) : null;
        const y = J.conv2d(x, w, { bias: b, stride: g.s, padding: g.pad, dilation: g.d, groups: g.groups });
        closeTo(y, directConv(x, w, b, g.s, g.pad, g.d, g.groups));
      }),
      { numRuns: 60 },
    );
  });
  it("pads 'same' as PyTorch (the odd one on the bottom/right) and 'valid' not at all", () => {
    const x = f64([1, 1, 4, 5], 3);
    const w = f64([1, 1, 2, 3], 4);
    const same = J.conv2d(x, w, { padding: 'same' });
    expect(same.shape).toEqual([1, 1, 4, 5]);
    // Total padding 1 (rows) and 2 (columns): 0 above, 1 below; 1 left, 1 right.
    const padded = J.pad(x, [1, 1, 0, 1]);
    closeTo(same, J.conv2d(padded, w));
    closeTo(J.conv2d(x, w, { padding: 'valid' }), J.conv2d(x, w));
  });
  it('accepts an unbatched [C, H, W] input and computes float32 in float32', () => {
    const x = f64([2, 4, 4], 5);
    const w = f64([3, 2, 3, 3], 6);
    closeTo(J.conv2d(x, w, { padding: 1 }), J.conv2d(x.reshape([1, 2, 4, 4]), w, { padding: 1 }).reshape([3, 4, 4]));
    const y32 = J.conv2d(x.astype('float32'), w.astype('float32'));
    expect(y32.dtype).toBe('float32');
    closeTo(y32, J.conv2d(x, w), 1e-5);
  });
  it('refuses bad shapes, channels, dtypes and options, naming conv2d', () => {
    const x = J.ones([1, 4, 5, 5]);
    expect(() => J.conv2d(x, J.ones([2, 3, 3, 3]))).toThrow(/^conv2d: x has 4 channels/);
    expect(() => J.conv2d(x, J.ones([3, 2, 3, 3]), { groups: 2 })).toThrow(J.ShapeError);
    expect(() => J.conv2d(x, J.ones([2, 4, 7, 7]))).toThrow(/^conv2d: the padded input \[5,5\] is smaller/);
    expect(() => J.conv2d(J.ones([5, 5]), J.ones([1, 1, 1, 1]))).toThrow(/^conv2d: expected x of shape \[N, C, H, W\]/);
    expect(() => J.conv2d(x, J.ones([2, 4, 3]))).toThrow(/^conv2d: expected weight of shape/);
    expect(() => J.conv2d(x, J.ones([2, 4, 3, 3]), { bias: J.ones([3]) })).toThrow(/^conv2d: expected opts.bias of shape \[2\]/);
    expect(() => J.conv2d(x, J.ones([2, 4, 3, 3]), { stride: 2, padding: 'same' })).toThrow(/^conv2d: padding 'same' needs stride 1/);
    expect(() => J.conv2d(x, J.ones([2, 4, 3, 3]), { stride: 0 })).toThrow(J.ArgumentError);
    expect(() => J.conv2d(x.astype('int32'), J.ones([2, 4, 3, 3]))).toThrow(J.DTypeError);
  });
});

describe('conv1d', () => {
  it('is conv2d on a height of 1', () => {
    const x = f64([2, 4, 9], 7);
    const w = f64([6, 2, 3], 8);
    const b = f64([6], 9);
    const y = J.conv1d(x, w, { bias: b, stride: 2, padding: 2, dilation: 2, groups: 2 });
    const ref = directConv(x.reshape([2, 4, 1, 9]), w.reshape([6, 2, 1, 3]), b, [1, 2], [0, 2], [1, 2], 2);
    closeTo(y, ref.reshape([2, 6, -1]));
    expect(J.conv1d(x, f64([5, 4, 4], 10), { padding: 'same', dilation: 3 }).shape).toEqual([2, 5, 9]);
  });
});

describe('convTranspose2d', () => {
  it("is conv2d's input gradient: the adjoint of the convolution", () => {
    fc.assert(
      fc.property(geometry, fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })), (g, extra) => {
        const op = [Math.min(extra[0], Math.max(g.s[0], g.d[0]) - 1), Math.min(extra[1], Math.max(g.s[1], g.d[1]) - 1)];
        const x = f64([g.n, g.groups * g.cg, g.h, g.w], g.seed);
        const wt = f64([g.groups * g.cg, g.og, g.kh, g.kw], g.seed + 1);
        // PyTorch's size: (H − 1)·s − 2·pad + d·(k − 1) + outputPadding + 1.
        const oh = (g.h - 1) * g.s[0] - 2 * g.pad[0] + g.d[0] * (g.kh - 1) + op[0]! + 1;
        const ow = (g.w - 1) * g.s[1] - 2 * g.pad[1] + g.d[1] * (g.kw - 1) + op[1]! + 1;
        fc.pre(oh >= 1 && ow >= 1);
        const y = J.convTranspose2d(x, wt, { stride: g.s, padding: g.pad, outputPadding: op, dilation: g.d, groups: g.groups });
        expect(y.shape).toEqual([g.n, g.groups * g.og, oh, ow]);
        // ⟨convT(x), z⟩ = ⟨x, conv2d(z)⟩ for the same weight read as [out, in/groups, …] by conv2d.
        const z = f64(y.shape as number[], g.seed + 3);
        const back = J.conv2d(z, wt, { stride: g.s, padding: g.pad, dilation: g.d, groups: g.groups });
        fc.pre(back.shape[2] === g.h && back.shape[3] === g.w);
        closeTo(y.mul(z).sum(), x.mul(back).sum(), 1e-10);
      }),
      { numRuns: 60 },
    );
  });
  it('refuses an outputPadding as large as both stride and dilation', () => {
    expect(() => J.convTranspose2d(J.ones([1, 1, 2, 2]), J.ones([1, 1, 2, 2]), { outputPadding: 1 })).toThrow(
      /^convTranspose2d: opts.outputPadding\[0\] = 1 must be smaller/,
    );
  });
});

describe('maxPool2d', () => {
  const x = J.tensor(
    [
      [
        [
          [1, 5, 2, 0],
          [3, 4, 8, 7],
          [6, 1, 2, 9],
        ],
      ],
    ],
    { dtype: 'float64' },
  );
  it('takes window maxima, with padding, dilation and ceil mode', () => {
    expect(J.maxPool2d(x, { kernelSize: 2 }).toArray()).toEqual([[[[5, 8]]]]);
    expect(J.maxPool2d(x, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([
      [
        [
          [5, 8],
          [6, 9],
        ],
      ],
    ]);
    expect(J.maxPool2d(x, { kernelSize: 2, stride: 1, dilation: 2 }).toArray()).toEqual([[[[6, 9]]]]);
    // Padded to [5, 6]: one row of windows (rows −1…1), two columns (−1…1 and 2…4).
    expect(J.maxPool2d(x, { kernelSize: 3, stride: 3, padding: 1 }).toArray()).toEqual([[[[5, 8]]]]);
  });
  it('sends the gradient to the first arg-max of a window (ties), and lets NaN win', () => {
    const t = J.tensor(
      [
        [
          [
            [2, 2],
            [1, 2],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    const g = J.grad((v) => J.maxPool2d(v, { kernelSize: 2 }).sum())(t);
    expect(g.toArray()).toEqual([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
    ]);
    expect(
      Number.isNaN(
        J.maxPool2d(
          J.tensor([
            [
              [
                [1, Number.NaN],
                [3, 2],
              ],
            ],
          ]),
          { kernelSize: 2 },
        ).item(),
      ),
    ).toBe(true);
  });
  it('gives −∞ for a window that covers only padding', () => {
    // Length 1, dilation 3, padding 2: windows {0, 3} and {1, 4} of the padded row miss the element.
    const y = J.maxPool1d(J.tensor([[[7]]]), { kernelSize: 2, stride: 1, dilation: 3, padding: 2 });
    expect(y.toArray()).toEqual([[[Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]]]);
  });
  it('refuses a padding above half the window and a missing kernel size', () => {
    expect(() => J.maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(/^maxPool2d: padding 2 along height is more than half/);
    expect(() => J.maxPool2d(x, {} as J.MaxPoolOptions)).toThrow(/^maxPool2d: opts.kernelSize is required/);
  });
});

describe('avgPool2d', () => {
  const x = J.tensor(
    [
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
    ],
    { dtype: 'float64' },
  );
  it('divides by PyTorch counts: padding counted or not, ceil-mode overhang never', () => {
    expect(J.avgPool2d(x, { kernelSize: 2 }).toArray()).toEqual([[[[3]]]]);
    // Ceil mode: windows at 0 and 2; the second is clipped to the input (sizes 2 and 1).
    expect(J.avgPool2d(x, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([
      [
        [
          [3, 4.5],
          [7.5, 9],
        ],
      ],
    ]);
    // Padding 1: the corner window holds x[0,0] and three zeros: 1/4 with them, 1/1 without.
    expect(J.avgPool2d(x, { kernelSize: 2, padding: 1 }).index(0, 0, 0, 0).item()).toBe(0.25);
    expect(J.avgPool2d(x, { kernelSize: 2, padding: 1, countIncludePad: false }).index(0, 0, 0, 0).item()).toBe(1);
    expect(J.avgPool1d(J.tensor([[[1, 3, 2, 6]]]), { kernelSize: 2 }).toArray()).toEqual([[[2, 4]]]);
  });
  it('takes no dilation', () => {
    expect(() => J.avgPool2d(x, { kernelSize: 2, dilation: 2 } as J.AvgPoolOptions)).toThrow(
      /^avgPool2d: average pooling takes no opts.dilation/,
    );
  });
});

describe('adaptiveAvgPool2d and interpolate', () => {
  it("averages PyTorch's overlapping windows", () => {
    const x = J.tensor([[[[1, 2, 3, 4, 5]]]], { dtype: 'float64' });
    // Windows of 5 into 3: [0, 2), [1, 4), [3, 5).
    expect(J.adaptiveAvgPool2d(x, [1, 3]).toArray()).toEqual([[[[1.5, 3, 4.5]]]]);
    expect(J.adaptiveAvgPool2d(x, [null, 1]).toArray()).toEqual([[[[3]]]]);
  });
  it('resizes by nearest neighbour and bilinearly (half-pixel centres or aligned corners)', () => {
    const x = J.tensor(
      [
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    expect(J.interpolate(x, { scaleFactor: 2 }).index(0, 0).toArray()).toEqual([
      [0, 0, 1, 1],
      [0, 0, 1, 1],
      [2, 2, 3, 3],
      [2, 2, 3, 3],
    ]);
    expect(J.interpolate(x, { size: [1, 3], mode: 'bilinear', alignCorners: true }).toArray()).toEqual([[[[0, 0.5, 1]]]]);
    // Half-pixel: output column 1 of 4 samples source 0.25, columns 0 and 3 clamp to the edges.
    expect(
      J.interpolate(x, { size: [2, 4], mode: 'bilinear' })
        .index(0, 0, 0)
        .toArray(),
    ).toEqual([0, 0.25, 0.75, 1]);
  });
  it('refuses both or neither of size and scaleFactor, and bilinear on 3-D input', () => {
    const x = J.ones([1, 1, 2, 2]);
    expect(() => J.interpolate(x, { size: 3, scaleFactor: 2 })).toThrow(/^interpolate: give exactly one/);
    expect(() => J.interpolate(x, {})).toThrow(/^interpolate: give exactly one/);
    expect(() => J.interpolate(J.ones([1, 1, 2]), { size: 3, mode: 'bilinear' })).toThrow(/^interpolate: 'bilinear' needs/);
  });
});
