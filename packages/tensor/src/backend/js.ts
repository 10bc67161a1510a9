// The portable reference kernels in plain TypeScript: every other backend is tested against these.
import type { TypedArray } from '../dtype.js';
import type { Backend, BinaryKernel, ReduceKernel, StridedView, UnaryKernel } from './backend.js';
import { aroundAxis, contiguousStrides, shapeSize } from '../shape.js';
import { isRowMajor, isScalarView } from './views.js';
import { erf, erfc, erfinv } from './special-functions.js';
import { fold, unfold } from './window-kernels.js';
import { referenceVariant, runFusedJs } from './fused-js.js';
import { forEachElement, forEachRow } from './odometer.js';

type Scalar2 = (a: number, b: number) => number;

/**
 * Rounds to the nearest integer, ties to even (PyTorch's and IEEE's default; Math.round sends
 * ties up). NOTE: `Math.round(x) − x` is exact, so a tie is recognised exactly; −0.5 gives −0.
 */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The reference scalar function of each unary kernel (fused kernels call the same ones). */
export const UNARY: Record<UnaryKernel, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  tanh: Math.tanh,
  // NOTE: split by sign so that exp never overflows: both branches are exact to rounding.
  sigmoid: (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  expm1: Math.expm1,
  exp2: (x) => 2 ** x,
  erf,
  erfc,
  erfinv,
  bitwiseNot: (x) => ~x,
};

/** The reference scalar function of each binary kernel. */
export const BINARY: Record<BinaryKernel, Scalar2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NOTE: NaN propagates, as in NumPy's maximum (Math.max does too).
  maximum: Math.max,
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  atan2: Math.atan2,
  // NOTE: 1/b < 0 tells −0 from 0; a NaN b counts as positive (its sign bit is not observable).
  copysign: (a, b) => (b < 0 || (b === 0 && 1 / b < 0) ? -Math.abs(a) : Math.abs(a)),
  // NOTE: Math.hypot scales internally, so it neither overflows nor underflows on the squares.
  hypot: Math.hypot,
  bitwiseAnd: (a, b) => a & b,
  bitwiseOr: (a, b) => a | b,
  bitwiseXor: (a, b) => a ^ b,
  // NOTE: a shift by 32 or more (or by a negative count) shifts every bit out, as PyTorch
  // defines it; JavaScript would take the count modulo 32.
  leftShift: (a, b) => (b >= 0 && b < 32 ? a << b : 0),
  rightShift: (a, b) => (b >= 0 && b < 32 ? a >> b : a < 0 ? -1 : 0),
};

/** a^b in int32 arithmetic (wrapping modulo 2³²), by repeated squaring; b < 0 gives 0 unless |a| = 1. */
function int32Pow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  let base = a | 0;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

// With an Int32Array output these wrap as int32 arithmetic: a float product of two int32s can
// exceed 2^53 and lose its low bits before the store truncates it.
const INT32_BINARY: Partial<Record<BinaryKernel, Scalar2>> = { mul: Math.imul, pow: int32Pow };

function binary(op: BinaryKernel, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void {
  const integer = out instanceof Int32Array ? INT32_BINARY[op] : undefined;
  if (integer !== undefined) {
    const [ad, bd] = [a.data, b.data];
    forEachRow(shape, [a, b], (starts, n, o, [as, bs]) => {
      for (let j = o, ai = starts[0]!, bi = starts[1]!; j < o + n; j++, ai += as!, bi += bs!) out[j] = integer(ad[ai]!, bd[bi]!);
    });
    return;
  }
  const f = BINARY[op];
  const size = out.length;
  const ad = a.data;
  const bd = b.data;
  const aContiguous = isRowMajor(a, shape);
  const bContiguous = isRowMajor(b, shape);
  if (aContiguous && bContiguous) {
    const ao = a.offset;
    const bo = b.offset;
    if (op === 'add') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! + bd[bo + i]!;
    else if (op === 'mul') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! * bd[bo + i]!;
    else if (op === 'sub') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! - bd[bo + i]!;
    else if (op === 'div') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! / bd[bo + i]!;
    else for (let i = 0; i < size; i++) out[i] = f(ad[ao + i]!, bd[bo + i]!);
    return;
  }
  if (aContiguous && isScalarView(b)) {
    const s = bd[b.offset]!;
    const ao = a.offset;
    if (op === 'add') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! + s;
    else if (op === 'mul') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! * s;
    else if (op === 'sub') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! - s;
    else if (op === 'div') for (let i = 0; i < size; i++) out[i] = ad[ao + i]! / s;
    else for (let i = 0; i < size; i++) out[i] = f(ad[ao + i]!, s);
    return;
  }
  if (isScalarView(a) && bContiguous) {
    const s = ad[a.offset]!;
    const bo = b.offset;
    if (op === 'add') for (let i = 0; i < size; i++) out[i] = s + bd[bo + i]!;
    else if (op === 'mul') for (let i = 0; i < size; i++) out[i] = s * bd[bo + i]!;
    else if (op === 'sub') for (let i = 0; i < size; i++) out[i] = s - bd[bo + i]!;
    else if (op === 'div') for (let i = 0; i < size; i++) out[i] = s / bd[bo + i]!;
    else for (let i = 0; i < size; i++) out[i] = f(s, bd[bo + i]!);
    return;
  }
  // NOTE: the common ops get their own loops: a call through `f` per element is several
  // times slower than the inlined arithmetic.
  forEachRow(shape, [a, b], (starts, n, o, [as, bs]) => {
    let ai = starts[0]!;
    let bi = starts[1]!;
    const end = o + n;
    if (op === 'add') for (let j = o; j < end; j++, ai += as!, bi += bs!) out[j] = ad[ai]! + bd[bi]!;
    else if (op === 'mul') for (let j = o; j < end; j++, ai += as!, bi += bs!) out[j] = ad[ai]! * bd[bi]!;
    else if (op === 'sub') for (let j = o; j < end; j++, ai += as!, bi += bs!) out[j] = ad[ai]! - bd[bi]!;
    else if (op === 'div') for (let j = o; j < end; j++, ai += as!, bi += bs!) out[j] = ad[ai]! / bd[bi]!;
    else for (let j = o; j < end; j++, ai += as!, bi += bs!) out[j] = f(ad[ai]!, bd[bi]!);
  });
}

function where(cond: StridedView, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void {
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  forEachRow(shape, [cond, a, b], (starts, n, o, [cs, as, bs]) => {
    let ci = starts[0]!;
    let ai = starts[1]!;
    let bi = starts[2]!;
    for (let j = 0; j < n; j++, ci += cs!, ai += as!, bi += bs!) out[o + j] = cd[ci]! !== 0 ? ad[ai]! : bd[bi]!;
  });
}

function copy(src: StridedView, dst: StridedView, shape: readonly number[]): void {
  const sd = src.data;
  const dd = dst.data;
  forEachRow(shape, [src, dst], (starts, n, _o, [ss, ds]) => {
    let si = starts[0]!;
    let di = starts[1]!;
    for (let j = 0; j < n; j++, si += ss!, di += ds!) dd[di] = sd[si]!;
  });
}

function unary(op: UnaryKernel, x: TypedArray, out: TypedArray): void {
  const f = UNARY[op];
  const n = x.length;
  if (op === 'neg') for (let i = 0; i < n; i++) out[i] = -x[i]!;
  else for (let i = 0; i < n; i++) out[i] = f(x[i]!);
}

/** The value below every other that `out`'s type holds: where a max starts. */
function lowestOf(out: TypedArray): number {
  return out instanceof Int32Array ? -(2 ** 31) : out instanceof Uint8Array ? 0 : -Infinity;
}

function reduce(op: ReduceKernel, x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  // The output is viewed over the input's shape with stride 0 on reduced axes, so one
  // row-major pass over the input accumulates every element into its output slot.
  const ndim = shape.length;
  const outStrides = new Array<number>(ndim).fill(0);
  let stride = 1;
  for (let d = ndim - 1; d >= 0; d--) {
    if (axes.includes(d)) continue;
    outStrides[d] = stride;
    stride *= shape[d]!;
  }
  out.fill(op === 'sum' ? 0 : lowestOf(out));
  if (x.length === 0) return;
  const isMax = op === 'max';
  forEachRow(
    shape,
    [
      { offset: 0, strides: contiguousStrides(shape) },
      { offset: 0, strides: outStrides },
    ],
    (starts, n, _o, steps) => {
      const xi = starts[0]!;
      const oi = starts[1]!;
      // Along the run the input steps by 1; the output stays put (a reduced run) or steps by 1.
      if (steps[1] === 0) {
        // NOTE: accumulate a row in a float64 local: a float32 running sum would lose digits.
        let acc = out[oi]!;
        if (isMax) {
          for (let j = 0; j < n; j++) {
            const v = x[xi + j]!;
            if (v > acc || Number.isNaN(v)) acc = v;
            if (Number.isNaN(acc)) break;
          }
        } else for (let j = 0; j < n; j++) acc += x[xi + j]!;
        out[oi] = acc;
      } else if (isMax) {
        for (let j = 0; j < n; j++) {
          const v = x[xi + j]!;
          const o = out[oi + j]!;
          if (v > o || Number.isNaN(v)) out[oi + j] = v;
        }
      } else for (let j = 0; j < n; j++) out[oi + j] = out[oi + j]! + x[xi + j]!;
    },
  );
}

function matmul(a: StridedView, b: StridedView, batchShape: readonly number[], m: number, k: number, n: number, out: TypedArray): void {
  const nb = batchShape.length;
  const aRow = a.strides[nb]!;
  const aCol = a.strides[nb + 1]!;
  const bRow = b.strides[nb]!;
  const bCol = b.strides[nb + 1]!;
  const ad = a.data;
  const bd = b.data;
  const batches = shapeSize(batchShape);
  const batchA = { offset: a.offset, strides: a.strides.slice(0, nb) };
  const batchB = { offset: b.offset, strides: b.strides.slice(0, nb) };
  const acc = new Float64Array(n);
  const oneMatrix = (batch: number, ao: number, bo: number): void => {
    const oo = batch * m * n;
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      const ai = ao + i * aRow;
      // i-p-j order: the inner loop walks a row of b, which is contiguous when bCol == 1.
      for (let p = 0; p < k; p++) {
        const av = ad[ai + p * aCol]!;
        let bi = bo + p * bRow;
        for (let j = 0; j < n; j++, bi += bCol) acc[j]! += av * bd[bi]!;
      }
      for (let j = 0; j < n; j++) out[oo + i * n + j] = acc[j]!;
    }
  };
  if (batches === 0 || m === 0 || n === 0) return;
  // The batch index is walked by the shared odometer (an empty batch shape is one step).
  forEachElement(batchShape, [batchA, batchB], (batch, [ao, bo]) => oneMatrix(batch, ao!, bo!));
}

/** The portable TypeScript backend: the reference for every other backend. */
function gather(x: TypedArray, outer: number, n: number, inner: number, indices: Int32Array, out: TypedArray): void {
  const m = indices.length;
  if (inner === 1) {
    // NOTE: element gathers (im2col's window positions) get their own loop: the general one
    // pays its row bookkeeping on every element.
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      const dst = o * m;
      for (let j = 0; j < m; j++) out[dst + j] = x[base + indices[j]!]!;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * n + indices[j]!) * inner;
      const dst = (o * m + j) * inner;
      // NOTE: a row copy (memcpy) beats an element loop from a handful of elements on.
      if (inner < 8) for (let i = 0; i < inner; i++) out[dst + i] = x[src + i]!;
      else out.set(x.subarray(src, src + inner), dst);
    }
  }
}

function indexPositions(indices: TypedArray, size: number, negativeWraps: boolean, blocks: number, out: Int32Array): number {
  const low = negativeWraps ? -size : 0;
  const perBlock = indices.length / blocks;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (v < low || v >= size) return i;
    out[i] = (v < 0 ? v + size : v) + Math.floor(i / perBlock) * size;
  }
  return -1;
}

function scatterAdd(g: TypedArray, outer: number, n: number, inner: number, indices: Int32Array, out: TypedArray): void {
  out.fill(0);
  const m = indices.length;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      const src = o * m;
      for (let j = 0; j < m; j++) out[base + indices[j]!]! += g[src + j]!;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * n + indices[j]!) * inner;
      const src = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i]! += g[src + i]!;
    }
  }
}

export const jsBackend: Backend = {
  name: 'js',
  unary,
  binary,
  where,
  copy,
  reduce,
  matmul,
  gather,
  indexPositions,
  scatterAdd,
  cumsum,
  argsort,
  takeAlong,
  unfold,
  fold,
  // NOTE: function declarations of fused-js.ts, which imports this module: they exist before
  // either module body runs, whichever is loaded first.
  fused: { unaryVariant: referenceVariant, run: runFusedJs },
};

// Kernels outside the Backend interface: the sort primitives call them directly (every backend
// shares them; none has a faster one yet).

/** The sizes before, along and after `axis`: line `(o, i)` holds elements `o·n·inner + j·inner + i`. */

/** Ascending order with NaN above every number (NumPy and PyTorch sort NaN to the end). */
function compareWithNaN(u: number, v: number): number {
  if (Number.isNaN(u)) return Number.isNaN(v) ? 0 : 1;
  if (Number.isNaN(v)) return -1;
  return u < v ? -1 : u > v ? 1 : 0;
}

/**
 * For each line of contiguous `x` (of `shape`) along `axis`, the positions that sort it, written
 * as numbers into `out` (same layout): ascending or descending, NaN counted as the largest, and
 * stable (equal elements keep their order, in both directions).
 */
function argsort(x: TypedArray, shape: readonly number[], axis: number, descending: boolean, out: TypedArray): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  const order = Array.from({ length: n }, (_, j) => j);
  const keys = new Float64Array(n);
  const sign = descending ? -1 : 1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        keys[j] = x[base + j * inner]!;
        order[j] = j;
      }
      order.sort((a, b) => sign * compareWithNaN(keys[a]!, keys[b]!) || a - b);
      for (let j = 0; j < n; j++) out[base + j * inner] = order[j]!;
    }
  }
}

/**
 * `out[o, j, i] = x[o, indices[o, j, i], i]` along `axis`: contiguous `indices` and `out` of
 * `shape`, contiguous `x` of the same shape except `size` along `axis`; indices are in range.
 */
function takeAlong(x: TypedArray, size: number, indices: TypedArray, shape: readonly number[], axis: number, out: TypedArray): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const row = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = x[(o * size + indices[row + i]!) * inner + i]!;
    }
  }
}

/**
 * The running sum of each line of contiguous `x` (of `shape`) along `axis` into `out`, from the
 * first element, or from the last when `reverse`. NOTE: the sums run in float64, as the reduce
 * kernel's (a float32 running sum would lose digits along a long axis).
 */
function cumsum(x: TypedArray, shape: readonly number[], axis: number, reverse: boolean, out: TypedArray): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const row = (o * n + (reverse ? n - 1 - k : k)) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = acc[i]! += x[row + i]!;
    }
  }
}
