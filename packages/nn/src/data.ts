// Data helpers: one-hot targets, a seeded (optionally stratified) split, feature
// standardisation and a seeded mini-batch iterator. All work on whole tensors row by row.
import { ArgumentError, ShapeError, Tensor, tensor, type DType, type Rng } from '@jacobi/tensor';

function checkLabels(op: string, labels: ArrayLike<number>, numClasses?: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses === undefined ? 'a non-negative integer' : `an integer in [0, ${numClasses})`;
      throw new ArgumentError(`${op}: label ${i} is ${v}, expected ${range}`);
    }
  }
}

function labelArray(op: string, labels: Tensor | readonly number[]): number[] {
  if (labels instanceof Tensor) {
    if (labels.ndim !== 1) throw new ShapeError(`${op}: labels must be one-dimensional, got shape [${labels.shape}]`);
    return Array.from(labels.data());
  }
  if (!Array.isArray(labels)) throw new ArgumentError(`${op}: labels must be an array of numbers or a 1-D Tensor`);
  return [...labels];
}

/**
 * One row per label with a 1 in the label's column: `[n, numClasses]`.
 *
 * @example
 * oneHot([0, 2], 3).toArray(); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(labels: Tensor | readonly number[], numClasses: number, opts: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new ArgumentError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const ls = labelArray('oneHot', labels);
  checkLabels('oneHot', ls, numClasses);
  const data = opts.dtype === 'float64' ? new Float64Array(ls.length * numClasses) : new Float32Array(ls.length * numClasses);
  ls.forEach((l, i) => (data[i * numClasses + l] = 1));
  return tensor(data, { shape: [ls.length, numClasses] });
}

/**
 * The rows of `x` at `indices`, in that order, as a new tensor (a copy).
 * NOTE: @jacobi/tensor has no gather op yet, so this copies on the host and is not differentiable.
 */
export function takeRows(x: Tensor, indices: readonly number[]): Tensor {
  if (!(x instanceof Tensor) || x.ndim === 0) throw new ArgumentError('takeRows: expected a Tensor of rank ≥ 1');
  const n = x.shape[0]!;
  const rowSize = x.size / Math.max(1, n);
  const src = x.data();
  const out = x.dtype === 'float64' ? new Float64Array(indices.length * rowSize) : new Float32Array(indices.length * rowSize);
  indices.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new ArgumentError(`takeRows: row index ${r} is out of range for ${n} rows`);
    out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return tensor(out, { shape: [indices.length, ...x.shape.slice(1)] });
}

/** Fisher–Yates shuffle of `0 .. n-1` driven by `r`. */
export function permutation(n: number, r: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

export interface SplitOptions {
  /** The test share: a fraction in (0, 1) or a row count (default 0.25). */
  testSize?: number;
  /** The generator that shuffles the rows (required: a split is part of an experiment's seed). */
  rng: Rng;
  /** Keep each class's share the same in both parts; pass the labels (or true to use `y`). */
  stratify?: boolean | Tensor | readonly number[];
}

export interface Split<Y> {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Y;
  yTest: Y;
  trainIndex: number[];
  testIndex: number[];
}

/**
 * A seeded train/test split of the rows of `x` and `y`. With `stratify`, each class contributes
 * round(share · class size) rows to the test part (as scikit-learn's stratified split does,
 * up to rounding), so the class balance is kept.
 *
 * @example
 * const { xTrain, xTest, yTrain, yTest } = trainTestSplit(x, labels, { testSize: 0.2, rng: rng(0), stratify: true });
 */
export function trainTestSplit<Y extends Tensor | readonly number[]>(x: Tensor, y: Y, opts: SplitOptions): Split<Y> {
  const op = 'trainTestSplit';
  if (!(x instanceof Tensor) || x.ndim === 0) throw new ArgumentError(`${op}: x must be a Tensor of rank ≥ 1`);
  const n = x.shape[0]!;
  const yRows = y instanceof Tensor ? y.shape[0] : (y as readonly number[]).length;
  if (yRows !== n) throw new ShapeError(`${op}: x has ${n} rows but y has ${yRows}`);
  if (opts?.rng === undefined) throw new ArgumentError(`${op}: opts.rng is required (pass rng(seed))`);
  const testSize = opts.testSize ?? 0.25;
  const share = testSize >= 1 ? testSize / n : testSize;
  if (!(share > 0 && share < 1) || (testSize >= 1 && !Number.isInteger(testSize))) {
    throw new ArgumentError(`${op}: testSize must be a fraction in (0, 1) or a row count in [1, ${n - 1}], got ${testSize}`);
  }
  const order = permutation(n, opts.rng);
  let test: number[];
  if (opts.stratify) {
    const labels = opts.stratify === true ? stratifyLabels(y) : labelArray(op, opts.stratify);
    if (labels.length !== n) throw new ShapeError(`${op}: ${labels.length} stratify labels for ${n} rows`);
    const byClass = new Map<number, number[]>();
    for (const i of order) {
      const l = labels[i]!;
      if (!byClass.has(l)) byClass.set(l, []);
      byClass.get(l)!.push(i);
    }
    test = [];
    for (const rows of [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => rows)) {
      test.push(...rows.slice(0, Math.round(share * rows.length)));
    }
  } else {
    test = order.slice(0, Math.round(share * n));
  }
  const inTest = new Set(test);
  const trainIndex = order.filter((i) => !inTest.has(i));
  const testIndex = order.filter((i) => inTest.has(i));
  if (trainIndex.length === 0 || testIndex.length === 0) throw new ArgumentError(`${op}: testSize ${testSize} leaves an empty part for ${n} rows`);
  const pick = (idx: number[]): Y => (y instanceof Tensor ? takeRows(y, idx) : idx.map((i) => (y as readonly number[])[i]!)) as Y;
  return { xTrain: takeRows(x, trainIndex), xTest: takeRows(x, testIndex), yTrain: pick(trainIndex), yTest: pick(testIndex), trainIndex, testIndex };
}

function stratifyLabels(y: Tensor | readonly number[]): number[] {
  if (y instanceof Tensor && y.ndim === 2) {
    // One-hot rows: the label is the column of the largest entry.
    return Array.from(y.argmax(-1).data());
  }
  return labelArray('trainTestSplit', y);
}

/**
 * Feature standardisation z = (x − mean) / std per column, with the statistics fitted on
 * training data only and then applied unchanged to test data (no information leaks from the
 * test set). A constant column gets std 1, so it maps to 0.
 *
 * @example
 * const scaler = Standardizer.fit(xTrain);
 * const [zTrain, zTest] = [scaler.transform(xTrain), scaler.transform(xTest)];
 */
export class Standardizer {
  private constructor(
    /** Column means, shape `[features]`. */
    readonly mean: Tensor,
    /** Column standard deviations (population, ddof 0), shape `[features]`. */
    readonly std: Tensor,
  ) {}

  /** Fits the column statistics of a `[rows, features]` tensor. */
  static fit(x: Tensor): Standardizer {
    if (!(x instanceof Tensor) || x.ndim !== 2 || x.shape[0] === 0) throw new ShapeError(`Standardizer.fit: expected a non-empty [rows, features] tensor, got ${x instanceof Tensor ? `[${x.shape}]` : typeof x}`);
    const mean = x.mean(0).detach();
    const variance = x.sub(mean).square().mean(0);
    const std = variance.greater(0).where(variance.sqrt(), 1).detach();
    return new Standardizer(mean, std);
  }

  /** Restores a fitted standardiser from its statistics (as saved with a model). */
  static fromStatistics(mean: readonly number[], std: readonly number[]): Standardizer {
    if (mean.length !== std.length || mean.length === 0) throw new ArgumentError(`Standardizer.fromStatistics: mean and std must be non-empty and of one length, got ${mean.length} and ${std.length}`);
    if (std.some((s) => !(s > 0))) throw new ArgumentError('Standardizer.fromStatistics: every std must be positive');
    return new Standardizer(tensor([...mean]), tensor([...std]));
  }

  /** (x − mean) / std, for `[rows, features]` or `[..., features]` input. */
  transform(x: Tensor): Tensor {
    const features = this.mean.shape[0]!;
    if (!(x instanceof Tensor) || x.ndim === 0 || x.shape[x.ndim - 1] !== features) {
      throw new ShapeError(`Standardizer.transform: expected [..., ${features}] input, got ${x instanceof Tensor ? `[${x.shape}]` : typeof x}`);
    }
    return x.sub(this.mean).div(this.std);
  }
}

export interface BatchOptions {
  /** Rows per batch (the last one may be smaller unless `dropLast`). */
  batchSize: number;
  /** Shuffle the rows before batching with this generator; without it the order is kept. */
  rng?: Rng;
  /** Skip a final batch smaller than `batchSize`. */
  dropLast?: boolean;
}

/**
 * Yields `[xBatch, yBatch]` covering the rows of `x` and `y` once (one epoch). Each call with
 * the same generator state gives the same batches, so a seeded run is reproducible.
 *
 * @example
 * for (const [xb, yb] of miniBatches(x, y, { batchSize: 16, rng: r })) { ... }
 */
export function* miniBatches(x: Tensor, y: Tensor, opts: BatchOptions): Generator<[Tensor, Tensor]> {
  const op = 'miniBatches';
  if (!(x instanceof Tensor) || !(y instanceof Tensor) || x.ndim === 0 || y.ndim === 0) throw new ArgumentError(`${op}: x and y must be Tensors of rank ≥ 1`);
  const n = x.shape[0]!;
  if (y.shape[0] !== n) throw new ShapeError(`${op}: x has ${n} rows but y has ${y.shape[0]}`);
  const size = opts?.batchSize;
  if (!Number.isInteger(size) || size <= 0) throw new ArgumentError(`${op}: batchSize must be a positive integer, got ${size}`);
  const order = opts.rng ? permutation(n, opts.rng) : Array.from({ length: n }, (_, i) => i);
  if (!opts.rng && size >= n) {
    yield [x, y];
    return;
  }
  for (let start = 0; start < n; start += size) {
    const rows = order.slice(start, start + size);
    if (opts.dropLast && rows.length < size) return;
    yield [takeRows(x, rows), takeRows(y, rows)];
  }
}
