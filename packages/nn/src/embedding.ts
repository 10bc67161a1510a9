// PyTorch's lookup table: rows of a `[num, dim]` weight picked by integer indices, through the
// differentiable `take`, so the gradient scatter-adds each output row's cotangent into its row.
import {
  DTypeError,
  ArgumentError,
  Tensor,
  TraceError,
  randn,
  stopGradient,
  tensor,
  take,
  where,
  type DType,
  type Rng,
} from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import { rngOption } from './init.js';
import { asParameter } from './parameter.js';
import { MAX_ELEMENTS, checkDType, checkInteger, checkOptions, checkShape, describeValue, inContext } from './validate.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /**
   * A row (negative counts from the end) that starts at zero and never gets a gradient, as
   * PyTorch's `padding_idx`: lookups of it still return the row's current value.
   */
  paddingIdx?: number;
  /** The generator of the initial N(0, 1) weights (default: the shared fixed-seed stream). */
  rng?: Rng;
  /** Dtype of the weight (default `'float32'`). */
  dtype?: DType;
}

/** Integer indices: an int32 tensor, or (nested) arrays of integers. */
export type EmbeddingIndices = Tensor | number | readonly EmbeddingIndices[];

/**
 * PyTorch's `nn.Embedding(numEmbeddings, embeddingDim)`: `forward(indices)` of shape `[...]`
 * gives `[..., embeddingDim]`, row i of `weight` (`[numEmbeddings, embeddingDim]`, drawn from
 * N(0, 1) as PyTorch) for index i. Indices must lie in [0, numEmbeddings). Indices traced by
 * `jit` are checked when the traced program runs, where (as in `take`) a negative one counts
 * from the end.
 *
 * @example
 * const emb = new Embedding(27, 8, { rng: rng(0) });
 * emb.forward(tensor([[1, 5, 0]], { dtype: 'int32' })).shape; // [1, 3, 8]
 */
export class Embedding extends Module {
  /** Number of rows (the vocabulary size). */
  readonly numEmbeddings: number;
  /** Size of each row. */
  readonly embeddingDim: number;
  /** The padding row in [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  /** The table, `[numEmbeddings, embeddingDim]`. */
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    const op = 'Embedding';
    checkInteger(op, 'numEmbeddings', numEmbeddings, 1);
    checkInteger(op, 'embeddingDim', embeddingDim, 1);
    const o = checkOptions(op, opts);
    const padding =
      o.paddingIdx === undefined ? null : checkInteger(op, 'opts.paddingIdx', o.paddingIdx, -numEmbeddings, numEmbeddings - 1);
    const r = rngOption(op, o);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    checkShape(op, 'the weight shape [numEmbeddings, embeddingDim]', [numEmbeddings, embeddingDim]);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = padding === null ? null : padding < 0 ? padding + numEmbeddings : padding;
    let w = randn([numEmbeddings, embeddingDim], { rng: r, dtype });
    if (this.paddingIdx !== null) w = where(paddingRows(numEmbeddings, this.paddingIdx), 0, w);
    this.weight = asParameter(w);
  }

  forward(indices: EmbeddingIndices): Tensor {
    const op = methodName(this, 'forward');
    const idx = checkIndices(op, indices, this.numEmbeddings);
    return inContext(op, () => {
      // NOTE: the padding row is read through stopGradient, so its gradient is 0 however often it is looked up.
      const pad = this.paddingIdx;
      const table = pad === null ? this.weight : where(paddingRows(this.numEmbeddings, pad), stopGradient(this.weight), this.weight);
      return take(table, idx, 0);
    });
  }
}

/** `[n, 1]` bool, true on the padding row. */
function paddingRows(n: number, paddingIdx: number): Tensor {
  return tensor(Array.from({ length: n }, (_, i) => [i === paddingIdx]));
}

/** The indices as an int32 tensor, each checked to lie in [0, n). */
function checkIndices(op: string, indices: unknown, n: number): Tensor {
  let t: Tensor;
  if (indices instanceof Tensor) {
    if (indices.dtype !== 'int32')
      throw new DTypeError(`${op}: indices have dtype ${indices.dtype}, expected int32 (or arrays of integers)`);
    t = indices;
  } else {
    const flat: number[] = [];
    const shape: number[] = [];
    readNested(op, indices, 0, flat, shape);
    t = tensor(Int32Array.from(flat), { shape });
  }
  let values: ArrayLike<number>;
  try {
    values = t.data();
  } catch (e) {
    // Indices traced by jit have no values yet: the lookup's kernel checks them when it runs
    // (as take does: a negative index there counts from the end).
    if (e instanceof TraceError) return t;
    throw e;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= n) throw new ArgumentError(`${op}: index ${v} at flat position ${i} is outside [0, ${n - 1}]`);
  }
  return t;
}

/** Reads nested arrays of integers (rectangular) into `flat`, recording the shape. */
function readNested(op: string, value: unknown, depth: number, flat: number[], shape: number[]): void {
  if (typeof value === 'number') {
    if (depth !== shape.length) throw new ArgumentError(`${op}: indices are ragged (a number at depth ${depth})`);
    if (!Number.isInteger(value)) throw new ArgumentError(`${op}: indices must be integers, got ${describeValue(value)}`);
    flat.push(value);
    return;
  }
  if (!Array.isArray(value) || depth > 32 || value.length > MAX_ELEMENTS - flat.length) {
    throw new ArgumentError(`${op}: indices must be an int32 Tensor or (nested) arrays of integers, got ${describeValue(value)}`);
  }
  if (depth === shape.length && flat.length > 0) throw new ArgumentError(`${op}: indices are ragged at depth ${depth}`);
  if (depth === shape.length) shape.push(value.length);
  else if (shape[depth] !== value.length || depth > shape.length) throw new ArgumentError(`${op}: indices are ragged at depth ${depth}`);
  for (let i = 0; i < value.length; i++) readNested(op, value[i], depth + 1, flat, shape);
}
