// vmap over the random computation graphs of test/support/graphs.ts, against the loop it
// replaces: vmap(f) equals stack(map f) for random inAxes and outAxes; vmap(grad) equals the
// per-example gradients; nested vmaps commute; grad, jvp and vmap compose in every order;
// jacfwd, jacrev, the loop-built Jacobian and finite differences agree. All in float64.
import { describe, it } from 'vitest';
import { grad, jacfwd, jacrev, jvp, noGrad, stack, tensor, vmap, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';
import { describeGraph, graphCase, graphFunction, graphHealth, type GraphCase } from './support/graphs.js';

announceSeed('vmap-graphs');

/** Batched and looped results differ only by rounding (a gemm may fold examples into rows). */
const RTOL = 1e-10;
/** Central-difference step and tolerance (as random-graphs.test.ts). */
const H = 1e-5;
const FD_RTOL = 1e-6;

/**
 * Example b of a graph's inputs: the drawn values for b = 0, a deterministic remapping of
 * them (same range, different values) for the others.
 */
function examples(c: GraphCase, size: number): Tensor[][] {
  return Array.from({ length: size }, (_, b) =>
    c.values.map((v, i) => {
      const values = b === 0 ? v : v.map((e, k) => 1.5 * Math.sin(1.7 * (b + 1) * e + 0.3 * k + b));
      return tensor(values, { dtype: 'float64' }).reshape(c.graph.inputs[i]!);
    }),
  );
}

/** Cases whose values are finite and moderate in every example, with a margin from kinks for derivatives. */
function healthy(c: GraphCase, batch: readonly Tensor[][], margin: number): boolean {
  return batch.every((xs) => {
    const h = noGrad(() => graphHealth(c.graph, xs));
    return h.margin >= margin && h.magnitude <= 1e3;
  });
}

/** Per input, a batch axis in [−(rank+1), rank] or null; at least one input batched. */
const axesFor = (c: GraphCase) =>
  fc
    .tuple(...c.graph.inputs.map((s) => fc.option(fc.integer({ min: -(s.length + 1), max: s.length }), { freq: 4 })))
    .filter((axes) => axes.some((a) => a !== null));

const withBatch = (opts = {}) =>
  graphCase(opts).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: 3 }), axesFor(c), fc.integer({ min: -1, max: 0 })));

const property = <T>(
  name: string,
  numRuns: number,
  arb: fc.Arbitrary<T>,
  graphOf: (t: T) => GraphCase,
  check: (t: T) => boolean | undefined,
) =>
  it(name, () => {
    fc.assert(
      fc.property(arb, (t) => {
        try {
          const ok = check(t);
          if (ok === false) return fc.pre(false);
        } catch (e) {
          (e as Error).message += `\n${describeGraph(graphOf(t).graph, graphOf(t).values)}`;
          throw e;
        }
      }),
      { numRuns: runs(numRuns) },
    );
  });

/**
 * A property over a graph, a batch of its examples (all healthy, a margin from kinks for
 * derivatives) and the graph's function; the batch is stacked along axis 0 in `args`.
 */
const derivativeProperty = (
  name: string,
  numRuns: number,
  check: (c: GraphCase, batch: Tensor[][], f: (...xs: Tensor[]) => Tensor, args: Tensor[]) => void,
) =>
  property(
    name,
    numRuns,
    withBatch(),
    ([c]) => c,
    ([c, size]) => {
      const batch = examples(c, size);
      if (!healthy(c, batch, 1e-3)) return false;
      const args = c.graph.inputs.map((_, i) => stack(batch.map((xs) => xs[i]!)));
      check(c, batch, graphFunction(c.graph), args);
      return true;
    },
  );

describe('vmap over random graphs (float64)', () => {
  property(
    'vmap(f)(xs) equals stack(xs.map(f)) for random inAxes and outAxes',
    60,
    withBatch(),
    ([c]) => c,
    ([c, size, inAxes, outAxis]) => {
      const batch = examples(c, size);
      if (!healthy(c, batch, 0)) return false;
      const f = graphFunction(c.graph);
      // An unbatched input is example 0's value in every example.
      const each = batch.map((xs) => f(...xs.map((x, i) => (inAxes[i] === null ? batch[0]![i]! : x))));
      const args = c.graph.inputs.map((_, i) =>
        inAxes[i] === null
          ? batch[0]![i]!
          : stack(
              batch.map((xs) => xs[i]!),
              inAxes[i]!,
            ),
      );
      assertClose('vmap vs loop', vmap(f, { inAxes, outAxes: outAxis })(...args), stack(each, outAxis), RTOL, 1);
    },
  );

  derivativeProperty('vmap(grad(loss)) equals the loop of per-example gradients, for every input', 40, (c, batch, f, args) => {
    const argnums = c.graph.inputs.map((_, i) => i);
    const loss = (...xs: Tensor[]) => {
      const y = f(...xs);
      return y.sin().sum().add(y.square().sum().mul(0.5));
    };
    const perExample = (...xs: Tensor[]) => grad(loss, { argnums })(...xs);
    const got = vmap(perExample)(...args);
    got.forEach((g, i) => {
      assertClose(`per-example gradient of input ${i}`, g, stack(batch.map((xs) => perExample(...xs)[i]!)), RTOL, 1);
    });
  });

  property(
    'nested vmaps commute: mapping axis 0 then 1 equals mapping 1 then 0, and the double loop',
    30,
    graphCase({ maxInputElements: 12 }),
    (c) => c,
    (c) => {
      const f = graphFunction(c.graph);
      const grid = [0, 1].map((i) => examples(c, 3).slice(i, i + 2)); // 2 × 2 examples
      if (!grid.every((row) => healthy(c, row, 0))) return false;
      const args = c.graph.inputs.map((_, k) => stack(grid.map((row) => stack(row.map((xs) => xs[k]!)))));
      const inner = vmap(f);
      const byRows = vmap(inner)(...args);
      const byColumns = vmap(vmap(f), { inAxes: 1, outAxes: 1 })(...args);
      const loops = stack(grid.map((row) => stack(row.map((xs) => f(...xs)))));
      assertClose('vmap(vmap) over rows first vs columns first', byRows, byColumns, RTOL, 1);
      assertClose('vmap(vmap) vs the double loop', byRows, loops, RTOL, 1);
    },
  );

  derivativeProperty('grad(vmap(f)), jvp(vmap(f)) and vmap(jvp(f)) equal the per-example derivatives', 30, (c, batch, f, args) => {
    const n = c.graph.inputs.length;
    const argnums = c.graph.inputs.map((_, i) => i);
    const tangents = args.map((a) => a.cos());
    const batchedF = vmap(f);
    const gradsOfSum = grad((...xs: Tensor[]) => batchedF(...xs).sum(), { argnums })(...args);
    const perExample = batch.map((xs) => grad((...ys: Tensor[]) => f(...ys).sum(), { argnums })(...xs));
    gradsOfSum.forEach((g, i) => {
      assertClose(`grad(vmap) of input ${i}`, g, stack(perExample.map((gs) => gs[i]!)), RTOL, 1);
    });
    const loopJvp = stack(
      batch.map(
        (xs, b) =>
          jvp(
            f,
            xs,
            tangents.map((t) => t.index(b)),
          )[1],
      ),
    );
    assertClose('jvp(vmap)', jvp(batchedF, args, tangents)[1], loopJvp, RTOL, 1);
    const vmapJvp = vmap((...xt: Tensor[]) => jvp(f, xt.slice(0, n), xt.slice(n))[1])(...args, ...tangents);
    assertClose('vmap(jvp)', vmapJvp, loopJvp, RTOL, 1);
  });

  property(
    'jacfwd, jacrev, the loop-built Jacobian and finite differences agree, for each input',
    40,
    graphCase({ maxInputElements: 16 }),
    (c) => c,
    (c) => {
      const xs = examples(c, 1)[0]!;
      if (!healthy(c, [xs], 1e-3)) return false;
      const f = graphFunction(c.graph);
      xs.forEach((x, i) => {
        const fi = (xi: Tensor) => f(...xs.map((y, k) => (k === i ? xi : y)));
        const forward = jacfwd(fi)(x);
        const reverse = jacrev(fi)(x);
        const out = noGrad(() => fi(x));
        const flatIn = x.size;
        // The loop this replaces: one jvp per basis vector, and central differences.
        const columns: Tensor[] = [];
        const differences: Tensor[] = [];
        for (let j = 0; j < flatIn; j++) {
          const e = new Float64Array(flatIn);
          e[j] = 1;
          const ej = tensor(e, { dtype: 'float64' }).reshape(x.shape);
          columns.push(jvp(fi, [x], [ej])[1].reshape([-1]));
          differences.push(
            noGrad(() =>
              fi(x.add(ej.mul(H)))
                .sub(fi(x.sub(ej.mul(H))))
                .div(2 * H)
                .reshape([-1]),
            ),
          );
        }
        const shape = [...out.shape, ...x.shape];
        const loop = flatIn === 0 ? forward : stack(columns, 1).reshape(shape);
        assertClose(`jacfwd vs jacrev, input ${i}`, forward, reverse, RTOL, 1);
        assertClose(`jacfwd vs the loop of jvps, input ${i}`, forward, loop, RTOL, 1);
        if (flatIn > 0) assertClose(`jacfwd vs finite differences, input ${i}`, forward, stack(differences, 1).reshape(shape), FD_RTOL, 1);
      });
    },
  );
});
