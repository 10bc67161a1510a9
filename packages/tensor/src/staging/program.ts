// The IR `jit` records: a straight-line program of primitive applications over numbered
// variables, with the shapes and dtypes the registry's shape rules give. It is what a trace
// leaves behind, what a replay runs and what `lower(...).toString()` prints.
import type { Primitive } from '../core/primitive.js';
import type { Tensor } from '../core/tensor.js';
import type { DType } from '../dtype.js';

/** An operand of an equation: a variable of the program, or a tensor fixed at trace time. */
export type Atom = ProgramAtom;

/** One primitive application: `out = prim(inputs; params)` (the public view has the primitive's name instead). */
export interface Equation extends Omit<ProgramEquation, 'primitive'> {
  readonly prim: Primitive;
}

/** A traced program: its input variables (one per tensor leaf of the arguments), its equations in order, its outputs. */
export interface Program extends Omit<ProgramView, 'equations'> {
  readonly equations: readonly Equation[];
}

/** The program without the equations no output depends on (dead code). */
export function withoutDeadCode(p: Program): Program {
  const live = new Set<number>();
  for (const a of p.outputs) if ('variable' in a) live.add(a.variable);
  const kept: Equation[] = [];
  for (let i = p.equations.length - 1; i >= 0; i--) {
    const eq = p.equations[i]!;
    if (!live.has(eq.out)) continue;
    kept.push(eq);
    for (const a of eq.inputs) if ('variable' in a) live.add(a.variable);
  }
  return { ...p, equations: kept.reverse() };
}

const DTYPE_TAGS: Record<DType, string> = { float32: 'f32', float64: 'f64', int32: 'i32', bool: 'bool' };

/** `f32[2,3]`. */
function typeOf(shape: readonly number[], dtype: DType): string {
  return `${DTYPE_TAGS[dtype]}[${shape.join(',')}]`;
}

/** Params in one line: numbers, arrays and objects as written, typed arrays by their length. */
function formatParams(params: unknown): string {
  if (params === undefined || params === null) return '';
  const show = (v: unknown): string => {
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
    if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
    if (typeof v === 'object' && v !== null)
      return `{${Object.entries(v)
        .map(([k, x]) => `${k}=${show(x)}`)
        .join(' ')}}`;
    return String(v);
  };
  return ` ${show(params)}`;
}

/**
 * The program as text, one equation a line, JAX-style:
 * `{ lambda a:f32[2,3] b:f32[3] ; c:f32[2,3] = mul a b … in (c) }`; constants print as their type.
 */
export function formatProgram(p: Program): string {
  // Variables are named a, b, …, z, ba, bb, … in order of definition (after dead code is gone).
  const order = new Map<number, number>();
  for (const i of p.inputs) order.set(i.variable, order.size);
  for (const eq of p.equations) order.set(eq.out, order.size);
  const name = (v: number): string => {
    let s = '';
    let n = order.get(v)!;
    do {
      s = String.fromCharCode(97 + (n % 26)) + s;
      n = Math.floor(n / 26);
    } while (n > 0);
    return s;
  };
  const atom = (a: Atom): string => ('variable' in a ? name(a.variable) : `const:${typeOf(a.constant.shape, a.constant.dtype)}`);
  const lines = [`{ lambda ${p.inputs.map((i) => `${name(i.variable)}:${typeOf(i.shape, i.dtype)}`).join(' ')} ;`];
  for (const eq of p.equations)
    lines.push(
      `    ${name(eq.out)}:${typeOf(eq.shape, eq.dtype)} = ${eq.prim.name}${formatParams(eq.params)} ${eq.inputs.map(atom).join(' ')}`,
    );
  lines.push(`  in (${p.outputs.map(atom).join(', ')}) }`);
  return lines.join('\n');
}

// ---- The public, read-only view of a traced program (for exporters such as @jacobi/onnx) ----

/** An operand read from a program variable. */
export interface VariableAtom {
  /** The variable's number: an input's, or the `out` of an earlier equation. */
  readonly variable: number;
}

/** An operand fixed at trace time. */
export interface ConstantAtom {
  /** The captured tensor: a parameter, a buffer, or a constant made while tracing. */
  readonly constant: Tensor;
}

/** An operand of a traced equation or a program output. */
export type ProgramAtom = VariableAtom | ConstantAtom;

/** One equation as an exporter reads it: `out = primitive(inputs; params)`. */
export interface ProgramEquation {
  /** The primitive's registry name (a `PrimitiveName`, e.g. `'matmul'`; every arity of `concat` is `'concat'`). */
  readonly primitive: string;
  /** The params the primitive was applied with (axes, shapes, constant indices, …), shared with the program: never mutate them. */
  readonly params: unknown;
  /** The operands: program variables, or tensors captured at trace time (parameters, constants). */
  readonly inputs: readonly ProgramAtom[];
  /** The variable this equation defines. */
  readonly out: number;
  /** The result's shape. */
  readonly shape: readonly number[];
  /** The result's dtype. */
  readonly dtype: DType;
}

/** An input variable of a traced program. */
export interface ProgramInput {
  /** The variable the equations read it as. */
  readonly variable: number;
  /** Its shape at trace time. */
  readonly shape: readonly number[];
  /** Its dtype. */
  readonly dtype: DType;
}

/** A traced program as exporters read it: input variables, equations in order, outputs. */
export interface ProgramView {
  /** One per tensor leaf of the arguments, in order. */
  readonly inputs: readonly ProgramInput[];
  /** The primitive applications, each after the ones it reads (dead code removed). */
  readonly equations: readonly ProgramEquation[];
  /** One per tensor leaf of the result, in order. */
  readonly outputs: readonly ProgramAtom[];
}

/** The view of `p`: the same atoms and params, primitives by name, frozen arrays. */
export function programView(p: Program): ProgramView {
  const equations = p.equations.map((e) =>
    Object.freeze({ primitive: e.prim.name, params: e.params, inputs: e.inputs, out: e.out, shape: e.shape, dtype: e.dtype }),
  );
  return Object.freeze({ inputs: p.inputs, equations: Object.freeze(equations), outputs: p.outputs });
}
