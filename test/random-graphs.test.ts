// Random computation graphs (test/support/graphs.ts): for each, reverse and forward mode
// against central finite differences, the duality of the two modes, jacobian in both modes,
// Hessians, and the library's own gradcheck to second order. All in float64.
import { describe, it } from 'vitest';
import { grad, gradcheck, hessian, jacobian, jvp, noGrad, tensor, vjp, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';
import { describeGraph, graphCase, graphFunction, graphHealth, type GraphCase } from './support/graphs.js';
import { sizeOf } from './support/shapes.js';

announceSeed('random-graphs');

/** Cases closer than this to a kink (relu at 0, a tie in max, ...) are skipped. */
const KINK_MARGIN = 1e-3;
/** Cases with values larger than this are skipped (finite differences lose their digits). */
const MAX_MAGNITUDE = 1e3;
/** Central-difference step; truncation error ~h²·f''', rounding ~1e-16·|f|/h. */
const H = 1e-5;
/** Tolerance of comparisons against finite differences, relative to the tensor's magnitude (floor 1). */
const FD_RTOL = 1e-6;
/** Tolerance of comparisons between two exact computations (rounding only). */
const EXACT_RTOL = 1e-10;

interface Prepared {
  readonly c: GraphCase;
  readonly xs: Tensor[];
  readonly f: (...xs: Tensor[]) => Tensor;
}

function prepare(c: GraphCase): Prepared | null {
  const xs = c.values.map((v, i) => tensor(v, { dtype: 'float64' }).reshape(c.graph.inputs[i]!));
  const health = noGrad(() => graphHealth(c.graph, xs));
  if (!(health.margin >= KINK_MARGIN) || !(health.magnitude <= MAX_MAGNITUDE)) return null;
  return { c, xs, f: graphFunction(c.graph) };
}

/** Deterministic pseudo-random numbers in [-1, 1] (a direction or cotangent), independent of the library. */
function direction(shape: readonly number[], salt: number): Tensor {
  const n = sizeOf(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(12.9898 * (i + 1) + 78.233 * (salt + 1)) * 0.9 + 0.05;
  return tensor(data, { dtype: 'float64', shape: [...shape] });
}

/** f at xs with input i's element j moved by delta (a plain forward evaluation). */
function shifted(p: Prepared, i: number, j: number, delta: number): Float64Array {
  const data = Float64Array.from(p.xs[i]!.data());
  data[j]! += delta;
  const args = [...p.xs];
  args[i] = tensor(data, { dtype: 'float64', shape: [...p.xs[i]!.shape] });
  return Float64Array.from(noGrad(() => p.f(...args)).data());
}

/** Comparison against a finite-difference reference: max |a − n| / max(1, max |n|) ≤ FD_RTOL. */
function assertFD(label: string, analytic: Tensor, numeric: readonly number[], shape: readonly number[]): void {
  if (analytic.shape.join() !== shape.join()) throw new Error(`${label}: shape [${analytic.shape}], expected [${shape}]`);
  const a = analytic.data();
  const scale = Math.max(1, ...numeric.map(Math.abs));
  let worst = 0;
  let at = 0;
  numeric.forEach((n, k) => {
    const e = Math.abs(a[k]! - n) / scale;
    if (!(e <= worst)) [worst, at] = [Number.isNaN(e) ? Infinity : e, k];
  });
  if (!(worst <= FD_RTOL)) {
    throw new Error(
      `${label}: element ${at} is ${a[at]}, finite differences give ${numeric[at]} (error ${worst.toExponential(2)} of scale ${scale}, allowed ${FD_RTOL})`,
    );
  }
}

const inner = (a: Tensor, b: Tensor) => {
  const x = a.data();
  const y = b.data();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
};

const property = (name: string, numRuns: number, check: (p: Prepared) => void, opts = {}) =>
  it(name, () => {
    fc.assert(
      fc.property(graphCase(opts), (c) => {
        const p = prepare(c);
        if (p === null) return fc.pre(false);
        try {
          check(p);
        } catch (e) {
          (e as Error).message += `\n${describeGraph(c.graph, c.values)}`;
          throw e;
        }
      }),
      { numRuns: runs(numRuns) },
    );
  });

describe('random graphs (float64)', () => {
  property('reverse mode: the pullback of u equals central differences of ⟨u, f⟩', 120, (p) => {
    const out = noGrad(() => p.f(...p.xs));
    const u = direction(out.shape, 1);
    const [, pullback] = vjp(p.f, ...p.xs);
    const cts = pullback(u);
    p.xs.forEach((x, i) => {
      if (cts[i]!.shape.join() !== x.shape.join())
        throw new Error(`cotangent of input ${i} has shape [${cts[i]!.shape}], the input [${x.shape}]`);
      const ud = u.data();
      const numeric = Array.from({ length: x.size }, (_, j) => {
        const plus = shifted(p, i, j, H);
        const minus = shifted(p, i, j, -H);
        let s = 0;
        for (let k = 0; k < ud.length; k++) s += ud[k]! * (plus[k]! - minus[k]!);
        return s / (2 * H);
      });
      assertFD(`reverse mode, input ${i}`, cts[i]!, numeric, x.shape);
    });
  });

  property('forward mode: the jvp along v equals central differences of f along v', 120, (p) => {
    const vs = p.xs.map((x, i) => direction(x.shape, 10 + i));
    const [out, tangent] = jvp(p.f, p.xs, vs);
    const along = (t: number) => Float64Array.from(noGrad(() => p.f(...p.xs.map((x, i) => x.add(vs[i]!.mul(t))))).data());
    const plus = along(H);
    const minus = along(-H);
    assertFD(
      'forward mode',
      tangent,
      Array.from(plus, (v, k) => (v - minus[k]!) / (2 * H)),
      out.shape,
    );
  });

  property('duality: ⟨u, J v⟩ = ⟨Jᵀ u, v⟩', 150, (p) => {
    const out = noGrad(() => p.f(...p.xs));
    const u = direction(out.shape, 2);
    const vs = p.xs.map((x, i) => direction(x.shape, 20 + i));
    const jv = jvp(p.f, p.xs, vs)[1];
    const jtu = vjp(p.f, ...p.xs)[1](u);
    const lhs = inner(u, jv);
    const rhs = jtu.reduce((s, g, i) => s + inner(g, vs[i]!), 0);
    const scale = Math.max(1, Math.abs(lhs));
    if (!(Math.abs(lhs - rhs) <= EXACT_RTOL * scale)) throw new Error(`⟨u, Jv⟩ = ${lhs} but ⟨Jᵀu, v⟩ = ${rhs}`);
  });

  property('jacobian: forward mode equals reverse mode, for each input', 80, (p) => {
    p.xs.forEach((x, i) => {
      const fi = (xi: Tensor) => p.f(...p.xs.map((y, k) => (k === i ? xi : y)));
      const forward = jacobian(fi, { mode: 'forward' })(x);
      const reverse = jacobian(fi, { mode: 'reverse' })(x);
      assertClose(`jacobian of input ${i}: forward vs reverse`, forward, reverse, EXACT_RTOL, 1);
    });
  });

  property(
    'hessian: symmetric, and equal to the jacobian of grad (reverse over reverse)',
    60,
    (p) => {
      const out = noGrad(() => p.f(...p.xs));
      const c = direction(out.shape, 3);
      p.xs.forEach((x, i) => {
        // A scalar with curvature even where f is linear: s = ⟨c, f⟩ + ½‖f‖².
        const s = (xi: Tensor) => {
          const y = p.f(...p.xs.map((z, k) => (k === i ? xi : z)));
          return y.mul(c).sum().add(y.square().sum().mul(0.5));
        };
        const H2 = hessian(s)(x);
        const n = x.size;
        const flatH = H2.reshape([n, n]);
        assertClose(`hessian of input ${i} is symmetric`, flatH, flatH.T, EXACT_RTOL, 1);
        assertClose(
          `hessian of input ${i} = jacobian(grad) reverse-over-reverse`,
          H2,
          jacobian(grad(s), { mode: 'reverse' })(x),
          EXACT_RTOL,
          1,
        );
      });
    },
    { maxInputElements: 16 },
  );

  property(
    'gradcheck passes to second order',
    25,
    (p) => {
      const report = gradcheck(p.f, p.xs, { secondOrder: true });
      if (!report.ok) throw new Error(`gradcheck failed: ${JSON.stringify(report.worst)}`);
    },
    { maxInputElements: 10, maxSteps: 4 },
  );
});
