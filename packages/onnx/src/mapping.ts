// THE table from jacobi's primitives to ONNX operators, keyed by PrimitiveName: a primitive
// added to the registry without an entry here is a compile error, and one without an ONNX
// counterpart is an explicit `unsupported` entry, which exportOnnx reports by name.
import { ArgumentError, type DType, type PrimitiveName, type WindowGeometry } from '@jacobi/tensor';
import { DynamicAxisError } from './errors.js';
import { type Affine, type GraphBuilder, affineAdd, attr, fixed } from './graph.js';
import type { AxisParams, CastParams, PermParams, ReduceParams, ShapeParams, SliceParams, TakeParams } from './params.js';
import { windowReach } from './params.js';

/** What a mapping sees of one equation, and where it writes. */
export interface EmitContext<P> {
  /** The primitive's params, as traced at the example sizes. */
  readonly params: P;
  /** The ONNX names of the operands, in order. */
  readonly inputs: readonly string[];
  /** The operands' dtypes. */
  readonly inputDTypes: readonly DType[];
  /** The result's dtype. */
  readonly dtype: DType;
  /** The name the result must get. */
  readonly out: string;
  /** The opset being written. */
  readonly opset: number;
  readonly graph: GraphBuilder;
  /** The entries of a size list in the params, each affine in the dynamic axes (see graph.ts). */
  sizes(get: (p: P) => readonly number[]): Affine[];
}

/** How one primitive is written in ONNX. */
export interface OnnxMapping<P> {
  /** The params keys whose values may follow a dynamic axis (the mapping reads them with `sizes`). */
  readonly varying?: readonly (keyof P & string)[];
  /** The ONNX operators this mapping writes, for the docs table. */
  readonly onnx: string;
  /** Writes the nodes computing the equation into `ctx.graph`, the last one named `ctx.out`. */
  emit(ctx: EmitContext<P>): void;
}

/** A primitive with no ONNX counterpart, and why. */
export interface NoMapping {
  readonly unsupported: string;
}

/** The params type of each primitive the table reads params of; the others have none it needs. */
interface ParamsOf {
  reshape: ShapeParams;
  broadcastTo: ShapeParams;
  transpose: PermParams;
  slice: SliceParams;
  concat: AxisParams;
  cast: CastParams;
  sum: ReduceParams;
  max: ReduceParams;
  take: TakeParams;
  takeIndexed: { readonly axis: number; readonly blocks: number };
  unfold: WindowGeometry;
}
type Params<K extends PrimitiveName> = K extends keyof ParamsOf ? ParamsOf[K] : unknown;

/** The full table type: one entry per primitive. */
export type OnnxTable = { readonly [K in PrimitiveName]: OnnxMapping<Params<K>> | NoMapping };

const unary = (op: string): OnnxMapping<unknown> => ({ onnx: op, emit: (c) => c.graph.node(op, c.inputs, [], c.out) });
const binary = unary;
const none = (reason: string): NoMapping => ({ unsupported: reason });

/** `f(x, constant)` for an elementwise function with a scalar of the result's dtype. */
function withScalar(op: string, value: number, scalarFirst = false) {
  return (c: EmitContext<unknown>, x: string, out?: string): string => {
    const k = c.graph.scalar(c.dtype, value);
    return c.graph.node(op, scalarFirst ? [k, x] : [x, k], [], out);
  };
}

/** ONNX's reductions take no empty axis list to mean "none" (it means all), so an empty one is an Identity. */
function reduce(op: 'ReduceSum' | 'ReduceMax'): OnnxMapping<ReduceParams> {
  return {
    onnx: op,
    emit: (c) => {
      const { axes, keepdims } = c.params;
      let x = c.inputs[0]!;
      // sum of bool or int32 counts in the result's dtype, as jacobi does.
      if (c.inputDTypes[0] !== c.dtype) x = c.graph.node('Cast', [x], [attr.int('to', onnxType(c.dtype))]);
      if (axes.length === 0) {
        c.graph.node('Identity', [x], [], c.out);
        return;
      }
      const keep = attr.int('keepdims', keepdims ? 1 : 0);
      // Since opset 13 (ReduceSum) and 18 (ReduceMax) the axes are an input, before as an attribute.
      const axesAsInput = op === 'ReduceSum' || c.opset >= 18;
      if (axesAsInput) c.graph.node(op, [x, c.graph.int64(axes)], [keep], c.out);
      else c.graph.node(op, [x], [keep, attr.ints('axes', axes)], c.out);
    },
  };
}

const ONNX_TYPES = { float32: 1, int32: 6, bool: 9, float64: 11 } as const;
const onnxType = (d: DType): number => ONNX_TYPES[d];

// NOTE: ONNX reads a negative Slice end as counted from the end, so a backward slice that runs
// past index 0 ends at the most negative int64 instead (ONNX clamps it to "before the start").
const BEFORE_START = -(2 ** 63);

/** Every primitive, mapped or not. */
export const ONNX_TABLE: OnnxTable = {
  neg: unary('Neg'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  abs: unary('Abs'),
  sign: unary('Sign'),
  tanh: unary('Tanh'),
  sigmoid: unary('Sigmoid'),
  sin: unary('Sin'),
  cos: unary('Cos'),
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  // On bools the larger is the logical or (ONNX's Max takes no bool).
  maximum: {
    onnx: 'Max, Or',
    emit: (c) => c.graph.node(c.dtype === 'bool' ? 'Or' : 'Max', c.inputs, [], c.out),
  },
  greater: binary('Greater'),
  greaterEqual: binary('GreaterOrEqual'),
  less: binary('Less'),
  lessEqual: binary('LessOrEqual'),
  equal: binary('Equal'),
  notEqual: { onnx: 'Equal, Not', emit: (c) => c.graph.node('Not', [c.graph.node('Equal', c.inputs)], [], c.out) },
  where: unary('Where'),
  reshape: {
    onnx: 'Reshape',
    varying: ['shape'],
    emit: (c) => c.graph.node('Reshape', [c.inputs[0]!, c.graph.sizes(c.sizes((p) => p.shape))], [], c.out),
  },
  transpose: { onnx: 'Transpose', emit: (c) => c.graph.node('Transpose', c.inputs, [attr.ints('perm', c.params.perm)], c.out) },
  broadcastTo: {
    onnx: 'Expand',
    varying: ['shape'],
    emit: (c) => c.graph.node('Expand', [c.inputs[0]!, c.graph.sizes(c.sizes((p) => p.shape))], [], c.out),
  },
  slice: {
    onnx: 'Slice',
    varying: ['starts', 'shape'],
    emit: (c) => {
      const starts = c.sizes((p) => p.starts);
      const sizes = c.sizes((p) => p.shape);
      const { steps } = c.params;
      const ends = starts.map((s, d) => {
        const end = affineAdd('slice', s, sizes[d]!, steps[d]!);
        if (end.symbol === null && end.offset < 0) return fixed(BEFORE_START);
        if (end.symbol !== null && steps[d]! < 0)
          throw new DynamicAxisError(`exportOnnx: a backward slice along axis ${d} follows a dynamic axis ('${end.symbol}')`);
        return end;
      });
      const axes = steps.map((_, d) => d);
      c.graph.node(
        'Slice',
        [c.inputs[0]!, c.graph.sizes(starts), c.graph.sizes(ends), c.graph.int64(axes), c.graph.int64(steps)],
        [],
        c.out,
      );
    },
  },
  unslice: none('the transpose of slice, met only in gradients'),
  concat: { onnx: 'Concat', emit: (c) => c.graph.node('Concat', c.inputs, [attr.int('axis', c.params.axis)], c.out) },
  cast: { onnx: 'Cast', emit: (c) => c.graph.node('Cast', c.inputs, [attr.int('to', onnxType(c.params.dtype))], c.out) },
  matmul: binary('MatMul'),
  sum: reduce('ReduceSum'),
  max: reduce('ReduceMax'),
  take: {
    onnx: 'Gather',
    emit: (c) => {
      const { axis, indices, indicesShape } = c.params;
      const positions = c.graph.initializer('int64', indicesShape, indices);
      c.graph.node('Gather', [c.inputs[0]!, positions], [attr.int('axis', axis)], c.out);
    },
  },
  untake: none('a scatter-add, met only in gradients'),
  // Positions that are an input of the traced function (token ids): ONNX's Gather reads them
  // as given, negative ones from the end. Grouped positions come only from vmap.
  takeIndexed: {
    onnx: 'Gather',
    emit: (c) => {
      if (c.params.blocks !== 1)
        throw new ArgumentError(
          'exportOnnx: a take at per-line positions (gather at traced indices, or a per-example take under vmap) has no ONNX mapping; export the function with constant indices and without vmap',
        );
      c.graph.node('Gather', c.inputs, [attr.int('axis', c.params.axis)], c.out);
    },
  },
  untakeIndexed: none('a scatter-add, met only in gradients'),
  // The identity on values: derivatives are not exported.
  stopGradient: unary('Identity'),
  unfold: {
    onnx: 'Pad, Reshape, Gather',
    emit: (c) => {
      // im2col as one gather: pad the plane, flatten it, and read each window tap at its
      // constant flat position. Positions: [kH·kW, outH·outW], tap-major as the kernel lays them.
      const g = c.params;
      const [kh, kw] = g.kernel;
      const [oh, ow] = g.out;
      const [top, left] = g.padding;
      const bottom = Math.max(0, windowReach(g, 0) - g.height - top);
      const right = Math.max(0, windowReach(g, 1) - g.width - left);
      const paddedW = g.width + left + right;
      const padded =
        top + bottom + left + right === 0
          ? c.inputs[0]!
          : c.graph.node('Pad', [c.inputs[0]!, c.graph.int64([0, 0, top, left, 0, 0, bottom, right])]);
      const flat = c.graph.node('Reshape', [padded, c.graph.int64([0, 0, -1])]);
      const positions = new Array<number>(kh * kw * oh * ow);
      let k = 0;
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let p = 0; p < oh; p++)
            for (let q = 0; q < ow; q++)
              positions[k++] = (p * g.stride[0] + i * g.dilation[0]) * paddedW + q * g.stride[1] + j * g.dilation[1];
      const at = c.graph.initializer('int64', [kh * kw, oh * ow], positions);
      c.graph.node('Gather', [flat, at], [attr.int('axis', 2)], c.out);
    },
  },
  fold: none('col2im, met only in gradients'),
  floor: unary('Floor'),
  ceil: unary('Ceil'),
  round: unary('Round'),
  trunc: {
    onnx: 'Less, Ceil, Floor, Where',
    emit: (c) => {
      const x = c.inputs[0]!;
      const negative = c.graph.node('Less', [x, c.graph.scalar(c.dtype, 0)]);
      c.graph.node('Where', [negative, c.graph.node('Ceil', [x]), c.graph.node('Floor', [x])], [], c.out);
    },
  },
  tan: unary('Tan'),
  asin: unary('Asin'),
  acos: unary('Acos'),
  atan: unary('Atan'),
  sinh: unary('Sinh'),
  cosh: unary('Cosh'),
  asinh: unary('Asinh'),
  acosh: unary('Acosh'),
  atanh: unary('Atanh'),
  log2: { onnx: 'Log, Div', emit: (c) => withScalar('Div', Math.LN2)(c, c.graph.node('Log', c.inputs), c.out) },
  log10: { onnx: 'Log, Div', emit: (c) => withScalar('Div', Math.LN10)(c, c.graph.node('Log', c.inputs), c.out) },
  log1p: { onnx: 'Add, Log', emit: (c) => c.graph.node('Log', [withScalar('Add', 1)(c, c.inputs[0]!)], [], c.out) },
  expm1: { onnx: 'Exp, Sub', emit: (c) => withScalar('Sub', 1)(c, c.graph.node('Exp', c.inputs), c.out) },
  exp2: { onnx: 'Pow', emit: (c) => withScalar('Pow', 2, true)(c, c.inputs[0]!, c.out) },
  atan2: none('ONNX has no two-argument arctangent'),
  erf: unary('Erf'),
  erfc: { onnx: 'Erf, Sub', emit: (c) => withScalar('Sub', 1, true)(c, c.graph.node('Erf', c.inputs), c.out) },
  erfinv: none('ONNX has no inverse error function'),
  copysign: none('ONNX has no sign-bit operator (copysign(x, -0) needs one)'),
  hypot: {
    onnx: 'Mul, Add, Sqrt',
    emit: (c) => {
      const [x, y] = c.inputs as [string, string];
      const squares = c.graph.node('Add', [c.graph.node('Mul', [x, x]), c.graph.node('Mul', [y, y])]);
      c.graph.node('Sqrt', [squares], [], c.out);
    },
  },
  cumsum: none('not mapped yet (ONNX CumSum would fit)'),
  argsort: none('ONNX has no stable full sort'),
  permuteAlong: none('a per-row permutation by computed indices'),
  bitwiseAnd: none('not mapped yet (ONNX BitwiseAnd needs opset 18)'),
  bitwiseOr: none('not mapped yet (ONNX BitwiseOr needs opset 18)'),
  bitwiseXor: none('not mapped yet (ONNX BitwiseXor needs opset 18)'),
  // ~x: Not on bool; BitwiseNot from opset 18, before it −x − 1 (the same bits in two's
  // complement; integer min/argmax use it).
  bitwiseNot: {
    onnx: 'Not, BitwiseNot, Neg, Sub',
    emit: (c) => {
      const x = c.inputs[0]!;
      if (c.dtype === 'bool') c.graph.node('Not', [x], [], c.out);
      else if (c.opset >= 18) c.graph.node('BitwiseNot', [x], [], c.out);
      else c.graph.node('Sub', [c.graph.node('Neg', [x], []), c.graph.scalar(c.dtype, 1)], [], c.out);
    },
  },
  leftShift: none('ONNX BitShift is for unsigned integers only'),
  rightShift: none('ONNX BitShift is for unsigned integers only'),
};
