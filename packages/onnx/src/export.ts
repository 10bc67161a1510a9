// exportOnnx: trace a function or module with jit, translate the program equation by equation
// through the mapping table, and encode the ModelProto. Dynamic axes are found by tracing again
// with each symbol's example size plus one: a size in the params that moves with it is affine
// in the symbol (see graph.ts); anything else that moves cannot be exported with that axis free.
import {
  ArgumentError,
  type DType,
  type ProgramAtom,
  type ProgramView,
  Tensor,
  indexSelect,
  jit,
  noGrad,
  stopGradient,
} from '@jacobi/tensor';
import { DynamicAxisError, OnnxExportError, UnsupportedPrimitiveError } from './errors.js';
import { matchConv, useCounts } from './conv-pattern.js';
import { type Affine, GraphBuilder, type SymbolSource, attr, fixed } from './graph.js';
import { type EmitContext, type NoMapping, ONNX_TABLE, type OnnxMapping } from './mapping.js';
import { ONNX_DTYPE, type ValueInfoMessage, encodeModel } from './onnx-proto.js';

/** Something to export: a function of tensors, or a module (anything with `forward`, such as `@jacobi/nn`'s `Module`). */
export type Exportable = ((...inputs: Tensor[]) => Tensor | readonly Tensor[]) | OnnxModule;

/** A module as exportOnnx sees it: `forward`, and optionally train/eval modes and named parameters and buffers. */
export interface OnnxModule {
  /** The computation; its inputs are the graph's inputs, its result the graph's outputs. */
  forward(...inputs: Tensor[]): Tensor | readonly Tensor[];
  /** True in training mode: exportOnnx exports in eval mode, as `torch.onnx.export` does, and restores the mode after. */
  training?: boolean;
  /** Switches training mode on or off. */
  train?(mode?: boolean): unknown;
  /** Parameter names, which become the initializers' names (`layers.0.weight`). */
  namedParameters?(): Iterable<[string, Tensor]>;
  /** Buffer names (batch norm's running statistics), likewise. */
  namedBuffers?(): Iterable<[string, Tensor]>;
}

/** The names of a graph's inputs and outputs, in order. */
export interface OnnxNames {
  /** One per example input. */
  readonly inputs?: readonly string[];
  /** One per output tensor of the function. */
  readonly outputs?: readonly string[];
}

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** The ONNX opset to write, 17 to 21 (default 17). */
  opset?: number;
  /**
   * Axes left free in the graph, PyTorch's `dynamic_axes`: per input or output name, axis →
   * symbol, e.g. `{ input: { 0: 'batch' }, output: { 0: 'batch' } }`. Every symbol must appear
   * on an input; an output's dynamic axes are inferred and, when listed, checked.
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>>>>;
  /** Names of the graph's inputs and outputs (default `input`/`output`, or `input_0`, `input_1`, … when there are several). */
  names?: OnnxNames;
}

/** A range of ONNX opset versions. */
export interface OpsetRange {
  /** The lowest version. */
  readonly min: number;
  /** The highest version. */
  readonly max: number;
}

/** The opsets the mapping table is written for. */
export const SUPPORTED_OPSETS: OpsetRange = { min: 17, max: 21 };

/** The IR version each opset was released with (onnx/docs/Versioning.md). */
const irVersion = (opset: number): number => (opset <= 18 ? 8 : opset <= 20 ? 9 : 10);

const PRODUCER = { name: 'jacobi', version: '0.1.0' };

const isModule = (m: unknown): m is OnnxModule =>
  typeof m === 'object' && m !== null && typeof (m as { forward?: unknown }).forward === 'function';

const defaultNames = (kind: 'input' | 'output', n: number): string[] =>
  Array.from({ length: n }, (_, i) => (n === 1 ? kind : `${kind}_${i}`));

function checkNames(kind: 'inputs' | 'outputs', names: readonly string[] | undefined, n: number): void {
  if (names === undefined) return;
  if (!Array.isArray(names) || names.length !== n || names.some((s) => typeof s !== 'string' || s === ''))
    throw new ArgumentError(`exportOnnx: opts.names.${kind} must be ${n} non-empty strings, got ${JSON.stringify(names)}`);
  if (new Set(names).size !== names.length) throw new ArgumentError(`exportOnnx: opts.names.${kind} has a repeated name`);
}

/** The dynamic axes of one value, checked against its rank: axis → symbol. */
function axesOf(name: string, spec: unknown, rank: number): Map<number, string> {
  if (typeof spec !== 'object' || spec === null)
    throw new ArgumentError(`exportOnnx: opts.dynamicAxes.${name} must be an object axis → name`);
  const out = new Map<number, string>();
  for (const [key, symbol] of Object.entries(spec)) {
    const axis = Number(key);
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
      throw new ArgumentError(`exportOnnx: opts.dynamicAxes.${name} names axis ${key}, expected an axis in [0, ${rank})`);
    if (typeof symbol !== 'string' || symbol === '')
      throw new ArgumentError(`exportOnnx: opts.dynamicAxes.${name}[${key}] must be a non-empty string, got ${JSON.stringify(symbol)}`);
    out.set(axis, symbol);
  }
  return out;
}

/** The program of `f` at `inputs`, in eval mode and with no gradient recording. */
function traceProgram(f: (...xs: Tensor[]) => Tensor | readonly Tensor[], inputs: readonly Tensor[]): ProgramView {
  return noGrad(() => jit((...xs: Tensor[]) => f(...xs) as Tensor | Tensor[]).lower(...inputs).program);
}

/** `x` one longer along `axis` (its first slice repeated), so that the trace sees the axis move. */
function grown(x: Tensor, axis: number): Tensor {
  const n = x.shape[axis]!;
  return indexSelect(x, axis, [...Array.from({ length: n }, (_, i) => i), 0]);
}

function sameValues(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Whether two params values are equal (numbers, arrays, typed arrays, plain objects). */
function sameParam(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b))
    return sameValues(a as unknown as ArrayLike<number>, b as unknown as ArrayLike<number>);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameParam(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => sameParam((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/** The keys of two params objects whose values differ. */
function differingKeys(a: unknown, b: unknown): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return sameParam(a, b) ? [] : ['(params)'];
  return Object.keys(a).filter((k) => !sameParam((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The sizes `base` as affine functions of the symbols, from the same sizes traced with each symbol grown by one. */
function affineSizes(
  where: string,
  base: readonly number[],
  grownBy: ReadonlyMap<string, readonly number[]>,
  examples: ReadonlyMap<string, number>,
): Affine[] {
  return base.map((v, i) => {
    let result = fixed(v);
    for (const [symbol, sizes] of grownBy) {
      const delta = sizes[i]! - v;
      if (delta === 0) continue;
      if (result.symbol !== null)
        throw new DynamicAxisError(`exportOnnx: ${where} depends on two dynamic axes ('${result.symbol}' and '${symbol}') at once`);
      result = { symbol, coef: delta, offset: v - delta * examples.get(symbol)! };
    }
    return result;
  });
}

/**
 * Exports a function or module as an ONNX model: a `ModelProto` (opset 17 by default) whose
 * graph computes what `fnOrModule` computes on inputs shaped like `exampleInputs`, with the
 * tensors it captures (a module's parameters and buffers, under their state-dict names) as
 * initializers. It is traced with `jit`, so it must be a function of its inputs' values (see
 * `jit`); a module is exported in eval mode. Axes named in `opts.dynamicAxes` stay free: run the
 * model at any size along them.
 *
 * Throws `UnsupportedPrimitiveError` naming a primitive with no ONNX mapping, `DynamicAxisError`
 * when the program is tied to a dynamic axis's example size (an index list that grows with it,
 * say), `ArgumentError` for bad options, and whatever `jit` throws for an untraceable function
 * (max pooling reads values while tracing, so it cannot be exported yet).
 *
 * @example
 * const bytes = exportOnnx(model, [randn([2, 4])], { dynamicAxes: { input: { 0: 'batch' } } });
 * await writeFile('model.onnx', bytes); // then: new ort.InferenceSession('model.onnx')
 */
export function exportOnnx(fnOrModule: Exportable, exampleInputs: readonly Tensor[], opts: ExportOnnxOptions = {}): Uint8Array {
  const module = isModule(fnOrModule) ? fnOrModule : null;
  if (module === null && typeof fnOrModule !== 'function')
    throw new ArgumentError('exportOnnx: fnOrModule must be a function of tensors or an object with a forward method');
  if (!Array.isArray(exampleInputs) || exampleInputs.length === 0 || exampleInputs.some((x) => !(x instanceof Tensor)))
    throw new ArgumentError('exportOnnx: exampleInputs must be a non-empty array of tensors');
  if (typeof opts !== 'object' || opts === null) throw new ArgumentError('exportOnnx: opts must be an object');
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max)
    throw new ArgumentError(
      `exportOnnx: opts.opset must be an integer in [${SUPPORTED_OPSETS.min}, ${SUPPORTED_OPSETS.max}], got ${String(opset)}`,
    );
  checkNames('inputs', opts.names?.inputs, exampleInputs.length);
  const inputNames = [...(opts.names?.inputs ?? defaultNames('input', exampleInputs.length))];
  const dynamicAxes = opts.dynamicAxes ?? {};
  if (typeof dynamicAxes !== 'object' || dynamicAxes === null) throw new ArgumentError('exportOnnx: opts.dynamicAxes must be an object');

  // Each symbol: where to read it at run time (its first input axis) and its example size.
  const inputAxes = inputNames.map((name, i) =>
    Object.hasOwn(dynamicAxes, name) ? axesOf(name, dynamicAxes[name], exampleInputs[i]!.ndim) : new Map<number, string>(),
  );
  const sources = new Map<string, SymbolSource>();
  const examples = new Map<string, number>();
  inputAxes.forEach((axes, i) => {
    for (const [axis, symbol] of axes) {
      const size = exampleInputs[i]!.shape[axis]!;
      const seen = examples.get(symbol);
      if (seen !== undefined && seen !== size)
        throw new ArgumentError(
          `exportOnnx: dynamic axis '${symbol}' has example sizes ${seen} and ${size}; one symbol must have one size`,
        );
      if (seen === undefined) sources.set(symbol, { input: inputNames[i]!, axis });
      examples.set(symbol, size);
    }
  });

  const f = module === null ? (fnOrModule as (...xs: Tensor[]) => Tensor | readonly Tensor[]) : (...xs: Tensor[]) => module.forward(...xs);
  const wasTraining = module?.training === true && typeof module.train === 'function';
  if (wasTraining) module!.train!(false);
  let program: ProgramView;
  let valueProgram: ProgramView;
  const grownPrograms = new Map<string, ProgramView>();
  try {
    program = traceProgram(f, exampleInputs);
    for (const symbol of examples.keys()) {
      const inputs = exampleInputs.map((x, i) => {
        let y = x;
        for (const [axis, s] of inputAxes[i]!) if (s === symbol) y = grown(y, axis);
        return y;
      });
      grownPrograms.set(symbol, traceProgram(f, inputs));
    }
    valueProgram = traceProgram(f, exampleInputs.map(otherValues));
  } finally {
    if (wasTraining) module!.train!(true);
  }

  checkValueFree(program, valueProgram);
  checkNames('outputs', opts.names?.outputs, program.outputs.length);
  const outputNames = [...(opts.names?.outputs ?? defaultNames('output', program.outputs.length))];
  for (const name of Object.keys(dynamicAxes))
    if (!inputNames.includes(name) && !outputNames.includes(name))
      throw new ArgumentError(
        `exportOnnx: opts.dynamicAxes names '${name}', which is neither an input (${inputNames.join(', ')}) nor an output (${outputNames.join(', ')})`,
      );

  for (const [symbol, p] of grownPrograms) {
    const same =
      p.equations.length === program.equations.length && p.equations.every((e, i) => e.primitive === program.equations[i]!.primitive);
    if (!same)
      throw new DynamicAxisError(
        `exportOnnx: the traced program changes with dynamic axis '${symbol}' (its example size is baked into it)`,
      );
  }

  // Names: the module's parameters and buffers by their state-dict names. The trace (run under
  // noGrad) captured a parameter as its value, the tensor stopGradient gives.
  const constantNames = new Map<Tensor, string>();
  if (module !== null) {
    for (const [name, t] of [...(module.namedParameters?.() ?? []), ...(module.namedBuffers?.() ?? [])]) {
      constantNames.set(t, name);
      constantNames.set(stopGradient(t), name);
    }
  }
  const graph = new GraphBuilder(sources, constantNames);
  const names = new Map<number, string>();
  const dtypes = new Map<number, DType>();
  program.inputs.forEach((v, i) => {
    names.set(v.variable, inputNames[i]!);
    dtypes.set(v.variable, v.dtype);
  });
  const nameOf = (a: ProgramAtom): string => ('variable' in a ? names.get(a.variable)! : graph.captured(a.constant));
  // A constant operand whose shape follows a dynamic axis is a broadcast that ran at trace time
  // (a bias expanded to the batch, say): it is written as its one slice along those axes,
  // expanded at run time; a constant that varies in any other way cannot be exported.
  const expanded = new Map<Tensor, string>();
  const operand = (eq: ProgramView['equations'][number], index: number, i: number): string => {
    const a = eq.inputs[i]!;
    if (!('constant' in a)) return nameOf(a);
    const c = a.constant;
    const seen = expanded.get(c);
    if (seen !== undefined) return seen;
    const others = [...grownPrograms].map(
      ([symbol, p]) => [symbol, (p.equations[index]!.inputs[i] as { constant: Tensor }).constant] as const,
    );
    if (others.every(([, o]) => o === c || sameConstant(o, c))) return graph.captured(c);
    const where = `a constant operand of primitive '${eq.primitive}'`;
    const changed = () =>
      new DynamicAxisError(`exportOnnx: ${where} changes with the dynamic axes ${others.map(([s]) => `'${s}'`).join(', ')}`);
    if (others.some(([, o]) => o.ndim !== c.ndim)) throw changed();
    const dims = affineSizes(where, c.shape, new Map(others.map(([s, o]) => [s, o.shape])), examples);
    let slice = c;
    dims.forEach((d, axis) => {
      if (d.symbol !== null) slice = indexSelect(slice, axis, [0]);
    });
    if (![c, ...others.map(([, o]) => o)].every((o) => sameConstant(slice.broadcastTo(o.shape), o))) throw changed();
    const name = graph.node('Expand', [graph.captured(slice), graph.sizes(dims)]);
    expanded.set(c, name);
    return name;
  };
  const dtypeOf = (a: ProgramAtom): DType => ('variable' in a ? dtypes.get(a.variable)! : a.constant.dtype);

  const uses = useCounts(program);
  const replaced = new Set<number>();
  const traces = [program, ...grownPrograms.values()];
  program.equations.forEach((eq, index) => {
    if (replaced.has(index)) return;
    const conv =
      eq.primitive === 'unfold' && traces.every((p) => sameParam(p.equations[index]!.params, eq.params))
        ? matchConv(traces, index, uses)
        : null;
    if (conv !== null) {
      const g = conv.geometry;
      const out = graph.fresh('conv');
      const x = nameOf(eq.inputs[0]!);
      graph.node(
        'Conv',
        [x, graph.captured(conv.weight)],
        [
          attr.ints('kernel_shape', g.kernel),
          attr.ints('pads', conv.pads),
          attr.ints('strides', g.stride),
          attr.ints('dilations', g.dilation),
        ],
        out,
      );
      const last = program.equations[conv.equations[3]]!;
      names.set(last.out, out);
      dtypes.set(last.out, last.dtype);
      for (const i of conv.equations) replaced.add(i);
      return;
    }
    const entry = (ONNX_TABLE as Record<string, OnnxMapping<unknown> | NoMapping | undefined>)[eq.primitive];
    if (entry === undefined) throw new UnsupportedPrimitiveError(eq.primitive, 'not in the mapping table');
    if ('unsupported' in entry) throw new UnsupportedPrimitiveError(eq.primitive, entry.unsupported);
    const varying: readonly string[] = entry.varying ?? [];
    const others = [...grownPrograms].map(([symbol, p]) => [symbol, p.equations[index]!] as const);
    for (const [symbol, other] of others) {
      const moved = differingKeys(eq.params, other.params).filter((k) => !varying.includes(k));
      if (moved.length > 0)
        throw new DynamicAxisError(
          `exportOnnx: primitive '${eq.primitive}' has ${moved.join(', ')} fixed to the example size of dynamic axis '${symbol}'`,
        );
      if (other.inputs.length !== eq.inputs.length)
        throw new DynamicAxisError(`exportOnnx: primitive '${eq.primitive}' has as many operands as dynamic axis '${symbol}' is long`);
      other.inputs.forEach((a, i) => {
        if ('constant' in a !== 'constant' in eq.inputs[i]!)
          throw new DynamicAxisError(
            `exportOnnx: the traced program changes with dynamic axis '${symbol}' (its example size is baked into it)`,
          );
      });
    }
    const out = graph.fresh(eq.primitive);
    const ctx: EmitContext<unknown> = {
      params: eq.params,
      inputs: eq.inputs.map((_, i) => operand(eq, index, i)),
      inputDTypes: eq.inputs.map(dtypeOf),
      dtype: eq.dtype,
      out,
      opset,
      graph,
      sizes: (get) =>
        affineSizes(
          `primitive '${eq.primitive}'`,
          get(eq.params),
          new Map(others.map(([symbol, other]) => [symbol, get(other.params)])),
          examples,
        ),
    };
    entry.emit(ctx);
    names.set(eq.out, out);
    dtypes.set(eq.out, eq.dtype);
  });

  // The outputs' shapes, with the dims that follow a symbol named by it.
  const outputShape = (k: number): Affine[] => {
    const shapeIn = (p: ProgramView): readonly number[] => {
      const a = p.outputs[k]!;
      if ('constant' in a) return a.constant.shape;
      const eq = p.equations.find((e) => e.out === a.variable);
      return eq?.shape ?? p.inputs.find((v) => v.variable === a.variable)!.shape;
    };
    return affineSizes(
      `output '${outputNames[k]}'`,
      shapeIn(program),
      new Map([...grownPrograms].map(([s, p]) => [s, shapeIn(p)])),
      examples,
    );
  };
  const valueInfo = (name: string, dtype: DType, dims: readonly Affine[]): ValueInfoMessage => ({
    name,
    type: {
      tensor_type: {
        elem_type: ONNX_DTYPE[dtype],
        shape: {
          dim: dims.map((d) =>
            d.symbol === null
              ? { dim_value: d.offset }
              : { dim_param: d.coef === 1 && d.offset === 0 ? d.symbol : `${d.coef}*${d.symbol}+${d.offset}` },
          ),
        },
      },
    },
  });
  const outputs = program.outputs.map((a, k) => {
    graph.node('Identity', [nameOf(a)], [], outputNames[k]!);
    const dims = outputShape(k);
    if (Object.hasOwn(dynamicAxes, outputNames[k]!)) {
      for (const [axis, symbol] of axesOf(outputNames[k]!, dynamicAxes[outputNames[k]!], dims.length)) {
        const d = dims[axis]!;
        if (d.symbol !== symbol || d.coef !== 1 || d.offset !== 0)
          throw new ArgumentError(`exportOnnx: output '${outputNames[k]}' axis ${axis} is not the dynamic axis '${symbol}' of the inputs`);
      }
    }
    return valueInfo(outputNames[k]!, dtypeOf(a), dims);
  });
  const inputs = program.inputs.map((v, i) =>
    valueInfo(
      inputNames[i]!,
      v.dtype,
      v.shape.map((n, axis) => {
        const symbol = inputAxes[i]!.get(axis);
        return symbol === undefined ? fixed(n) : { symbol, coef: 1, offset: 0 };
      }),
    ),
  );
  return encodeModel({
    ir_version: irVersion(opset),
    producer_name: PRODUCER.name,
    producer_version: PRODUCER.version,
    opset_import: [{ domain: '', version: opset }],
    graph: { name: 'jacobi', node: graph.nodes, initializer: graph.initializers, input: inputs, output: outputs },
  });
}

/** The same shape and dtype, other values: floats 2x + 1, integers and bools reversed along axis 0. */
function otherValues(x: Tensor): Tensor {
  if (x.dtype === 'float32' || x.dtype === 'float64') return x.mul(2).add(1);
  if (x.ndim === 0) return x;
  return indexSelect(
    x,
    0,
    Array.from({ length: x.shape[0]! }, (_, i) => x.shape[0]! - 1 - i),
  );
}

/**
 * Refuses a program with a constant that was computed from the inputs' values at trace time:
 * jit records `stopGradient(v)` of a traced v as the value it had (softmax's stopped row
 * maximum, for one), which a graph must not bake in. Found by tracing again with other values.
 */
function checkValueFree(program: ProgramView, other: ProgramView): void {
  const same =
    other.equations.length === program.equations.length && other.equations.every((e, i) => e.primitive === program.equations[i]!.primitive);
  if (!same) throw new OnnxExportError('exportOnnx: the traced program changes with the values of the inputs, not only their shapes');
  program.equations.forEach((eq, index) => {
    eq.inputs.forEach((a, i) => {
      const b = other.equations[index]!.inputs[i]!;
      if (
        'constant' in a !== 'constant' in b ||
        ('constant' in a && 'constant' in b && a.constant !== b.constant && !sameConstant(a.constant, b.constant))
      )
        throw new OnnxExportError(
          `exportOnnx: an operand of primitive '${eq.primitive}' is a value computed from the inputs while tracing, baked in as a constant ` +
            '(jit records stopGradient of a traced value, as in softmax and logSoftmax, that way); such a program cannot be exported',
        );
    });
  });
}

/** Whether two constants captured by two traces hold the same values. */
function sameConstant(a: Tensor, b: Tensor): boolean {
  return a.dtype === b.dtype && sameValues(a.shape, b.shape) && sameValues(a.data(), b.data());
}
