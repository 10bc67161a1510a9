// Data helpers: one-hot targets, a seeded (optionally stratified) split, feature
// standardisation and a seeded mini-batch iterator. All work on whole tensors row by row.
import { ArgumentError, DTypeError, ShapeError, Tensor, take, tensor, type DType, type Rng } from '@jacobi/tensor';
import {
  checkBoolean,
  checkDType,
  checkInteger,
  checkNumber,
  checkOptions,
  checkRng,
  checkShape,
  checkTensor,
  describeValue,
} from './validate.js';

/** Throws unless `labels` holds integers in [0, numClasses) (any non-negative integer without it). */
function checkLabels(op: string, labels: ArrayLike<number>, numClasses?: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v: unknown = labels[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses === undefined ? 'a non-negative integer' : `an integer in [0, ${numClasses})`;
      throw new ArgumentError(`${op}: label ${i} is ${describeValue(v)}, expected ${range}`);
    }
  }
}

/** The labels as a checked array of non-negative integers (checked before anything is copied). */
function labelArray(op: string, labels: unknown, numClasses?: number): number[] {
  if (labels instanceof Tensor) {
    if (labels.ndim !== 1) throw new ShapeError(`${op}: labels must be one-dimensional, got shape [${labels.shape}]`);
    const values = Array.from(labels.data());
    checkLabels(op, values, numClasses);
    return values;
  }
  if (!Array.isArray(labels))
    throw new ArgumentError(`${op}: labels must be an array of class indices or a 1-D Tensor, got ${describeValue(labels)}`);
  checkLabels(op, labels as unknown as ArrayLike<number>, numClasses);
  return [...(labels as number[])];
}

/**
 * One row per label with a 1 in the label's column: `[n, numClasses]`.
 *
 * @example
 * oneHot([0, 2], 3).toArray(); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(labels: Tensor | readonly number[], numClasses: number, opts: { dtype?: DType } = {}): Tensor {
  const op = 'oneHot';
  const dtype = checkOptions(op, opts).dtype;
  return oneHotRows(op, labels, numClasses, dtype === undefined ? 'float32' : checkDType(op, 'opts.dtype', dtype));
}

/** `oneHot` for the functions built on it: `op` names the function the user called. */
export function oneHotRows(op: string, labels: unknown, numClasses: unknown, dtype: DType): Tensor {
  const classes = checkInteger(op, 'numClasses', numClasses, 1);
  const ls = labelArray(op, labels, classes);
  const shape = checkShape(op, 'the one-hot shape [labels, numClasses]', [ls.length, classes]);
  const data = dtype === 'float64' ? new Float64Array(ls.length * classes) : new Float32Array(ls.length * classes);
  ls.forEach((l, i) => (data[i * classes + l] = 1));
  return tensor(data, { shape });
}

/**
 * Class indices traced by jit or vmap (values unknown here) as gather positions: an int32
 * tensor, a negative index moved out of range so that the gather's kernel, which checks each
 * position when it runs, refuses it as it refuses one ≥ `classes` (a gather index would
 * otherwise count from the end).
 */
export function tracedClassPositions(op: string, labels: Tensor, classes: number): Tensor {
  if (labels.dtype !== 'int32')
    throw new DTypeError(
      `${op}: class indices traced by jit or vmap must be an int32 tensor (their values cannot be checked), got ${labels.dtype}`,
    );
  return labels.less(0).where(classes, labels).astype('int32');
}

/**
 * The rows of `x` at `indices`, in that order (`take(x, indices, 0)` with the ids checked to be
 * non-negative row numbers). Differentiable in `x`: the gradient of a row taken twice adds up,
 * so this is an embedding lookup.
 */
export function takeRows(x: Tensor, indices: readonly number[]): Tensor {
  return gatherRows('takeRows', x, indices);
}

function gatherRows(op: string, x: unknown, indices: unknown): Tensor {
  const t = checkTensor(op, 'x', x, 1);
  if (!Array.isArray(indices)) throw new ArgumentError(`${op}: indices must be an array of row indices, got ${describeValue(indices)}`);
  const n = t.shape[0]!;
  for (let i = 0; i < indices.length; i++) {
    const r: unknown = indices[i];
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= n)
      throw new ArgumentError(`${op}: row index ${i} is ${describeValue(r)}, out of range for ${n} rows`);
  }
  checkShape(op, 'the result shape', [indices.length, ...t.shape.slice(1)]);
  return take(t, indices as number[], 0);
}

/**
 * A uniformly random order of `0 .. n-1` (Fisher–Yates) drawn from `r`.
 *
 * @example
 * permutation(4, rng(0)); // e.g. [2, 0, 3, 1]
 */
export function permutation(n: number, r: Rng): number[] {
  return shuffled('permutation', n, r);
}

function shuffled(op: string, n: unknown, r: unknown): number[] {
  const count = checkInteger(op, 'n', n, 0);
  const g = checkRng(op, 'r', r);
  const p = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j: unknown = g.int(i + 1);
    // NOTE: any object with int() is accepted as a generator, so its answers are checked too.
    if (typeof j !== 'number' || !Number.isInteger(j) || j < 0 || j > i)
      throw new ArgumentError(`${op}: the generator's int(${i + 1}) returned ${describeValue(j)}, expected an integer in [0, ${i}]`);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Options of `trainTestSplit`. */
export interface SplitOptions {
  /** The test share: a fraction in (0, 1) or a whole row count in [1, rows) (default 0.25); neither part may be empty. */
  testSize?: number;
  /** The generator that shuffles the rows (required: a split is part of an experiment's seed). */
  rng: Rng;
  /**
   * Keep each class's share the same in both parts (default false): the labels (integers ≥ 0,
   * one per row), or true to use `y` (class indices, or one-hot rows by their largest entry).
   */
  stratify?: boolean | Tensor | readonly number[];
}

/**
 * The two parts of a `trainTestSplit`: copies of the rows of `x` and `y`, and which rows they are.
 *
 * @typeParam Y - the type of `y`: a Tensor (split by rows) or an array (split by elements).
 */
export interface Split<Y> {
  /** The training rows of `x`, in `trainIndex` order: shape `[trainIndex.length, ...x.shape.slice(1)]`. */
  xTrain: Tensor;
  /** The test rows of `x`, in `testIndex` order: shape `[testIndex.length, ...x.shape.slice(1)]`. */
  xTest: Tensor;
  /** The training rows of `y`, in `trainIndex` order, of the same kind as `y`. */
  yTrain: Y;
  /** The test rows of `y`, in `testIndex` order, of the same kind as `y`. */
  yTest: Y;
  /** Indices into the rows of `x` of the training part, in shuffled order. */
  trainIndex: number[];
  /** Indices into the rows of `x` of the test part, in shuffled order; disjoint from `trainIndex`, together all rows. */
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
  const n = checkTensor(op, 'x', x, 1).shape[0]!;
  if (!(y instanceof Tensor) && !Array.isArray(y))
    throw new ArgumentError(`${op}: y must be a Tensor or an array, got ${describeValue(y)}`);
  const yRows = y instanceof Tensor ? checkTensor(op, 'y', y, 1).shape[0] : y.length;
  if (yRows !== n) throw new ShapeError(`${op}: x has ${n} rows but y has ${yRows}`);
  const o = checkOptions(op, opts);
  if (o.rng === undefined) throw new ArgumentError(`${op}: opts.rng is required (pass rng(seed))`);
  const r = checkRng(op, 'opts.rng', o.rng);
  const testSize = o.testSize === undefined ? 0.25 : checkNumber(op, 'opts.testSize', o.testSize, 0);
  const share = testSize >= 1 ? testSize / n : testSize;
  if (!(share > 0 && share < 1) || (testSize >= 1 && !Number.isInteger(testSize))) {
    throw new ArgumentError(
      `${op}: opts.testSize must be a fraction in (0, 1) or a row count in [1, ${n - 1}], got ${describeValue(testSize)}`,
    );
  }
  const stratify = o.stratify ?? false;
  if (typeof stratify !== 'boolean' && !(stratify instanceof Tensor) && !Array.isArray(stratify)) {
    throw new ArgumentError(`${op}: opts.stratify must be a boolean, a Tensor or an array of labels, got ${describeValue(stratify)}`);
  }
  const labels = stratify === false ? null : stratify === true ? stratifyLabels(y) : labelArray(op, stratify);
  if (labels !== null && labels.length !== n) throw new ShapeError(`${op}: ${labels.length} stratify labels for ${n} rows`);
  const order = shuffled(op, n, r);
  let test: number[];
  if (labels !== null) {
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
  if (trainIndex.length === 0 || testIndex.length === 0)
    throw new ArgumentError(`${op}: opts.testSize ${testSize} leaves an empty part for ${n} rows`);
  const pick = (idx: number[]): Y => (y instanceof Tensor ? gatherRows(op, y, idx) : idx.map((i) => (y as readonly number[])[i]!)) as Y;
  return {
    xTrain: gatherRows(op, x, trainIndex),
    xTest: gatherRows(op, x, testIndex),
    yTrain: pick(trainIndex),
    yTest: pick(testIndex),
    trainIndex,
    testIndex,
  };
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
    checkTensor('Standardizer.fit', 'x', x);
    if (x.ndim !== 2 || x.shape[0] === 0)
      throw new ShapeError(`Standardizer.fit: x must be a non-empty [rows, features] tensor, got shape [${x.shape}]`);
    const mean = x.mean(0).detach();
    const variance = x.sub(mean).square().mean(0);
    const std = variance.greater(0).where(variance.sqrt(), 1).detach();
    return new Standardizer(mean, std);
  }

  /** Restores a fitted standardiser from its statistics (as saved with a model). */
  static fromStatistics(mean: readonly number[], std: readonly number[]): Standardizer {
    const op = 'Standardizer.fromStatistics';
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || mean.length === 0) {
      throw new ArgumentError(
        `${op}: mean and std must be non-empty arrays of one length, got ${describeValue(mean)} and ${describeValue(std)}`,
      );
    }
    for (let i = 0; i < mean.length; i++) {
      checkNumber(op, `mean[${i}]`, mean[i]);
      if (!(checkNumber(op, `std[${i}]`, std[i]) > 0))
        throw new ArgumentError(`${op}: std[${i}] must be positive, got ${describeValue(std[i])}`);
    }
    return new Standardizer(tensor([...mean]), tensor([...std]));
  }

  /** (x − mean) / std, for `[rows, features]` or `[..., features]` input. */
  transform(x: Tensor): Tensor {
    const features = this.mean.shape[0]!;
    checkTensor('Standardizer.transform', 'x', x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== features) {
      throw new ShapeError(`Standardizer.transform: x must have shape [..., ${features}], got [${x.shape}]`);
    }
    return x.sub(this.mean).div(this.std);
  }
}

/** Options of `miniBatches`. */
export interface BatchOptions {
  /** Rows per batch, an integer ≥ 1 (the last batch may be smaller unless `dropLast`). */
  batchSize: number;
  /** Shuffle the rows before batching with this generator; without it the order is kept. */
  rng?: Rng;
  /** Skip a final batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/**
 * Yields `[xBatch, yBatch]` covering the rows of `x` and `y` once (one epoch). Each call with
 * the same generator state gives the same batches, so a seeded run is reproducible.
 *
 * @example
 * for (const [xb, yb] of miniBatches(x, y, { batchSize: 16, rng: r })) { ... }
 */
export function miniBatches(x: Tensor, y: Tensor, opts: BatchOptions): Generator<[Tensor, Tensor]> {
  return batchesOf('miniBatches', x, y, opts);
}

/**
 * `miniBatches` for the functions built on it. Everything is checked and the order drawn
 * now, when it is called, not when the first batch is taken: a bad argument throws here.
 */
export function batchesOf(op: string, x: unknown, y: unknown, opts: unknown): Generator<[Tensor, Tensor]> {
  const xs = checkTensor(op, 'x', x, 1);
  const ys = checkTensor(op, 'y', y, 1);
  const n = xs.shape[0]!;
  if (ys.shape[0] !== n) throw new ShapeError(`${op}: x has ${n} rows but y has ${ys.shape[0]}`);
  const o = checkOptions(op, opts);
  const size = checkInteger(op, 'opts.batchSize', o.batchSize, 1);
  const dropLast = o.dropLast === undefined ? false : checkBoolean(op, 'opts.dropLast', o.dropLast);
  const order = o.rng === undefined ? null : shuffled(op, n, o.rng);
  return batches(op, xs, ys, size, order, dropLast);
}

function* batches(op: string, x: Tensor, y: Tensor, size: number, order: number[] | null, dropLast: boolean): Generator<[Tensor, Tensor]> {
  const n = x.shape[0]!;
  if (order === null && size >= n) {
    if (!dropLast || size === n) yield [x, y];
    return;
  }
  const rows = order ?? Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += size) {
    const chunk = rows.slice(start, start + size);
    if (dropLast && chunk.length < size) return;
    yield [gatherRows(op, x, chunk), gatherRows(op, y, chunk)];
  }
}
