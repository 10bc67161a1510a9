// The window kernels (unfold = im2col, fold = col2im): the JS reference against a direct
// reading of the definition, and the WASM kernels against the JS ones bit for bit, on random
// geometries (padding on either side, row strides, dilations; a column stride above 1 takes
// the JS path) and on inputs large enough to be staged in several chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { DType, TypedArray } from '../src/dtype.js';
import { alloc, countingFallback, firstDifference, randomArray } from './kernel-support.js';

// Every unit-column-stride case in WASM (the counter says so), also tiny ones.
const fallback = countingFallback(['unfold', 'fold']);
const wasm = createWasmBackend({ smallToFallback: false, fallback: fallback.backend });

const geometryArb: fc.Arbitrary<WindowGeometry> = fc
  .record({
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 1, 2)),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    before: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    after: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
  })
  .map(({ height, width, kernel, stride, dilation, before, after }) => {
    const count = (size: number, a: 0 | 1) => Math.floor((size + before[a] + after[a] - dilation[a] * (kernel[a] - 1) - 1) / stride[a]) + 1;
    return { height, width, padding: before, kernel, stride, dilation, out: [count(height, 0), count(width, 1)] as const };
  })
  .filter((g) => g.out[0] >= 1 && g.out[1] >= 1);

/** unfold read off its definition: column (i·kW + j, p·outW + q) of a plane is x[r, c], or 0 in the padding. */
function unfoldByDefinition(x: TypedArray, planes: number, g: WindowGeometry, dtype: DType): TypedArray {
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.out;
  const out = alloc(dtype, planes * kh * kw * oh * ow);
  let k = 0;
  for (let pl = 0; pl < planes; pl++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let p = 0; p < oh; p++)
          for (let q = 0; q < ow; q++) {
            const r = p * g.stride[0] + i * g.dilation[0] - g.padding[0];
            const c = q * g.stride[1] + j * g.dilation[1] - g.padding[1];
            const inside = r >= 0 && r < g.height && c >= 0 && c < g.width;
            out[k++] = inside ? x[(pl * g.height + r) * g.width + c]! : 0;
          }
  return out;
}

/** fold as the transpose of unfold: ⟨fold(cols), x⟩ = ⟨cols, unfold(x)⟩ for every x, read off one basis vector at a time. */
function foldByTranspose(cols: TypedArray, planes: number, g: WindowGeometry, dtype: DType): TypedArray {
  const n = planes * g.height * g.width;
  const out = alloc(dtype, n);
  const basis = alloc(dtype, n);
  for (let e = 0; e < n; e++) {
    basis.fill(0);
    basis[e] = 1;
    const u = unfoldByDefinition(basis, planes, g, dtype);
    let s = 0;
    for (let k = 0; k < u.length; k++) if (u[k] !== 0) s += cols[k]!;
    out[e] = s;
  }
  return out;
}

const sizeOf = (g: WindowGeometry): number => g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1];

describe('window kernels (unfold, fold)', () => {
  it('the JS unfold matches the definition and the JS fold is its transpose', () => {
    fc.assert(
      fc.property(geometryArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1e9 }), (g, planes, seed) => {
        // float64 with small integers: the transpose's sums are exact in any order.
        const x = randomArray('float64', planes * g.height * g.width, seed).map((v) => Math.round(v * 8));
        const cols = alloc('float64', planes * sizeOf(g)).fill(7);
        jsBackend.unfold(x, planes, g, cols);
        expect(firstDifference(cols, unfoldByDefinition(x, planes, g, 'float64'))).toBe(-1);
        const dcols = randomArray('float64', planes * sizeOf(g), seed + 1).map((v) => Math.round(v * 8));
        const back = alloc('float64', x.length).fill(7);
        jsBackend.fold(dcols, planes, g, back);
        expect(firstDifference(back, foldByTranspose(dcols, planes, g, 'float64'))).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('the WASM kernels give the JS kernels’ bits (float32, float64; NaN and −0 included)', () => {
    fc.assert(
      fc.property(
        geometryArb,
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<DType>('float32', 'float64'),
        fc.integer({ min: 0, max: 1e9 }),
        (g, planes, dtype, seed) => {
          const x = randomArray(dtype, planes * g.height * g.width, seed);
          if (x.length > 2) [x[0], x[x.length - 1]] = [Number.NaN, -0];
          const [want, got] = [alloc(dtype, planes * sizeOf(g)), alloc(dtype, planes * sizeOf(g)).fill(7)];
          jsBackend.unfold(x, planes, g, want);
          const before = fallback.calls();
          wasm.unfold(x, planes, g, got);
          expect(firstDifference(got, want)).toBe(-1);
          const dcols = randomArray(dtype, planes * sizeOf(g), seed + 1);
          const [wantBack, gotBack] = [alloc(dtype, x.length), alloc(dtype, x.length).fill(7)];
          jsBackend.fold(dcols, planes, g, wantBack);
          wasm.fold(dcols, planes, g, gotBack);
          expect(firstDifference(gotBack, wantBack)).toBe(-1);
          expect(fallback.calls() - before, 'calls handed to the JS kernels').toBe(g.stride[1] === 1 ? 0 : 2);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('stages many planes in chunks (a 3×3 convolution’s windows over 40 planes of 32×32)', () => {
    const g: WindowGeometry = { height: 32, width: 32, padding: [1, 1], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], out: [32, 32] };
    for (const dtype of ['float32', 'float64'] as const) {
      const x = randomArray(dtype, 40 * 32 * 32, 5);
      const [want, got] = [alloc(dtype, 40 * sizeOf(g)), alloc(dtype, 40 * sizeOf(g))];
      jsBackend.unfold(x, 40, g, want);
      wasm.unfold(x, 40, g, got);
      expect(firstDifference(got, want)).toBe(-1);
      const [wantBack, gotBack] = [alloc(dtype, x.length), alloc(dtype, x.length)];
      jsBackend.fold(want, 40, g, wantBack);
      const before = fallback.calls();
      wasm.fold(want, 40, g, gotBack);
      expect(firstDifference(gotBack, wantBack)).toBe(-1);
      expect(fallback.calls() - before).toBe(0);
    }
  });
});
