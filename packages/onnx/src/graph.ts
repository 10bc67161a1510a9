// What the mapping table writes into: nodes, initializers and fresh names, plus the dimensions
// that follow a dynamic axis. A dynamic dimension is affine in one symbol (coef·N + offset, as a
// flattened batch·T is T·N): the exporter learns coef and offset by tracing twice, and writes
// such a dimension as Shape(input)[axis]·coef + offset, computed in the graph.
import type { Tensor } from '@jacobi/tensor';
import { DynamicAxisError } from './errors.js';
import { ATTRIBUTE_TYPE, ONNX_DTYPE, type AttributeMessage, type NodeMessage, type TensorMessage } from './onnx-proto.js';

/** A size that may follow a dynamic axis: `coef · symbol + offset`, or just `offset` when `symbol` is null. */
export interface Affine {
  readonly symbol: string | null;
  readonly coef: number;
  readonly offset: number;
}

/** A fixed size. */
export const fixed = (n: number): Affine => ({ symbol: null, coef: 0, offset: n });

/** a + b·k, for sizes that follow at most one symbol between them. */
export function affineAdd(op: string, a: Affine, b: Affine, k = 1): Affine {
  if (a.symbol !== null && b.symbol !== null && a.symbol !== b.symbol)
    throw new DynamicAxisError(`exportOnnx: ${op} combines the dynamic axes '${a.symbol}' and '${b.symbol}' in one size`);
  const symbol = a.symbol ?? b.symbol;
  const coef = a.coef + k * b.coef;
  return { symbol: coef === 0 ? null : symbol, coef, offset: a.offset + k * b.offset };
}

/** The ONNX element types of the exporter: jacobi's dtypes and int64 for shapes and indices. */
export type ElementType = keyof typeof ONNX_DTYPE;

/** Little-endian bytes of `values` as `type`. */
function bytesOf(type: ElementType, values: ArrayLike<number | boolean>): Uint8Array {
  const n = values.length;
  switch (type) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values as ArrayLike<number>).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as number);
      return new Uint8Array(out.buffer);
    }
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => (values[i] ? 1 : 0));
  }
}

// NOTE: typed arrays are little-endian on every platform jacobi runs on (x86, ARM, WASM), which
// is what ONNX's raw_data wants.

/** Attribute helpers: ONNX tells an int from a float by the attribute's type. */
export const attr = {
  int: (name: string, i: number): AttributeMessage => ({ name, type: ATTRIBUTE_TYPE.int, i }),
  ints: (name: string, ints: readonly number[]): AttributeMessage => ({ name, type: ATTRIBUTE_TYPE.ints, ints: [...ints] }),
  float: (name: string, f: number): AttributeMessage => ({ name, type: ATTRIBUTE_TYPE.float, f }),
};

/** Where a symbol's size can be read at run time: an axis of a graph input. */
export interface SymbolSource {
  readonly input: string;
  readonly axis: number;
}

/** The graph under construction. */
export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private count = 0;
  private readonly cache = new Map<string, string>();
  private readonly constants = new Map<Tensor, string>();

  constructor(
    private readonly sources: ReadonlyMap<string, SymbolSource>,
    private readonly constantNames: ReadonlyMap<Tensor, string>,
  ) {}

  /** A name no other value has. */
  fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  /** Appends `op(inputs)`; returns its output (a fresh name unless `output` is given). */
  node(op: string, inputs: readonly string[], attributes: readonly AttributeMessage[] = [], output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op_type: op, name: `${op}_${this.nodes.length}`, input: [...inputs], output: [out], attribute: [...attributes] });
    return out;
  }

  /** An initializer holding `values` of `dims`; equal small constants share one. */
  initializer(type: ElementType, dims: readonly number[], values: ArrayLike<number | boolean>, name?: string): string {
    const key = name === undefined && values.length <= 16 ? `${type}[${dims.join(',')}]${Array.from(values).join(',')}` : null;
    const hit = key === null ? undefined : this.cache.get(key);
    if (hit !== undefined) return hit;
    const n = name ?? this.fresh('const');
    this.initializers.push({ name: n, dims: [...dims], data_type: ONNX_DTYPE[type], raw_data: bytesOf(type, values) });
    if (key !== null) this.cache.set(key, n);
    return n;
  }

  /** A 1-D int64 initializer (axes, pads, shapes). */
  int64(values: readonly number[]): string {
    return this.initializer('int64', [values.length], values);
  }

  /** A scalar of `type` that broadcasts against anything. */
  scalar(type: ElementType, value: number): string {
    return this.initializer(type, [], [value]);
  }

  /** The initializer of a tensor captured by the trace (a parameter or a constant), once per tensor. */
  captured(t: Tensor): string {
    const hit = this.constants.get(t);
    if (hit !== undefined) return hit;
    const name = this.initializer(t.dtype, t.shape, t.data(), this.constantNames.get(t) ?? this.namedLike(t) ?? this.fresh('const'));
    this.constants.set(t, name);
    return name;
  }

  /** The name of a named tensor with `t`'s shape and values (a parameter the trace reshaped back, as Conv's weight), if any. */
  private namedLike(t: Tensor): string | undefined {
    const data = t.data();
    for (const [named, name] of this.constantNames) {
      if (named.dtype !== t.dtype || named.shape.length !== t.shape.length || named.shape.some((n, i) => n !== t.shape[i])) continue;
      const other = named.data();
      if (other.every((v, i) => Object.is(v, data[i]))) return name;
    }
    return undefined;
  }

  /** A 1-D int64 tensor of sizes; fixed ones are an initializer, dynamic ones computed from the inputs' shapes. */
  sizes(entries: readonly Affine[]): string {
    if (entries.every((e) => e.symbol === null)) return this.int64(entries.map((e) => e.offset));
    const key = `sizes:${entries.map((e) => `${e.coef}*${e.symbol}+${e.offset}`).join(',')}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    // Runs of fixed sizes go in one initializer; each dynamic size is one [1] tensor.
    const parts: string[] = [];
    let run: number[] = [];
    for (const e of entries) {
      if (e.symbol === null) {
        run.push(e.offset);
        continue;
      }
      if (run.length > 0) parts.push(this.int64(run));
      run = [];
      parts.push(this.size(e));
    }
    if (run.length > 0) parts.push(this.int64(run));
    const out = parts.length === 1 ? parts[0]! : this.node('Concat', parts, [attr.int('axis', 0)]);
    this.cache.set(key, out);
    return out;
  }

  /** One dynamic size as an int64 [1] tensor. */
  private size(e: Affine): string {
    const key = `size:${e.coef}*${e.symbol}+${e.offset}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const base = this.symbolSize(e.symbol!);
    const scaled = e.coef === 1 ? base : this.node('Mul', [base, this.int64([e.coef])]);
    const out = e.offset === 0 ? scaled : this.node('Add', [scaled, this.int64([e.offset])]);
    this.cache.set(key, out);
    return out;
  }

  /** The symbol's size at run time: Shape(input)[axis:axis+1]. */
  private symbolSize(symbol: string): string {
    const key = `symbol:${symbol}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const source = this.sources.get(symbol)!;
    const out = this.node('Shape', [source.input], [attr.int('start', source.axis), attr.int('end', source.axis + 1)]);
    this.cache.set(key, out);
    return out;
  }
}
