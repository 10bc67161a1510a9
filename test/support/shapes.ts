// Shape arithmetic for the tests, written independently of the library: NumPy broadcasting and
// row-major indexing on plain arrays.

export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** The NumPy broadcast of two shapes, or null if they are incompatible. */
export function broadcast(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** The multi-index of flat (row-major) position `flat` in `shape`. */
export function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

/** The flat position in `from` (broadcast to `to`) that element `idx` of `to` reads. */
export function sourceIndex(idx: readonly number[], from: Shape): number {
  const lead = idx.length - from.length;
  let flat = 0;
  for (let d = 0; d < from.length; d++) flat = flat * from[d]! + (from[d] === 1 ? 0 : idx[lead + d]!);
  return flat;
}

export const formatShape = (s: Shape): string => `[${s.join(', ')}]`;
