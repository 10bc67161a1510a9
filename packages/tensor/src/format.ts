// Reading tensors back out: nested arrays, and a NumPy-like printed form.
import { contiguousData, type Tensor } from './core/tensor.js';
import type { NestedArray } from './creation.js';

/** The elements as nested arrays (a number for a 0-d tensor). */
export function toArray(x: Tensor): NestedArray {
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

/**
 * NumPy's printed form, e.g. `tensor([[1., 2.], [3., 4.]])`, with columns aligned on the
 * decimal point; float64 tensors say so, as NumPy names non-default dtypes.
 */
export function formatTensor(x: Tensor): string {
  const data = contiguousData(x);
  const finite = Array.from(data).filter((v) => Number.isFinite(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const fixed = maxAbs < 1e8 && (minAbs === Infinity || minAbs >= 1e-4);
  const digits = x.dtype === 'float64' ? 8 : 4;
  const raw = Array.from(data, (v) => formatNumber(v, fixed, digits));
  // Pad integer parts on the left and fractions on the right, as NumPy aligns columns.
  const parts = raw.map((c): [string, string] => {
    const dot = fixed ? c.indexOf('.') : -1;
    return dot < 0 ? [c, ''] : [c.slice(0, dot), c.slice(dot)];
  });
  const intWidth = parts.reduce((w, [i]) => Math.max(w, i.length), 0);
  const fracWidth = parts.reduce((w, [, f]) => Math.max(w, f.length), 0);
  const cells = parts.map(([i, f]) => i.padStart(intWidth) + f.padEnd(fracWidth));
  const shape = x.shape;
  const suffix = x.dtype === 'float64' ? ', dtype=float64' : '';
  if (shape.length === 0) return `tensor(${raw[0]}${suffix})`;
  const prefix = 'tensor(';
  let k = 0;
  const build = (d: number, indent: number): string => {
    const n = shape[d]!;
    if (d === shape.length - 1) {
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(cells[k++]!);
      return `[${items.join(', ')}]`;
    }
    const rows: string[] = [];
    for (let i = 0; i < n; i++) rows.push(build(d + 1, indent + 1));
    const sep = ',' + '\n'.repeat(shape.length - 1 - d) + ' '.repeat(indent + 1);
    return `[${rows.join(sep)}]`;
  };
  return `${prefix}${build(0, prefix.length)}${suffix})`;
}
