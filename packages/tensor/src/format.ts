// Reading tensors back out: nested arrays, and a NumPy-like printed form.
import { contiguousData, isStaged, type Tensor } from './core/tensor.js';
import { formatShape } from './errors.js';
import type { NestedArray } from './creation.js';
import { expectTensor } from './ops/operand.js';
import { expectInteger, expectOptions } from './arguments.js';
import { MAX_SIZE } from './shape.js';

/** The elements as nested arrays (a number for a 0-d tensor). */
export function toArray(x: Tensor): NestedArray {
  expectTensor('toArray', 'x', x);
  const data = contiguousData(x);
  const shape = x.shape;
  if (shape.length === 0) return data[0]!;
  let k = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? data[k++]! : build(d + 1));
    return out;
  };
  return build(0);
}

function formatNumber(v: number, fixed: boolean, digits: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (!fixed) return v.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
  if (Number.isInteger(v)) return `${v.toFixed(0)}.`;
  return v.toFixed(digits).replace(/0+$/, '');
}

/** Options of {@link formatTensor}: when and how a large tensor is summarised. */
export interface FormatOptions {
  /** Summarise tensors with more elements than this (NumPy's default, 1000); `Infinity` never does. */
  threshold?: number;
  /** Elements shown at each end of a summarised axis (NumPy's default, 3). */
  edgeItems?: number;
}

/**
 * NumPy's printed form, e.g. `tensor([[1., 2.], [3., 4.]])`, with columns aligned on the
 * decimal point; float64 and int32 tensors say so, as NumPy names non-default dtypes, and a
 * bool tensor prints `True` and `False`. A tensor of more
 * than `threshold` elements is summarised: each axis longer than 2·`edgeItems` shows only
 * its first and last `edgeItems` entries around `...`, and only those are read.
 *
 * @example
 * formatTensor(arange(2000))                    // 'tensor([0., 1., 2., ..., 1997., 1998., 1999.])'
 * formatTensor(arange(5), { threshold: 4, edgeItems: 1 }) // 'tensor([0., ..., 4.])'
 */
export function formatTensor(x: Tensor, options?: FormatOptions): string {
  expectTensor('formatTensor', 'x', x);
  const opts = expectOptions('formatTensor', options);
  const threshold = opts.threshold ?? 1000;
  if (threshold !== Infinity) expectInteger('formatTensor', 'threshold', threshold, 0, Number.MAX_SAFE_INTEGER);
  const edgeItems = opts.edgeItems === undefined ? 3 : expectInteger('formatTensor', 'edgeItems', opts.edgeItems, 1, MAX_SIZE);
  // A traced value stands for every value of its shape: say so rather than show the trace's numbers.
  if (isStaged(x)) return `tensor(<traced by jit>, shape=${formatShape(x.shape)}, dtype=${x.dtype})`;
  const summarise = x.size > threshold;
  const view = x._view;
  const shape = x.shape;
  // The positions shown along each axis; -1 marks the ellipsis.
  const shown = shape.map((n) => {
    if (!summarise || n <= 2 * edgeItems) return Array.from({ length: n }, (_, i) => i);
    return [...Array.from({ length: edgeItems }, (_, i) => i), -1, ...Array.from({ length: edgeItems }, (_, i) => n - edgeItems + i)];
  });
  const values: number[] = [];
  const gather = (d: number, at: number): void => {
    if (d === shape.length) {
      values.push(view.data[at]!);
      return;
    }
    for (const i of shown[d]!) if (i >= 0) gather(d + 1, at + i * view.strides[d]!);
  };
  gather(0, view.offset);
  const [raw, cells] =
    x.dtype === 'int32' || x.dtype === 'bool' ? integerCells(values, x.dtype) : floatCells(values, x.dtype === 'float64');
  // float32 is the default dtype and bool is shown by its values; the others say what they are.
  const suffix = x.dtype === 'float64' || x.dtype === 'int32' ? `, dtype=${x.dtype}` : '';
  if (shape.length === 0) return `tensor(${raw[0]}${suffix})`;
  const prefix = 'tensor(';
  let k = 0;
  const build = (d: number, indent: number): string => {
    if (d === shape.length - 1) return `[${shown[d]!.map((i) => (i < 0 ? '...' : cells[k++]!)).join(', ')}]`;
    const rows = shown[d]!.map((i) => (i < 0 ? '...' : build(d + 1, indent + 1)));
    const sep = `,${'\n'.repeat(shape.length - 1 - d)}${' '.repeat(indent + 1)}`;
    return `[${rows.join(sep)}]`;
  };
  return `${prefix}${build(0, prefix.length)}${suffix})`;
}

/** Integers (or True/False) right-aligned to one width, as NumPy prints them; `[raw, cells]`. */
function integerCells(values: readonly number[], dtype: 'int32' | 'bool'): [string[], string[]] {
  const raw = values.map((v) => (dtype === 'bool' ? (v !== 0 ? 'True' : 'False') : String(v)));
  const width = raw.reduce((w, c) => Math.max(w, c.length), 0);
  return [raw, raw.map((c) => c.padStart(width))];
}

/** Floats in NumPy's fixed or scientific form, aligned on the decimal point; `[raw, cells]`. */
function floatCells(values: readonly number[], float64: boolean): [string[], string[]] {
  const finite = values.filter((v) => Number.isFinite(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const fixed = maxAbs < 1e8 && (minAbs === Infinity || minAbs >= 1e-4);
  const digits = float64 ? 8 : 4;
  const raw = values.map((v) => formatNumber(v, fixed, digits));
  // Pad integer parts on the left and fractions on the right, as NumPy aligns columns.
  const parts = raw.map((c): [string, string] => {
    const dot = fixed ? c.indexOf('.') : -1;
    return dot < 0 ? [c, ''] : [c.slice(0, dot), c.slice(dot)];
  });
  const intWidth = parts.reduce((w, [i]) => Math.max(w, i.length), 0);
  const fracWidth = parts.reduce((w, [, f]) => Math.max(w, f.length), 0);
  return [raw, parts.map(([i, f]) => i.padStart(intWidth) + f.padEnd(fracWidth))];
}
