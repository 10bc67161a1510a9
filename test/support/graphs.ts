// Random computation graphs over the library's primitives and public composites.
//
// A graph is generated in two stages so that it shrinks well: a *recipe* (a base shape and a
// list of steps, each an op name and a few small integers) is interpreted against the shapes
// built so far, which fixes every operand and parameter and adds new inputs where an op needs a
// second operand (a broadcast-compatible tensor, a matrix for matmul, a block for concat);
// then values are drawn for the inputs. Steps that do not fit the shapes at hand are skipped.
//
// Every op keeps to the domain where it is smooth: log, sqrt and reciprocal see x² + ½, pow a
// base x² + ½, div a denominator y² + ½ (the "domain guards"); ops with kinks or ties (abs,
// relu, maximum, minimum, clamp, where, max, min) report how far their inputs are from the
// kink, and the properties skip cases closer than `KINK_MARGIN` (finite differences straddling a
// kink would be wrong, not the library).
import { concat, stack, type Tensor } from '@jacobi/tensor';
import { fc } from './properties.js';
import { broadcast, formatShape, sizeOf, unravel, type Shape } from './shapes.js';

/** Largest element count of any value in a graph. */
const MAX_SIZE = 24;

/** One operation of a built graph: `out = apply(operands)`, operands being value indices. */
export interface GraphStep {
  readonly op: string;
  readonly operands: readonly number[];
  readonly params: Record<string, unknown>;
  readonly shape: Shape;
}

export interface Graph {
  /** The shapes of the inputs (values 0 .. inputs.length-1). */
  readonly inputs: readonly Shape[];
  readonly steps: readonly GraphStep[];
}

/** A graph with values for its inputs (float64). */
export interface GraphCase {
  readonly graph: Graph;
  readonly values: readonly number[][];
}

interface Row {
  /** Plans the step for operand shape `x`; returns params, the output shape and the shapes of new inputs. */
  plan(
    x: Shape,
    p: number,
    q: number,
    existing: readonly Shape[],
  ): { params: Record<string, unknown>; shape: Shape; partner?: Shape | number } | null;
  // biome-ignore lint/suspicious/noExplicitAny: each generated op reads its own params; the table holds every kind
  apply(xs: readonly Tensor[], params: Record<string, any>): Tensor;
  /** Distance of the inputs from a kink or tie (Infinity for smooth ops). */
  // biome-ignore lint/suspicious/noExplicitAny: each generated op reads its own params; the table holds every kind
  margin?(xs: readonly Tensor[], params: Record<string, any>): number;
}

const positive = (x: Tensor) => x.square().add(0.5);
const same = (x: Shape) => ({ params: {}, shape: x });

/** For binary elementwise ops: the partner operand, an existing value or a new input, and the broadcast shape. */
function partner(x: Shape, p: number, q: number, existing: readonly Shape[]) {
  const compatible = existing
    .map((s, i) => [s, i] as const)
    .filter(([s]) => broadcast(x, s) !== null && sizeOf(broadcast(x, s)!) <= MAX_SIZE);
  if (p % 3 === 0 && compatible.length > 0) {
    const [s, i] = compatible[q % compatible.length]!;
    return { params: {}, shape: broadcast(x, s)!, partner: i };
  }
  // A new input: x's shape with some axes set to 1, or leading axes dropped, or a new leading axis.
  let shape: number[];
  switch (q % 4) {
    case 0:
      shape = [...x];
      break;
    case 1:
      shape = x.map((d, i) => ((p >> i) & 1 ? 1 : d));
      break;
    case 2:
      shape = x.slice(Math.min(x.length, 1 + (p % 2)));
      break;
    default:
      shape = [2, ...x];
      break;
  }
  const out = broadcast(x, shape)!;
  return sizeOf(out) > MAX_SIZE ? null : { params: {}, shape: out, partner: shape };
}

/** Groups of flat indices along `axis` of `shape`. */
function lines(shape: Shape, axis: number): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    idx[axis] = 0;
    const key = idx.join();
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  }
  return [...groups.values()];
}

/** The gap between the largest and second largest along `axis` (how far from a tie). */
function tieMargin(x: Tensor, axis: number, sign = 1): number {
  const data = x.data();
  let margin = Infinity;
  for (const line of lines(x.shape, axis)) {
    const vs = line.map((i) => sign * data[i]!).sort((a, b) => b - a);
    if (vs.length > 1) margin = Math.min(margin, vs[0]! - vs[1]!);
  }
  return margin;
}

const minAbs = (t: Tensor) => Math.min(...Array.from(t.data(), Math.abs));
const distance = (a: Tensor, b: Tensor) => minAbs(a.sub(b));

const elementwise = (f: (x: Tensor) => Tensor, margin?: Row['margin']): Row => ({ plan: same, apply: ([x]) => f(x!), margin });
const binaryRow = (f: (x: Tensor, y: Tensor) => Tensor, margin?: Row['margin']): Row => ({
  plan: partner,
  apply: ([x, y]) => f(x!, y!),
  margin,
});
const needsRank = (x: Shape, r: number) => x.length >= r;
const axisOf = (x: Shape, p: number) => p % x.length;
const reduced = (x: Shape, axes: readonly number[], keepdims: boolean) =>
  keepdims ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));

/** The op table: name → how to plan it, run it, and how close it is to a kink. */
export const ops: Record<string, Row> = {
  // unary elementwise primitives (and guarded composites of them)
  neg: elementwise((x) => x.neg()),
  exp: elementwise((x) => x.exp()),
  log: elementwise((x) => positive(x).log()),
  sqrt: elementwise((x) => positive(x).sqrt()),
  reciprocal: elementwise((x) => positive(x).reciprocal()),
  tanh: elementwise((x) => x.tanh()),
  sigmoid: elementwise((x) => x.sigmoid()),
  sin: elementwise((x) => x.sin()),
  cos: elementwise((x) => x.cos()),
  square: elementwise((x) => x.square()),
  abs: elementwise(
    (x) => x.abs(),
    ([x]) => minAbs(x!),
  ),
  relu: elementwise(
    (x) => x.relu(),
    ([x]) => minAbs(x!),
  ),
  clamp: elementwise(
    (x) => x.clamp(-0.5, 0.7),
    ([x]) => Math.min(minAbs(x!.add(0.5)), minAbs(x!.sub(0.7))),
  ),
  // smooth elementwise math and activations (ops/math.ts)
  atan: elementwise((x) => x.atan()),
  sinh: elementwise((x) => x.sinh()),
  log1p: elementwise((x) => positive(x).log1p()),
  expm1: elementwise((x) => x.expm1()),
  erf: elementwise((x) => x.erf()),
  softplus: elementwise((x) => x.softplus()),
  silu: elementwise((x) => x.silu()),
  gelu: elementwise((x) => x.gelu()),
  mish: elementwise((x) => x.mish()),
  // binary elementwise primitives, broadcasting
  add: binaryRow((x, y) => x.add(y)),
  sub: binaryRow((x, y) => x.sub(y)),
  mul: binaryRow((x, y) => x.mul(y)),
  div: binaryRow((x, y) => x.div(positive(y))),
  pow: binaryRow((x, y) => positive(x).pow(y)),
  maximum: binaryRow(
    (x, y) => x.maximum(y),
    ([x, y]) => distance(x!, y!),
  ),
  minimum: binaryRow(
    (x, y) => x.minimum(y),
    ([x, y]) => distance(x!, y!),
  ),
  where: binaryRow(
    (x, y) => x.greater(y).where(x.mul(y), x.sub(y)),
    ([x, y]) => distance(x!, y!),
  ),
  logAddExp: binaryRow((x, y) => x.logAddExp(y)),
  // NOTE: hypot's kink is the origin, where its curvature grows as 1/r: a central difference
  // of step H errs by about H²/r², so the margin is r²/0.1 (a radius of 0.01 just passes).
  hypot: binaryRow(
    (x, y) => x.hypot(y),
    ([x, y]) => minAbs(x!.hypot(y!)) ** 2 / 0.1,
  ),
  // reductions
  sum: {
    plan: (x, p, q) => {
      const axes = x.map((_, i) => i).filter((i) => (p >> i) & 1);
      return { params: { axes, keepdims: q % 2 === 1 }, shape: reduced(x, axes, q % 2 === 1) };
    },
    apply: ([x], { axes, keepdims }) => x!.sum(axes, keepdims),
  },
  mean: {
    plan: (x, p, q) =>
      needsRank(x, 1) ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) } : null,
    apply: ([x], { axis, keepdims }) => x!.mean(axis, keepdims),
  },
  max: {
    plan: (x, p, q) =>
      needsRank(x, 1) ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) } : null,
    apply: ([x], { axis, keepdims }) => x!.max(axis, keepdims),
    margin: ([x], { axis }) => tieMargin(x!, axis),
  },
  min: {
    plan: (x, p, q) =>
      needsRank(x, 1) ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) } : null,
    apply: ([x], { axis, keepdims }) => x!.min(axis, keepdims),
    margin: ([x], { axis }) => tieMargin(x!, axis, -1),
  },
  logSumExp: {
    plan: (x, p, q) =>
      needsRank(x, 1) ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) } : null,
    apply: ([x], { axis, keepdims }) => x!.logSumExp(axis, keepdims),
  },
  prod: {
    plan: (x, p, q) =>
      needsRank(x, 1) ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) } : null,
    apply: ([x], { axis, keepdims }) => x!.prod(axis, keepdims),
  },
  variance: {
    plan: (x, p, q) =>
      needsRank(x, 1) && x[axisOf(x, p)]! > 1
        ? { params: { axis: axisOf(x, p), keepdims: q % 2 === 1 }, shape: reduced(x, [axisOf(x, p)], q % 2 === 1) }
        : null,
    apply: ([x], { axis, keepdims }) => x!.variance(axis, { keepdims }),
  },
  cumsum: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.cumsum(axis),
  },
  cumprod: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.cumprod(axis),
  },
  logCumSumExp: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.logCumSumExp(axis),
  },
  softmax: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.softmax(axis),
  },
  logSoftmax: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.logSoftmax(axis),
  },
  // layout
  transpose: {
    plan: (x, p) => {
      if (x.length < 2) return null;
      const perm = x.map((_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = (p >> (2 * i)) % (i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return { params: { perm }, shape: perm.map((i) => x[i]!) };
    },
    apply: ([x], { perm }) => x!.transpose(perm),
  },
  reshape: {
    plan: (x, p) => {
      const options: Shape[] = [[sizeOf(x)], [...x, 1], [1, ...x]];
      if (x.length >= 2) options.push([x[0]! * x[1]!, ...x.slice(2)]);
      const shape = options[p % options.length]!;
      return { params: { shape }, shape };
    },
    apply: ([x], { shape }) => x!.reshape(shape),
  },
  broadcastTo: {
    plan: (x, p, q) => {
      const stretched = x.map((d, i) => (d === 1 && (p >> i) & 1 ? 2 + (q % 2) : d));
      const shape = q % 3 === 0 ? [2, ...stretched] : stretched;
      return sizeOf(shape) > MAX_SIZE ? null : { params: { shape }, shape };
    },
    apply: ([x], { shape }) => x!.broadcastTo(shape),
  },
  expandDims: {
    plan: (x, p) => {
      const axis = p % (x.length + 1);
      const shape = [...x];
      shape.splice(axis, 0, 1);
      return { params: { axis }, shape };
    },
    apply: ([x], { axis }) => x!.expandDims(axis),
  },
  squeeze: {
    plan: (x) => (x.includes(1) ? { params: {}, shape: x.filter((d) => d !== 1) } : null),
    apply: ([x]) => x!.squeeze(),
  },
  slice: {
    plan: (x, p, q) => {
      if (x.length === 0) return null;
      const axis = axisOf(x, p);
      const n = x[axis]!;
      const step = [1, 2, -1, -2][q % 4]!;
      const start = step > 0 ? (q >> 2) % n : n - 1 - ((q >> 2) % n);
      const count = step > 0 ? Math.ceil((n - start) / step) : Math.ceil((start + 1) / -step);
      const shape = x.map((d, i) => (i === axis ? count : d));
      return { params: { axis, start, step }, shape };
    },
    apply: ([x], { axis, start, step }) => x!.slice(axis, start, undefined, step),
  },
  index: {
    plan: (x, p) => (x.length === 0 ? null : { params: { at: p % x[0]! }, shape: x.slice(1) }),
    apply: ([x], { at }) => x!.index(at),
  },
  flip: {
    plan: (x, p) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p) }, shape: x } : null),
    apply: ([x], { axis }) => x!.flip([axis]),
  },
  roll: {
    plan: (x, p, q) => (needsRank(x, 1) ? { params: { axis: axisOf(x, p), shift: (q % 5) - 2 }, shape: x } : null),
    apply: ([x], { axis, shift }) => x!.roll(shift, axis),
  },
  // take with repeated and negative positions: the gradient scatter-adds
  take: {
    plan: (x, p, q) => {
      if (x.length === 0) return null;
      const axis = axisOf(x, p);
      const n = x[axis]!;
      const positions = [q % n, -1 - (p % n), q % n];
      const shape = x.map((d, i) => (i === axis ? positions.length : d));
      return sizeOf(shape) > MAX_SIZE ? null : { params: { axis, positions }, shape };
    },
    apply: ([x], { axis, positions }) => x!.take(positions, axis),
  },
  concat: {
    plan: (x, p, q) => {
      if (x.length === 0) return null;
      const axis = axisOf(x, p);
      const block = x.map((d, i) => (i === axis ? 1 + (q % 2) : d));
      const shape = x.map((d, i) => (i === axis ? d + block[i]! : d));
      return sizeOf(shape) > MAX_SIZE ? null : { params: { axis }, shape, partner: block };
    },
    apply: ([x, y], { axis }) => concat([x!, y!], axis),
  },
  stack: {
    plan: (x, p) => {
      const axis = p % (x.length + 1);
      const shape = [...x];
      shape.splice(axis, 0, 2);
      return sizeOf(shape) > MAX_SIZE ? null : { params: { axis }, shape, partner: x };
    },
    apply: ([x, y], { axis }) => stack([x!, y!], axis),
  },
  // matmul with a new operand: x·W or L·x, batched with broadcast batch dimensions
  matmul: {
    plan: (x, p, q) => {
      if (x.length === 0) return null;
      const k = x[x.length - 1]!;
      const n = 1 + (q % 3);
      const batch = x.length >= 2 ? x.slice(0, -2) : [];
      const m = x.length >= 2 ? [x[x.length - 2]!] : [];
      let w: Shape;
      let left = false;
      switch (p % 5) {
        case 0:
          w = [k];
          break; // matrix-vector (or vector-vector)
        case 1:
          w = [k, n];
          break;
        case 2:
          w = [2, k, n];
          break; // a batch of matrices broadcast against x
        case 3:
          w = [...batch.map((d, i) => ((q >> i) & 1 ? 1 : d)), k, n];
          break; // batch dims of 1 broadcast
        default: {
          if (x.length < 2) return null;
          left = true; // L·x with L [n, m] broadcast over x's batch
          w = [n, m[0]!];
        }
      }
      const out = left ? [...batch, n, k] : matmulShape(x, w);
      return out === null || sizeOf(out) > MAX_SIZE ? null : { params: { left }, shape: out, partner: w };
    },
    apply: ([x, w], { left }) => (left ? w!.matmul(x!) : x!.matmul(w!)),
  },
};

/** NumPy matmul's result shape, or null. */
export function matmulShape(a: Shape, b: Shape): number[] | null {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) return null;
  const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
  if (batch === null) return null;
  const shape = [...batch];
  if (a.length > 1) shape.push(a2[a2.length - 2]!);
  if (b.length > 1) shape.push(b2[b2.length - 1]!);
  return shape;
}

export const opNames = Object.keys(ops);

interface Recipe {
  readonly base: number[];
  readonly steps: { op: string; a: number; p: number; q: number }[];
}

const recipe = (opNamesAllowed: readonly string[], maxSteps: number): fc.Arbitrary<Recipe> =>
  fc.record({
    base: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3, size: 'max' }),
    steps: fc.array(fc.record({ op: fc.constantFrom(...opNamesAllowed), a: fc.nat(7), p: fc.nat(63), q: fc.nat(63) }), {
      minLength: 1,
      maxLength: maxSteps,
      size: 'max',
    }),
  });

/** Interprets a recipe: fixes operands, params and new inputs. */
export function build(r: Recipe): Graph {
  const inputs: Shape[] = [r.base];
  const shapes: Shape[] = [r.base];
  const steps: GraphStep[] = [];
  // Values are numbered: inputs first; since inputs are created on the way, steps refer to
  // "slots" that are renumbered at the end.
  type Slot = { kind: 'input'; i: number } | { kind: 'step'; i: number };
  const slots: Slot[] = [{ kind: 'input', i: 0 }];
  const rawSteps: { op: string; operands: Slot[]; params: Record<string, unknown>; shape: Shape }[] = [];
  for (const s of r.steps) {
    const ai = slots.length - 1 - (s.a % slots.length); // prefer recent values
    const x = shapes[ai]!;
    const planned = ops[s.op]!.plan(x, s.p, s.q, shapes);
    if (planned === null || sizeOf(planned.shape) > MAX_SIZE) continue;
    const operands: Slot[] = [slots[ai]!];
    if (typeof planned.partner === 'number') operands.push(slots[planned.partner]!);
    else if (planned.partner !== undefined) {
      inputs.push(planned.partner);
      operands.push({ kind: 'input', i: inputs.length - 1 });
    }
    rawSteps.push({ op: s.op, operands, params: planned.params, shape: planned.shape });
    slots.push({ kind: 'step', i: rawSteps.length - 1 });
    shapes.push(planned.shape);
  }
  const number = (slot: Slot) => (slot.kind === 'input' ? slot.i : inputs.length + slot.i);
  for (const s of rawSteps) steps.push({ op: s.op, operands: s.operands.map(number), params: s.params, shape: s.shape });
  return { inputs, steps };
}

/** Runs the graph on input tensors; returns every value (inputs first). The output is the last. */
export function runGraph(g: Graph, xs: readonly Tensor[]): Tensor[] {
  const values: Tensor[] = [...xs];
  for (const s of g.steps)
    values.push(
      ops[s.op]!.apply(
        s.operands.map((i) => values[i]!),
        // biome-ignore lint/suspicious/noExplicitAny: each generated op reads its own params; the table holds every kind
        s.params as Record<string, any>,
      ),
    );
  return values;
}

/** The values no step consumes: the graph's results (the last step's value always among them). */
export function results(g: Graph): number[] {
  const used = new Set(g.steps.flatMap((s) => s.operands));
  return g.steps.map((_, j) => g.inputs.length + j).filter((i) => !used.has(i));
}

/**
 * The graph's output as a function of its inputs: its one result, or all its results
 * flattened and concatenated (so that every step is on a path to the output).
 */
export const graphFunction =
  (g: Graph) =>
  (...xs: Tensor[]): Tensor => {
    const values = runGraph(g, xs);
    const outs = results(g).map((i) => values[i]!);
    return outs.length === 1
      ? outs[0]!
      : concat(
          outs.map((v) => v.reshape([-1])),
          0,
        );
  };

/** The smallest distance from a kink over the graph's steps, and the largest magnitude of any value. */
export function graphHealth(g: Graph, xs: readonly Tensor[]): { margin: number; magnitude: number } {
  const values = runGraph(g, xs);
  let margin = Infinity;
  g.steps.forEach((s) => {
    const m = ops[s.op]!.margin?.(
      s.operands.map((i) => values[i]!),
      // biome-ignore lint/suspicious/noExplicitAny: each generated op reads its own params; the table holds every kind
      s.params as Record<string, any>,
    );
    if (m !== undefined) margin = Math.min(margin, m);
  });
  let magnitude = 0;
  for (const v of values) for (const e of v.data()) magnitude = Math.max(magnitude, Number.isFinite(e) ? Math.abs(e) : Infinity);
  return { margin, magnitude };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(v));

/** The graph as readable lines: inputs with shapes and values, then one line per step. */
export function describeGraph(g: Graph, values?: readonly number[][]): string {
  const lines = g.inputs.map((s, i) => `  v${i} = input ${formatShape(s)}${values ? ` = [${values[i]!.map(fmt).join(', ')}]` : ''}`);
  g.steps.forEach((s, j) => {
    const params = Object.entries(s.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    const args = s.operands.map((i) => `v${i}`).join(', ');
    lines.push(`  v${g.inputs.length + j} = ${s.op}(${args}${params ? `; ${params}` : ''}) -> ${formatShape(s.shape)}`);
  });
  const outs = results(g).map((i) => `v${i}`);
  lines.push(outs.length === 1 ? `  output ${outs[0]}` : `  output concat(${outs.map((o) => `flatten(${o})`).join(', ')})`);
  return `graph\n${lines.join('\n')}`;
}

/** A number in [-1.5, 1.5] on a 2⁻¹⁰ grid (exact, shrinks toward 0). */
const inputValue = fc.integer({ min: -1536, max: 1536 }).map((i) => i / 1024);

export interface GraphOptions {
  ops?: readonly string[];
  maxSteps?: number;
  /** Largest total number of input elements. */
  maxInputElements?: number;
}

/** Random graphs with input values; fast-check prints them with `describeGraph`. */
export function graphCase(opts: GraphOptions = {}): fc.Arbitrary<GraphCase> {
  const maxInputs = opts.maxInputElements ?? 40;
  return recipe(opts.ops ?? opNames, opts.maxSteps ?? 8)
    .map(build)
    .filter((g) => g.steps.length > 0 && g.inputs.reduce((a, s) => a + sizeOf(s), 0) <= maxInputs)
    .chain((graph) =>
      fc.tuple(...graph.inputs.map((s) => fc.array(inputValue, { minLength: sizeOf(s), maxLength: sizeOf(s) }))).map((values) => {
        const c: GraphCase = { graph, values };
        Object.defineProperty(c, fc.toStringMethod, { value: () => describeGraph(graph, values) });
        return c;
      }),
    );
}
