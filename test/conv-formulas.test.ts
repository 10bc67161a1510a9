// The seed's derivation for the convolution and pooling layers, by hand. For Y = conv2d(X, W) + b
// (stride s, padding p) and E = ½‖Y − T‖², δ = Y − T and
//   ∂E/∂X = the full correlation of δ (zeros put between its entries for a stride, padded by
//           k − 1) with the kernel flipped in both axes, read at the unpadded positions;
//   ∂E/∂W[o, c, i, j] = Σ_{n,p,q} Xpad[n, c, p·s + i, q·s + j] · δ[n, o, p, q], the correlation
//           of the padded input with δ;   ∂E/∂b[o] = Σ_{n,p,q} δ[n, o, p, q].
// For Y = maxPool2d(X) and E = Σ Y ⊙ T, ∂E/∂X routes each T[n, c, p, q] to the arg-max of its
// window. The references below are plain loops; autodiff (backward and grad) must agree in float64.
import { describe, it } from 'vitest';
import { conv2d, grad, maxPool2d, tensor, type Tensor } from '@jacobi/tensor';
import { assertClose } from './support/compare.js';
import { announceSeed, fc, runs } from './support/properties.js';
import { value } from './support/seed-arbitraries.js';

announceSeed('conv-formulas');

/** A dense 4-D array of numbers, row-major, with its shape. */
interface Array4 {
  readonly shape: readonly [number, number, number, number];
  readonly data: Float64Array;
}
const zeros4 = (shape: readonly [number, number, number, number]): Array4 => ({
  shape,
  data: new Float64Array(shape[0] * shape[1] * shape[2] * shape[3]),
});
const at = (a: Array4, i: number, j: number, k: number, l: number): number => ((i * a.shape[1] + j) * a.shape[2] + k) * a.shape[3] + l;
const get = (a: Array4, i: number, j: number, k: number, l: number): number => a.data[at(a, i, j, k, l)]!;
const toTensor = (a: Array4, requiresGrad = false): Tensor => tensor(a.data, { shape: [...a.shape], dtype: 'float64', requiresGrad });
const array4 = (shape: [number, number, number, number]): fc.Arbitrary<Array4> =>
  fc
    .array(value(), { minLength: shape[0] * shape[1] * shape[2] * shape[3], maxLength: shape[0] * shape[1] * shape[2] * shape[3] })
    .map((v) => ({ shape, data: Float64Array.from(v) }));

/** Zero padding of the last two axes by `p` on every side. */
function padded(a: Array4, p: number): Array4 {
  const [n, c, h, w] = a.shape;
  const out = zeros4([n, c, h + 2 * p, w + 2 * p]);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < c; j++)
      for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) out.data[at(out, i, j, r + p, q + p)] = get(a, i, j, r, q);
  return out;
}

/** Y = conv2d(X, W) + b by the definition (on the padded input). */
function forward(x: Array4, w: Array4, b: readonly number[], s: number, p: number): Array4 {
  const xp = padded(x, p);
  const [n, , hp, wp] = xp.shape;
  const [o, c, k, kw] = w.shape;
  const ho = Math.floor((hp - k) / s) + 1;
  const wo = Math.floor((wp - kw) / s) + 1;
  const y = zeros4([n, o, ho, wo]);
  for (let bn = 0; bn < n; bn++)
    for (let oc = 0; oc < o; oc++)
      for (let r = 0; r < ho; r++)
        for (let q = 0; q < wo; q++) {
          let acc = b[oc]!;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < k; i++) for (let j = 0; j < kw; j++) acc += get(xp, bn, ci, r * s + i, q * s + j) * get(w, oc, ci, i, j);
          y.data[at(y, bn, oc, r, q)] = acc;
        }
  return y;
}

/** ∂E/∂X: δ dilated by the stride and padded by k − 1, fully correlated with the flipped kernel, cropped by p. */
function inputGradient(delta: Array4, w: Array4, s: number, p: number, inShape: readonly [number, number, number, number]): Array4 {
  const [n, o, ho, wo] = delta.shape;
  const [, c, k, kw] = w.shape;
  // δ with s − 1 zeros between entries, then k − 1 zeros around it.
  const dh = (ho - 1) * s + 1 + 2 * (k - 1);
  const dw = (wo - 1) * s + 1 + 2 * (kw - 1);
  const spread = zeros4([n, o, dh, dw]);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < o; j++)
      for (let r = 0; r < ho; r++)
        for (let q = 0; q < wo; q++) spread.data[at(spread, i, j, r * s + k - 1, q * s + kw - 1)] = get(delta, i, j, r, q);
  // The full correlation covers the padded input rows 0 … (ho − 1)·s + k − 1.
  const fh = dh - k + 1;
  const fw = dw - kw + 1;
  const dx = zeros4(inShape);
  const [, , h, wd] = inShape;
  for (let bn = 0; bn < n; bn++)
    for (let ci = 0; ci < c; ci++)
      for (let r = 0; r < h; r++)
        for (let q = 0; q < wd; q++) {
          const a = r + p;
          const bcol = q + p;
          // Rows past the last window's reach get no gradient.
          if (a >= fh || bcol >= fw) continue;
          let acc = 0;
          for (let oc = 0; oc < o; oc++)
            for (let i = 0; i < k; i++)
              for (let j = 0; j < kw; j++) acc += get(spread, bn, oc, a + i, bcol + j) * get(w, oc, ci, k - 1 - i, kw - 1 - j);
          dx.data[at(dx, bn, ci, r, q)] = acc;
        }
  return dx;
}

/** ∂E/∂W: the correlation of the padded input with δ (its entries s apart). */
function weightGradient(x: Array4, delta: Array4, s: number, p: number, wShape: readonly [number, number, number, number]): Array4 {
  const xp = padded(x, p);
  const [n, o, ho, wo] = delta.shape;
  const [, c, k, kw] = wShape;
  const dw = zeros4(wShape);
  for (let oc = 0; oc < o; oc++)
    for (let ci = 0; ci < c; ci++)
      for (let i = 0; i < k; i++)
        for (let j = 0; j < kw; j++) {
          let acc = 0;
          for (let bn = 0; bn < n; bn++)
            for (let r = 0; r < ho; r++)
              for (let q = 0; q < wo; q++) acc += get(xp, bn, ci, r * s + i, q * s + j) * get(delta, bn, oc, r, q);
          dw.data[at(dw, oc, ci, i, j)] = acc;
        }
  return dw;
}

const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    o: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 2, max: 6 }),
    w: fc.integer({ min: 2, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 2 }),
  })
  .filter(({ h, w, k, kw, p }) => h + 2 * p >= k && w + 2 * p >= kw)
  .chain((g) => {
    const ho = Math.floor((g.h + 2 * g.p - g.k) / g.s) + 1;
    const wo = Math.floor((g.w + 2 * g.p - g.kw) / g.s) + 1;
    return fc.record({
      g: fc.constant(g),
      x: array4([g.n, g.c, g.h, g.w]),
      w: array4([g.o, g.c, g.k, g.kw]),
      b: fc.array(value(), { minLength: g.o, maxLength: g.o }),
      t: array4([g.n, g.o, ho, wo]),
    });
  });

describe('conv2d: E = ½‖conv2d(X, W) + b − T‖² (stride, padding)', () => {
  it('∂E/∂X is the full correlation of δ with the flipped kernel, ∂E/∂W the correlation of X with δ', () => {
    fc.assert(
      fc.property(convCase, ({ g, x, w, b, t }) => {
        const y = forward(x, w, b, g.s, g.p);
        const delta: Array4 = { shape: y.shape, data: y.data.map((v, i) => v - t.data[i]!) };
        const dX = inputGradient(delta, w, g.s, g.p, x.shape);
        const dW = weightGradient(x, delta, g.s, g.p, w.shape);
        const db = b.map((_, oc) => {
          let acc = 0;
          for (let bn = 0; bn < g.n; bn++)
            for (let r = 0; r < y.shape[2]; r++) for (let q = 0; q < y.shape[3]; q++) acc += get(delta, bn, oc, r, q);
          return acc;
        });
        const T = toTensor(t);
        const loss = (X: Tensor, W: Tensor, B: Tensor) =>
          conv2d(X, W, { bias: B, stride: g.s, padding: g.p }).sub(T).square().sum().mul(0.5);
        const X = toTensor(x, true);
        const W = toTensor(w, true);
        const B = tensor(b, { dtype: 'float64', requiresGrad: true });
        loss(X, W, B).backward();
        const nested = (a: Array4) => tensor(a.data, { shape: [...a.shape], dtype: 'float64' });
        // Each gradient is a sum of products of δ with X (or W): roundoff scales with those
        // products, so they are the floor where a gradient cancels to nearly zero.
        const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, e) => Math.max(m, Math.abs(e)), 0);
        const floorX = Math.max(1e-300, maxAbs(delta.data) * maxAbs(w.data));
        const floorW = Math.max(1e-300, maxAbs(delta.data) * maxAbs(x.data));
        assertClose('backward ∂E/∂X', X.grad!, nested(dX), 1e-10, floorX);
        assertClose('backward ∂E/∂W', W.grad!, nested(dW), 1e-10, floorW);
        assertClose('backward ∂E/∂b', B.grad!, db, 1e-10, Math.max(1e-300, maxAbs(delta.data)));
        const [gx, gw] = grad((xx: Tensor, ww: Tensor) => loss(xx, ww, B.detach()), { argnums: [0, 1] })(toTensor(x), toTensor(w));
        assertClose('grad ∂E/∂X', gx!, nested(dX), 1e-10, floorX);
        assertClose('grad ∂E/∂W', gw!, nested(dW), 1e-10, floorW);
      }),
      { numRuns: runs(60) },
    );
  });
});

/** Distinct values, so every window has one arg-max. */
const distinct = (size: number) =>
  fc.shuffledSubarray(
    Array.from({ length: 4 * size }, (_, i) => (i - 2 * size) / 8),
    { minLength: size, maxLength: size },
  );

const poolCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 2, max: 6 }),
    w: fc.integer({ min: 2, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 1 }),
  })
  .filter(({ h, w, k, p }) => 2 * p <= k && h + 2 * p >= k && w + 2 * p >= k)
  .chain((g) => {
    const ho = Math.floor((g.h + 2 * g.p - g.k) / g.s) + 1;
    const wo = Math.floor((g.w + 2 * g.p - g.k) / g.s) + 1;
    return fc.record({
      g: fc.constant(g),
      x: distinct(g.n * g.c * g.h * g.w).map((v): Array4 => ({ shape: [g.n, g.c, g.h, g.w], data: Float64Array.from(v) })),
      t: array4([g.n, g.c, ho, wo]),
    });
  });

describe('maxPool2d: E = Σ maxPool2d(X) ⊙ T', () => {
  it('∂E/∂X routes each T entry to the arg-max of its window', () => {
    fc.assert(
      fc.property(poolCase, ({ g, x, t }) => {
        const [n, c, ho, wo] = t.shape;
        const expected = zeros4(x.shape);
        for (let bn = 0; bn < n; bn++)
          for (let ci = 0; ci < c; ci++)
            for (let r = 0; r < ho; r++)
              for (let q = 0; q < wo; q++) {
                let best = Number.NEGATIVE_INFINITY;
                let where = -1;
                for (let i = 0; i < g.k; i++)
                  for (let j = 0; j < g.k; j++) {
                    const rr = r * g.s - g.p + i;
                    const qq = q * g.s - g.p + j;
                    if (rr < 0 || rr >= g.h || qq < 0 || qq >= g.w) continue;
                    if (get(x, bn, ci, rr, qq) > best) {
                      best = get(x, bn, ci, rr, qq);
                      where = at(x, bn, ci, rr, qq);
                    }
                  }
                expected.data[where]! += get(t, bn, ci, r, q);
              }
        const T = toTensor(t);
        const loss = (X: Tensor) => maxPool2d(X, { kernelSize: g.k, stride: g.s, padding: g.p }).mul(T).sum();
        const X = toTensor(x, true);
        loss(X).backward();
        const want = tensor(expected.data, { shape: [...expected.shape], dtype: 'float64' });
        assertClose('backward', X.grad!, want, 1e-12);
        assertClose('grad', grad(loss)(toTensor(x)), want, 1e-12);
      }),
      { numRuns: runs(80) },
    );
  });
});
