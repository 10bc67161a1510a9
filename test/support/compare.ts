// Comparing computed numbers with reference numbers, with errors that say where and by how much.
import { Tensor } from '@jacobi/tensor';

/** Nested arrays of numbers, as `toArray()` returns them. */
export type Nested = number | readonly Nested[];

/** The numbers of a tensor, a nested array or a number, in row-major order. */
export function flat(x: Tensor | Nested): number[] {
  if (x instanceof Tensor) return Array.from(x.data(), Number);
  if (typeof x === 'number') return [x];
  return x.flatMap((v) => flat(v));
}

/** The shape of a nested array (a rectangular one). */
export function shapeOf(x: Tensor | Nested): number[] {
  if (x instanceof Tensor) return [...x.shape];
  const shape: number[] = [];
  let v: Nested = x;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly Nested[])[0]!;
  }
  return shape;
}

/**
 * The relative error of `actual` against `expected`, scaled by the size of the expected
 * tensor as a whole: max |aᵢ − eᵢ| / max(floor, max |eᵢ|). The default floor 1e-300 makes
 * zero tensors compare absolutely; pass the magnitude of the computation's values as the floor
 * where an expected result can cancel to zero. NOTE: an elementwise relative error would be meaningless for elements
 * that cancel to nearly zero; rounding errors scale with the tensor's magnitude, not with
 * each element's.
 */
export function relativeError(actual: readonly number[], expected: readonly number[], floor = 1e-300): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

function preview(xs: readonly number[]): string {
  const shown = xs.slice(0, 8).map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(8)));
  return `[${shown.join(', ')}${xs.length > 8 ? `, … (${xs.length} values)` : ''}]`;
}

function checkSameShape(label: string, actual: Tensor | Nested, expected: Tensor | Nested): void {
  const sa = shapeOf(actual);
  const se = shapeOf(expected);
  if (sa.length !== se.length || sa.some((d, i) => d !== se[i])) {
    throw new Error(`${label}: shape [${sa.join(', ')}], expected [${se.join(', ')}]`);
  }
}

/**
 * Throws (with both values and the error) unless `actual` has `expected`'s shape and is within
 * `rtol` of it in the sense of `relativeError`.
 */
export function assertClose(label: string, actual: Tensor | Nested, expected: Tensor | Nested, rtol: number, floor?: number): void {
  checkSameShape(label, actual, expected);
  const a = flat(actual);
  const e = flat(expected);
  const err = relativeError(a, e, floor);
  if (!(err <= rtol)) {
    throw new Error(`${label}: relative error ${err.toExponential(2)} > ${rtol}\n  actual   ${preview(a)}\n  expected ${preview(e)}`);
  }
}

/** Throws unless the two numbers agree to `rtol` relative to the larger of `scale` and |expected|. */
export function assertNumberClose(label: string, actual: number, expected: number, rtol: number, scale = 0): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), scale, 1e-300);
  if (!(err <= rtol)) throw new Error(`${label}: ${actual} vs expected ${expected} (relative error ${err.toExponential(2)} > ${rtol})`);
}

/**
 * Throws unless |actualᵢ − expectedᵢ| ≤ rtol · scaleᵢ for every element (and the shapes
 * agree), where `scale` bounds the magnitudes that went into each element (see
 * `errorScales` in seed-reference.ts).
 */
export function assertWithinScale(label: string, actual: Tensor | Nested, expected: Nested, scale: Nested, rtol: number): void {
  checkSameShape(label, actual, expected);
  const a = flat(actual);
  const e = flat(expected);
  const s = flat(scale);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    const err = Number.isNaN(d) ? Infinity : d / Math.max(s[i]!, 1e-300);
    if (err > worstErr) [worst, worstErr] = [i, err];
  }
  if (!(worstErr <= rtol)) {
    throw new Error(
      `${label}: element ${worst} is ${a[worst]}, expected ${e[worst]} (error ${worstErr.toExponential(2)} × its scale ${s[worst]!.toExponential(2)}, allowed ${rtol})` +
        `\n  actual   ${preview(a)}\n  expected ${preview(e)}`,
    );
  }
}
