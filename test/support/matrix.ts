// A tiny matrix library on plain JavaScript arrays, independent of @jacobi/tensor: the
// reference the library's derivatives are checked against. Every function is a loop you can
// check by eye; nothing here is clever.

/** A matrix as rows of numbers. */
export type Matrix = number[][];

export function zerosMatrix(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** (AB)ᵢⱼ = Σₖ Aᵢₖ Bₖⱼ */
export function matmul(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const k = b.length;
  const m = b[0]?.length ?? 0;
  const out = zerosMatrix(n, m);
  for (let i = 0; i < n; i++) {
    if (a[i]!.length !== k) throw new Error(`matmul: ${n}x${a[i]!.length} by ${k}x${m}`);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i]![p]! * b[p]![j]!;
      out[i]![j] = s;
    }
  }
  return out;
}

/** (Aᵀ)ᵢⱼ = Aⱼᵢ */
export function transpose(a: Matrix, cols = a[0]?.length ?? 0): Matrix {
  return Array.from({ length: cols }, (_, j) => a.map((row) => row[j]!));
}

/** Elementwise f(A, B) (the Hadamard product ∘ for f = ×). */
export function zipWith(a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  return a.map((row, i) => row.map((x, j) => f(x, b[i]![j]!)));
}

export function map(a: Matrix, f: (x: number) => number): Matrix {
  return a.map((row) => row.map(f));
}

/** A + b with the row vector b added to every row (a bias). */
export function addRow(a: Matrix, b: readonly number[]): Matrix {
  return a.map((row) => row.map((x, j) => x + b[j]!));
}

/** The column sums Σᵢ Aᵢⱼ (the gradient of a bias that was added to every row). */
export function columnSums(a: Matrix, cols = a[0]?.length ?? 0): number[] {
  const out = new Array<number>(cols).fill(0);
  for (const row of a) row.forEach((x, j) => (out[j]! += x));
  return out;
}

/** ⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ, the inner product of matrices (or vectors, as one-row matrices). */
export function inner(a: Matrix, b: Matrix): number {
  let s = 0;
  a.forEach((row, i) => row.forEach((x, j) => (s += x * b[i]![j]!)));
  return s;
}

/** ½‖A − T‖², the seed's loss. */
export function halfSquaredError(a: Matrix, t: Matrix): number {
  let s = 0;
  a.forEach((row, i) => row.forEach((x, j) => (s += (x - t[i]![j]!) ** 2)));
  return s / 2;
}
