// jit: trace a function once per argument signature (tree structure, shapes, dtypes, number
// values) into a Program of primitives, drop dead code, and replay it. A replay on plain
// values calls each primitive's kernel directly: no op validation, no broadcasting logic, no
// interpreter levels, no tape. Where an argument or a captured tensor is itself being
// transformed (grad of jit, a requiresGrad parameter, anomaly mode) the program is replayed
// through `bind` instead, so every transform sees the same primitives f would have applied.
import { expectFunction } from '../arguments.js';
import { anomalyEnabled } from '../core/anomaly.js';
import type { Primitive } from '../core/primitive.js';
import { Tensor, type Recording } from '../core/tensor.js';
import { bind, closeRecordLevel, effective, lowerTo, openRecordLevel, traceAt, valueOf } from '../core/trace.js';
import { shapesEqual } from '../shape.js';
import type { TypedArray } from '../dtype.js';
import { flattenAs, leavesIn, unflattenAs, type PyTree, type PyTreeLeaf, type TreeDef } from '../tree.js';
import { fusedKernels, runFused, type FusedKernels } from '../core/fused.js';
import { planProgram, stepOutput, unfusedPlan, type Plan } from './plan.js';
import { ReplayBuffers, retainsNothing } from './buffers.js';
import { LoweredProgram, recorderForActiveBackend } from '../core/lowered.js';
import { FRESH_OUTPUT } from '../core/primitive.js';
import { formatProgram, programView, withoutDeadCode, type Atom, type Equation, type Program, type ProgramView } from './program.js';
import { outsideScopes } from '../core/scope.js';

/** A traced program with what rebuilds its results: the output structure and its non-tensor leaves. */
interface Compiled {
  readonly program: Program;
  readonly outDef: TreeDef;
  /** Per output leaf: the index into program.outputs, or the number/null returned as is. */
  readonly outLeaves: readonly ({ readonly output: number } | { readonly literal: number | null })[];
  /** The tensors the program captured (constants), checked before each fast replay. */
  readonly constants: readonly Tensor[];
  /** The structure of the arguments it was traced for, and their number and null leaves (undefined where a tensor is). */
  readonly argDef: TreeDef;
  readonly argLiterals: readonly (number | null | undefined)[];
  /**
   * The fast replay's plan and buffers, for the backend whose fused kernels it was made for
   * (built at the first fast replay; `kernels` undefined where the backend fuses nothing).
   */
  fast?: {
    readonly kernels: FusedKernels | undefined;
    readonly plan: Plan;
    readonly buffers: ReplayBuffers;
    /** The lowered replay (undefined: not tried yet; a string: why it was not lowered). */
    lowered?: LoweredProgram | string;
    /** Lowered calls that had to run the ordinary replay (past a few, the program stays unlowered). */
    misses: number;
  };
}

/** The result of {@link JitFunction.lower}: the program traced for one argument signature. */
export interface Lowered {
  /** The program, JAX-style: one primitive application a line, with shapes and dtypes. */
  toString(): string;
  /** How many primitive applications a replay runs (after dead-code elimination). */
  readonly numEquations: number;
  /**
   * The program itself, read-only: input variables with shapes and dtypes, each equation's
   * primitive name, params, operands (variables or captured constant tensors), output
   * variable, shape and dtype, and the outputs. What exporters (`@jacobi/onnx`) translate.
   */
  readonly program: ProgramView;
}

/** A jitted function: call it like the original; `lower` shows what it runs. */
export interface JitFunction<A extends readonly PyTree[], R extends PyTree> {
  (...args: A): R;
  /** Traces (or finds in the cache) the program for these arguments, without running it. */
  lower(...args: A): Lowered;
  /** How many argument signatures have been traced. */
  readonly cacheSize: number;
}

/** The recording of one trace: input variables, then one equation per primitive applied. */
class Recorder implements Recording {
  open = true;
  /** The recording level, set as soon as it is opened. */
  level = 0;
  private next = 0;
  readonly inputs: { variable: number; shape: readonly number[]; dtype: Tensor['dtype'] }[] = [];
  readonly equations: Equation[] = [];

  input(x: Tensor): Tensor {
    const variable = this.next++;
    this.inputs.push({ variable, shape: x.shape, dtype: x.dtype });
    return new Tensor(x._view, { kind: 'record', level: this.level, primal: effective(x), variable, recording: this });
  }

  equation(prim: Primitive, params: unknown, inputs: readonly Tensor[], variables: readonly (number | null)[], out: Tensor): number {
    const variable = this.next++;
    const atoms: Atom[] = variables.map((v, i) => (v === null ? { constant: inputs[i]! } : { variable: v }));
    this.equations.push({ prim, params, inputs: atoms, out: variable, shape: out.shape, dtype: out.dtype });
    return variable;
  }
}

/**
 * The tensor leaves of `args` if they have the signature `c` was traced for (what {@link signature}
 * keys: the structure, each tensor's dtype and shape, each number or null), else null. A loop
 * calls with one signature: checking the last one found needs no key to be built.
 */
function tensorsIfTracedFor(c: Compiled, args: readonly PyTree[]): Tensor[] | null {
  const leaves = leavesIn<PyTreeLeaf>(c.argDef, args);
  if (leaves === null) return null;
  const tensors: Tensor[] = [];
  const { inputs } = c.program;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    const literal = c.argLiterals[i];
    if (!(leaf instanceof Tensor)) {
      // Object.is: what the key's text tells apart (-0 from 0; every NaN alike).
      if (!Object.is(leaf, literal)) return null;
      continue;
    }
    const input = inputs[tensors.length]!;
    if (literal !== undefined || leaf.dtype !== input.dtype || !shapesEqual(leaf.shape, input.shape)) return null;
    tensors.push(leaf);
  }
  return tensors;
}

/** The cache key of an argument signature: structure, then each leaf's dtype and shape or value. */
function signature(def: TreeDef, leaves: readonly unknown[]): string {
  const parts = leaves.map((l) =>
    l instanceof Tensor ? `${l.dtype}[${l.shape.join(',')}]` : l === null ? 'null' : `#${Object.is(l, -0) ? '-0' : String(l)}`,
  );
  return `${def.toString()}|${parts.join(';')}`;
}

function trace(
  op: string,
  f: (...args: PyTree[]) => PyTree,
  def: TreeDef,
  leaves: readonly PyTreeLeaf[],
): { compiled: Compiled; results: PyTreeLeaf[] } {
  const rec = new Recorder();
  const level = openRecordLevel(rec);
  rec.level = level;
  try {
    const traced = leaves.map((l) => (l instanceof Tensor ? rec.input(l) : l));
    const args = unflattenAs(def, traced) as PyTree[];
    const out = f(...args);
    const [outs, outDef] = flattenAs<PyTreeLeaf>(op, out);
    const outputs: Atom[] = [];
    const outLeaves: Compiled['outLeaves'][number][] = [];
    const results: PyTreeLeaf[] = [];
    for (const leaf of outs) {
      if (!(leaf instanceof Tensor)) {
        outLeaves.push({ literal: leaf });
        results.push(leaf);
        continue;
      }
      const t = traceAt(leaf, level);
      outputs.push(t !== null && t.kind === 'record' ? { variable: t.variable } : { constant: lowerTo(leaf, level) });
      outLeaves.push({ output: outputs.length - 1 });
      results.push(lowerTo(leaf, level));
    }
    const program = withoutDeadCode({ inputs: rec.inputs, equations: rec.equations, outputs });
    const constants = [...new Set(program.equations.flatMap((e) => e.inputs.flatMap((a) => ('constant' in a ? [a.constant] : []))))];
    for (const a of outputs) if ('constant' in a) constants.push(a.constant);
    const argLiterals = leaves.map((l) => (l instanceof Tensor ? undefined : l));
    return { compiled: { program, outDef, outLeaves, constants, argDef: def, argLiterals }, results };
  } finally {
    rec.open = false;
    closeRecordLevel(level);
  }
}

/** Whether `x` is a value no active transform is tracing (what the fast replay needs). */
const isPlain = (x: Tensor): boolean => effective(x)._trace === null;

/** Runs the program on the tensor leaves of the arguments. */
function replay(c: Compiled, tensors: readonly Tensor[]): Tensor[] {
  const { program } = c;
  const values = new Array<Tensor>(program.inputs.length + program.equations.length);
  const plain = !anomalyEnabled() && tensors.every(isPlain) && c.constants.every(isPlain);
  for (let i = 0; i < program.inputs.length; i++) values[program.inputs[i]!.variable] = plain ? valueOf(tensors[i]!) : tensors[i]!;
  const read = (a: Atom): Tensor => ('variable' in a ? values[a.variable]! : plain ? valueOf(a.constant) : a.constant);
  if (!plain) {
    for (const eq of program.equations) values[eq.out] = bind(eq.prim, eq.inputs.map(read), eq.params);
    return program.outputs.map(read);
  }
  // The plan depends on the backend (which of its kernels a fused one reproduces): rebuilt when it changes.
  const kernels = fusedKernels();
  if (c.fast === undefined || c.fast.kernels !== kernels) {
    const plan = kernels === undefined ? unfusedPlan(program) : planProgram(program, kernels);
    c.fast = { kernels, plan, buffers: new ReplayBuffers(program, plan.steps), misses: 0 };
  }
  const fast = c.fast;
  const sources = (): Tensor[] => [...tensors.map(valueOf), ...c.constants.map(valueOf)];
  const { lowered } = fast;
  if (lowered instanceof LoweredProgram) {
    const outs = lowered.run(sources());
    if (outs !== null) return outs;
    if (++fast.misses > MAX_LOWERED_MISSES) fast.lowered = 'its calls kept falling back to the ordinary replay';
  }
  const { steps } = fast.plan;
  const run = fast.buffers.begin();
  // A replay whose arrays are its own (not planned buffers that several values share) can be
  // recorded, on a backend with memory of its own, for the lowered replay of later calls.
  const recorder = lowered === undefined && !run.planned ? recorderForActiveBackend() : null;
  const fusedHere = recorder === null ? kernels : recorder.standIn.fused;
  const runSteps = (): Tensor[] => {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const planned = run.target(i);
      const target = recorder === null ? planned : recorder.target(planned ?? FRESH_OUTPUT);
      if (step.kind === 'equation') {
        // The equation recorded its result's shape and dtype: the shape rule need not run again.
        values[step.eq.out] = step.eq.prim.impl(step.eq.inputs.map(read), step.eq.params, target, step.eq);
      } else {
        const out = runFused(fusedHere!, step.expr, step.operands.map(read), step.shape, step.dtype, target, step.outShape);
        if (out !== null) values[step.out] = out;
        else for (const eq of step.equations) values[eq.out] = eq.prim.impl(eq.inputs.map(read), eq.params, recorder?.target(FRESH_OUTPUT));
      }
      run.observe(i, values[stepOutput(step)]!);
    }
    return run.finish(program.outputs.map(read));
  };
  try {
    if (recorder === null) return runSteps();
    const outs = recorder.record(runSteps);
    // Only library primitives: a user's customOp may keep or read what it is given outside the backend.
    fast.lowered = steps.every(retainsNothing)
      ? LoweredProgram.from(recorder, sources(), outs, parameterArrays(program))
      : 'a step may keep its arrays';
    return outs;
  } finally {
    run.end();
  }
}

/**
 * The typed arrays the program's primitives hold in their parameters (take's positions): the
 * same at every call, so a lowered replay passes them as they are.
 */
function parameterArrays(program: Program): Set<TypedArray> {
  const arrays = new Set<TypedArray>();
  for (const eq of program.equations) {
    if (typeof eq.params !== 'object' || eq.params === null) continue;
    for (const value of Object.values(eq.params)) if (ArrayBuffer.isView(value)) arrays.add(value as TypedArray);
  }
  return arrays;
}

// A lowered program whose calls keep falling back (inputs of other layouts, another backend, the
// memory growing mid-call) is given up after this many.
const MAX_LOWERED_MISSES = 8;

/**
 * Compiles `f` by tracing: the first call with a new argument signature (tree structure,
 * tensor shapes and dtypes, the values of number leaves) runs `f` once while recording every
 * primitive it applies, drops what no output needs, and caches the program; later calls with
 * that signature replay it, calling the kernels directly with none of the per-op work of an
 * eager call. Composes with the transforms in both orders: `jit(valueAndGrad(loss))` records
 * the backward pass too, and `grad(jit(f))` differentiates the replayed primitives.
 *
 * `f` must be a function of its arguments' values: numbers in the arguments are part of the
 * signature (a new number traces anew); tensors `f` captures from outside are read afresh at
 * each call; but JavaScript side effects (assigning a field, pushing to an array) happen only
 * while tracing. Reading a traced value (`item`, `toArray`, ops whose output shape depends on
 * values, such as `nonzero`), drawing random numbers, `assign` and `backward()` inside `f` throw a
 * `TraceError`: pass such values or random draws in as arguments.
 *
 * @example
 * const step = jit((w: Tensor, x: Tensor) => tanh(x.matmul(w)).sum());
 * step(w, x);                            // traces, then runs
 * step(w, x);                            // replays the cached program
 * console.log(step.lower(w, x).toString()); // { lambda a:f32[3,2] b:f32[4,3] ; c:f32[4,2] = matmul b a … }
 */
export function jit<A extends readonly PyTree[], R extends PyTree>(f: (...args: A) => R): JitFunction<A, R> {
  expectFunction('jit', 'f', f);
  const cache = new Map<string, Compiled>();
  const lookup = (args: readonly PyTree[]): { compiled: Compiled; tensors: Tensor[]; results: PyTreeLeaf[] | null } => {
    const [leaves, def] = flattenAs<PyTreeLeaf>('jit', args);
    const tensors = leaves.filter((l): l is Tensor => l instanceof Tensor);
    const key = signature(def, leaves);
    const hit = cache.get(key);
    if (hit !== undefined) return { compiled: hit, tensors, results: null };
    // Tracing belongs to no tidy scope: the program keeps the constants it made while tracing.
    const { compiled, results } = outsideScopes(() => trace('jit', f as unknown as (...a: PyTree[]) => PyTree, def, leaves));
    cache.set(key, compiled);
    return { compiled, tensors, results };
  };
  // The program the last call replayed or traced.
  let last: Compiled | undefined;
  const call = (...args: A): R => {
    let compiled = last;
    let tensors = compiled === undefined ? null : tensorsIfTracedFor(compiled, args);
    if (compiled === undefined || tensors === null) {
      const found = lookup(args);
      last = compiled = found.compiled;
      if (found.results !== null) return unflattenAs(compiled.outDef, found.results) as R;
      tensors = found.tensors;
    }
    const outs = replay(compiled, tensors);
    return unflattenAs(
      compiled.outDef,
      compiled.outLeaves.map((l) => ('output' in l ? outs[l.output]! : l.literal)),
    ) as R;
  };
  const lower = (...args: A): Lowered => {
    const { program } = lookup(args).compiled;
    return { toString: () => formatProgram(program), numEquations: program.equations.length, program: programView(program) };
  };
  return Object.defineProperties(call, {
    lower: { value: lower },
    cacheSize: { get: () => cache.size },
  }) as JitFunction<A, R>;
}
