// Broadcasting is undone in one place (the broadcast primitive's VJP sums the cotangent over
// the stretched axes). These properties check its result from outside: the gradient of a
// broadcast operand has the operand's shape and equals the sum, over the broadcast axes, of
// the elementwise derivative; batched matmul with broadcast batch dimensions included. The
// reference is plain index arithmetic (test/support/shapes.ts).
import { describe, it } from 'vitest';
import { grad, tensor, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';
import { broadcast, formatShape, sizeOf, sourceIndex, unravel, type Shape } from './support/shapes.js';

announceSeed('broadcasting');

const value = fc.integer({ min: -1536, max: 1536 }).map((i) => i / 1024);
const values = (shape: Shape) => fc.array(value, { minLength: sizeOf(shape), maxLength: sizeOf(shape) });
const t64 = (v: readonly number[], shape: Shape) => tensor([...v], { dtype: 'float64' }).reshape(shape);

/** A shape and two operand shapes that broadcast to it (axes set to 1, leading axes dropped). */
const broadcastShapes = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })
  .chain((out) => {
    const operand = fc
      .tuple(fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }), fc.integer({ min: 0, max: out.length }))
      .map(([ones, drop]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.tuple(operand, operand);
  })
  .filter(([a, b]) => broadcast(a, b) !== null);

interface Elementwise {
  readonly apply: (a: Tensor, b: Tensor) => Tensor;
  /** ∂op/∂a and ∂op/∂b at (a, b), by hand. */
  readonly da: (a: number, b: number) => number;
  readonly db: (a: number, b: number) => number;
  /** Cases with |a − b| below this are skipped (kinks). */
  readonly kink?: boolean;
}

const elementwise: Record<string, Elementwise> = {
  add: { apply: (a, b) => a.add(b), da: () => 1, db: () => 1 },
  sub: { apply: (a, b) => a.sub(b), da: () => 1, db: () => -1 },
  mul: { apply: (a, b) => a.mul(b), da: (_a, b) => b, db: (a) => a },
  // a / (b² + ½): ∂/∂a = 1/(b² + ½), ∂/∂b = −2ab/(b² + ½)²
  div: { apply: (a, b) => a.div(b.square().add(0.5)), da: (_a, b) => 1 / (b * b + 0.5), db: (a, b) => (-2 * a * b) / (b * b + 0.5) ** 2 },
  maximum: { apply: (a, b) => a.maximum(b), da: (a, b) => (a > b ? 1 : 0), db: (a, b) => (b > a ? 1 : 0), kink: true },
};

describe('broadcasting in reverse mode', () => {
  it('the gradient of a broadcast operand is the sum of the derivative over the broadcast axes', () => {
    const cases = fc.tuple(broadcastShapes, fc.constantFrom(...Object.keys(elementwise))).chain(([[sa, sb], op]) => {
      const out = broadcast(sa, sb)!;
      return fc.record({ op: fc.constant(op), sa: fc.constant(sa), sb: fc.constant(sb), a: values(sa), b: values(sb), u: values(out) });
    });
    fc.assert(
      fc.property(cases, ({ op, sa, sb, a, b, u }) => {
        const row = elementwise[op]!;
        const out = broadcast(sa, sb)!;
        // Reference: walk the output; element j reads a[src(j)] and b[src(j)], so their
        // gradients collect u[j]·∂op at those positions.
        const ga = new Array<number>(sizeOf(sa)).fill(0);
        const gb = new Array<number>(sizeOf(sb)).fill(0);
        for (let j = 0; j < sizeOf(out); j++) {
          const idx = unravel(j, out);
          const ia = sourceIndex(idx, sa);
          const ib = sourceIndex(idx, sb);
          if (row.kink && Math.abs(a[ia]! - b[ib]!) < 1e-6) return fc.pre(false);
          ga[ia]! += u[j]! * row.da(a[ia]!, b[ib]!);
          gb[ib]! += u[j]! * row.db(a[ia]!, b[ib]!);
        }
        const U = t64(u, out);
        const f = (x: Tensor, y: Tensor) => row.apply(x, y).mul(U).sum();
        const [gA, gB] = grad(f, { argnums: [0, 1] })(t64(a, sa), t64(b, sb));
        const label = `${op}(${formatShape(sa)}, ${formatShape(sb)}) -> ${formatShape(out)}`;
        assertClose(`${label}: gradient of the first operand`, gA!, t64(ga, sa), 1e-12, 1);
        assertClose(`${label}: gradient of the second operand`, gB!, t64(gb, sb), 1e-12, 1);
      }),
      { numRuns: runs(150) },
    );
  });

  it('broadcastTo: the gradient sums the cotangent over the broadcast axes', () => {
    const cases = broadcastShapes.chain(([sa, sb]) => {
      const out = broadcast(sa, sb)!;
      return fc.record({ sa: fc.constant(sa), out: fc.constant(out), a: values(sa), u: values(out) });
    });
    fc.assert(
      fc.property(cases, ({ sa, out, a, u }) => {
        const expected = new Array<number>(sizeOf(sa)).fill(0);
        for (let j = 0; j < sizeOf(out); j++) expected[sourceIndex(unravel(j, out), sa)]! += u[j]!;
        const U = t64(u, out);
        const g = grad((x: Tensor) => x.broadcastTo(out).mul(U).sum())(t64(a, sa));
        assertClose(`broadcastTo(${formatShape(sa)} -> ${formatShape(out)})`, g, t64(expected, sa), 1e-12, 1);
      }),
      { numRuns: runs(100) },
    );
  });

  it('batched matmul: batch dimensions broadcast, and each operand gradient sums over its broadcast batch', () => {
    const dims = fc.integer({ min: 1, max: 3 });
    const cases = fc
      .record({
        m: dims,
        k: dims,
        n: dims,
        batch: fc.array(dims, { minLength: 0, maxLength: 2 }),
        onesA: fc.nat(3),
        onesB: fc.nat(3),
        dropA: fc.nat(2),
        dropB: fc.nat(2),
      })
      .chain(({ m, k, n, batch, onesA, onesB, dropA, dropB }) => {
        const batchA = batch.map((d, i) => ((onesA >> i) & 1 ? 1 : d)).slice(Math.min(dropA, batch.length));
        const batchB = batch.map((d, i) => ((onesB >> i) & 1 ? 1 : d)).slice(Math.min(dropB, batch.length));
        const sa = [...batchA, m, k];
        const sb = [...batchB, k, n];
        const outBatch = broadcast(batchA, batchB)!;
        const out = [...outBatch, m, n];
        return fc.record({
          sa: fc.constant(sa),
          sb: fc.constant(sb),
          out: fc.constant(out),
          outBatch: fc.constant(outBatch),
          a: values(sa),
          b: values(sb),
          u: values(out),
        });
      });
    fc.assert(
      fc.property(cases, ({ sa, sb, out, outBatch, a, b, u }) => {
        const [m, k] = sa.slice(-2) as [number, number];
        const n = sb[sb.length - 1]!;
        const batchA = sa.slice(0, -2);
        const batchB = sb.slice(0, -2);
        // Reference: out[β, i, j] = Σₖ A[βA, i, p]·B[βB, p, j], where βA, βB are β read through
        // broadcasting; so ∂/∂A[βA, i, p] = Σ_{β → βA} Σⱼ u[β, i, j]·B[βB, p, j], and likewise for B.
        const ga = new Array<number>(sizeOf(sa)).fill(0);
        const gb = new Array<number>(sizeOf(sb)).fill(0);
        for (let beta = 0; beta < sizeOf(outBatch); beta++) {
          const bi = unravel(beta, outBatch);
          const oa = sourceIndex(bi, batchA) * m * k;
          const ob = sourceIndex(bi, batchB) * k * n;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const g = u[(beta * m + i) * n + j]!;
              for (let p = 0; p < k; p++) {
                ga[oa + i * k + p]! += g * b[ob + p * n + j]!;
                gb[ob + p * n + j]! += g * a[oa + i * k + p]!;
              }
            }
          }
        }
        const U = t64(u, out);
        const f = (x: Tensor, y: Tensor) => x.matmul(y).mul(U).sum();
        const [gA, gB] = grad(f, { argnums: [0, 1] })(t64(a, sa), t64(b, sb));
        const label = `matmul(${formatShape(sa)}, ${formatShape(sb)}) -> ${formatShape(out)}`;
        assertClose(`${label}: gradient of A`, gA!, t64(ga, sa), 1e-12, 1);
        assertClose(`${label}: gradient of B`, gB!, t64(gb, sb), 1e-12, 1);
      }),
      { numRuns: runs(150) },
    );
  });
});
