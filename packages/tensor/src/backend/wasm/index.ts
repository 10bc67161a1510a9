// The WebAssembly SIMD backend: one instance with its own memory; inputs are copied in, results
// copied out. Cases without a SIMD kernel (strided binary and where, copy, ...) use the JS kernels.
import { arrayOn, dtypeOfArray, isFloating, itemSize, markRewritable, type DType, type FloatDType, type TypedArray } from '../../dtype.js';
import {
  expectBackend,
  type Backend,
  type BinaryKernel,
  type FusedExpression,
  type FusedReduction,
  type ReduceKernel,
  type StridedView,
  type UnaryKernel,
  type WindowGeometry,
} from '../backend.js';
import { jsBackend } from '../js.js';
import { runFusedJs } from '../fused-js.js';
import { emitFused, emitFusedUnit, simdDType, type OperandLayout } from './fused-kernels.js';
import { RESIDENT_COPY_DEFAULTS, ResidentCopies } from './resident-copies.js';
import { expectBoolean, expectInteger, expectNumber, expectOptions } from '../../arguments.js';
import { isRowMajor, isScalarView } from '../views.js';
import { aroundAxis, shapeSize } from '../../shape.js';
import { Arena } from './arena.js';
import { FunctionBuilder, ModuleBuilder, SIMD, T } from './emitter.js';
import { prepareGemm, type GemmKernels } from './gemm.js';
import { nrOf } from './matmul-kernels.js';
import { copyInto, copyOut } from './stage.js';
import { EMIT_APPROXIMATE_F32, SIMD_BINARY, SIMD_EXACT_UNARY, type ApproximateF32, type SimdBinary } from './map-kernels.js';
import { MASK_BLOCK, SIMD_COMPARISON, type SimdComparison } from './mask-kernels.js';
import { KERNEL_FAMILIES, kernelLookup, kernelName, type ExactUnary, type FamilyName } from './kernel-families.js';
import { buildKernelModule, GEMM_F32, GEMM_F32_NARROW, GEMM_F64, SHARED_MAX_PAGES } from './module.js';
import { parallelFused } from './parallel-fused.js';
import { parallelGemm } from './parallel-gemm.js';
import { createThreadPool, hardwareThreads, type ThreadPool } from './threads.js';
import { instantiate, wasmApi, type WasmMemory } from './wasm-api.js';
import { windowRuns } from './window-kernels.js';
import { TRIG_REDUCTION_LIMIT, WIDE_F32, type WideKernel } from './wide-math.js';

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Use relaxed-SIMD fused multiply-add in matmul where the engine supports it. Off by
   * default: relaxed_madd may round once or twice depending on the hardware, so results
   * would differ between machines; plain mul + add is bit-reproducible everywhere.
   */
  readonly relaxedSimd?: boolean;
  /** The backend for cases without a WASM kernel; defaults to the JS backend. */
  readonly fallback?: Backend;
  /**
   * Threads for large matmuls and large fused elementwise kernels, the calling one included (an
   * integer from 1 to 256): defaults to the host's logical processors, at most
   * {@link MAX_DEFAULT_THREADS}; 1 disables threading. Threads need shared memory and a thread
   * allowed to block (Node, or a browser worker of a cross-origin isolated page); elsewhere
   * every kernel runs on the calling thread.
   */
  readonly threads?: number;
  /**
   * Multiply-adds (batch · m · k · n) from which a matmul is split across threads; smaller
   * ones stay single-threaded, where the hand-off would cost more than it saves. The default,
   * {@link DEFAULT_THREAD_THRESHOLD}, was measured; tests lower it to force threading.
   */
  readonly threadThreshold?: number;
  /**
   * Elements from which a fused elementwise kernel is split across threads, where every
   * operand that is not a scalar is a whole array read often enough to have a resident copy in
   * the threads' memory (see `residentCopyBytes`). By default an expression with an
   * approximated function (tanh, exp, log, sigmoid in float32) is split from 2^18 elements and
   * one of exact operations only from 2^21 ({@link FUSED_THREAD_DEFAULTS}, measured); a number
   * given here applies to both (tests lower it to force threading).
   */
  readonly fusedThreadThreshold?: number;
  /**
   * Hand arrays smaller than the measured break-even sizes to `fallback` (default true);
   * false runs every supported case in WASM (the kernel tests use it to reach the SIMD tails).
   */
  readonly smallToFallback?: boolean;
  /**
   * Bytes of linear memory for copies of large operand arrays that kernels read again and
   * again (an integer, default 64 MiB; 0 turns them off): from 256 KiB for fused elementwise
   * kernels, from 16 KiB for kernels split across threads (their copies live in the threads' memory). Such a kernel reads the array from its copy instead of
   * copying it into its scratch at every call; a tensor's array never changes, so the copy
   * stays right until the array is recycled or collected. Each of the backend's memories (its
   * own and the threads' shared one) grows by at most this much and, as all linear memory,
   * never shrinks.
   */
  readonly residentCopyBytes?: number;
}

/** The backend {@link createWasmBackend} returns: a `Backend` with control of its threads. */
export interface WasmBackend extends Backend {
  /**
   * Starts the worker threads if they are not yet started (they otherwise start at the first
   * matmul above the threshold, or the first fused kernel above its own) and resolves, once
   * they are up, to the threads a split kernel will use (1 where threading is off or unavailable).
   */
  threadsReady(): Promise<number>;
  /** Stops the worker threads (they never keep a Node process alive, so this is optional). */
  dispose(): void;
  /**
   * Bytes of WebAssembly linear memory the backend holds now: its instance's memory and, once
   * started, the threads' shared memory. Each grows to the largest call's scratch (the threads'
   * to two calls' side by side: consecutive jobs keep apart) and never shrinks (WebAssembly
   * memory cannot), so in a training loop it levels off after the first step.
   */
  memoryBytes(): number;
  /** Bytes of that memory now held by copies of reused operands (at most {@link WasmBackendOptions.residentCopyBytes} in each of the two memories). */
  residentCopyBytes(): number;
}

/** The most threads a backend may be asked for (a guard against typos such as 2**32). */
const MAX_THREADS = 256;

/** The default cap on threads: beyond it the serial copies in and out dominate. */
export const MAX_DEFAULT_THREADS = 8;

/**
 * Default of {@link WasmBackendOptions.threadThreshold}: 2^21 multiply-adds (a 128³ product).
 * Measured on 2 threads: at 64³ threading is ~25% slower and at 96³ even (with a worse tail);
 * at 128³, with operands reused call after call (so read from their resident copies), it is
 * 1.2-1.45× faster on an Intel Xeon, and on an AMD EPYC (whose second vCPU's share comes and
 * goes) 24-39 GFLOP/s against 28-30 single-threaded, faster in half of eight runs; from 256³
 * on 1.3-1.8× faster on both.
 */
export const DEFAULT_THREAD_THRESHOLD = 2 ** 21;

/** The smallest array the threads' shared memory keeps a resident copy of (see `poolCopies`). */
const SHARED_COPY_MIN_BYTES = 16 << 10;

type Fn = (...args: number[]) => void;

/** A fused expression's job on the thread pool: the pool, the job form's slot, its arguments. */
interface SplitJob {
  readonly pool: ThreadPool;
  readonly slot: number;
  readonly args: readonly number[];
}

/**
 * Defaults of {@link WasmBackendOptions.fusedThreadThreshold}: elements from which a fused
 * elementwise kernel whose operands are resident in the threads' memory is split across them,
 * for an expression with an approximated function (compute-bound) and for one of exact
 * operations only (memory-bound). Measured on 2 threads, in one process against a
 * single-threaded backend, medians of 40 × 10 calls: tanh(a·b + c) at 2^17 0.46 ms against 0.43,
 * at 2^18 0.61 against 0.67, at 10^6 2.09 against 3.58; a·b + c at 10^6 0.72 against 0.72, at
 * 4·10^6 3.5 against 4.3.
 */
export const FUSED_THREAD_DEFAULTS: Readonly<{
  /** For an expression with an approximated function (tanh, exp, log, sigmoid in float32): 2^18. */
  approximated: number;
  /** For an expression of exact operations only: 2^21. */
  exact: number;
}> = Object.freeze({ approximated: 1 << 18, exact: 1 << 21 });

// Elements per staged chunk of an elementwise kernel: three float32 buffers of 64 KiB stay in
// L2 between the copy in, the kernel, and the copy out.
const CHUNK = 16384;

// Below each family's threshold (kernel-families.ts: the size and the measurement that chose it)
// the JS kernels win: staging into WASM memory and the call cost more than the loop.
// scatterAdd: rows at least this wide run in WASM (see scatterAdd).
const WIDE_ROW = 64;
// Rows shorter than this are copied element by element (cheaper than subarray + set).
const COPY_LOOP_MAX = 32;
// unfold/fold: column bytes staged per call (a few hundred KiB stay in the L2 cache while they
// are copied out).
const WINDOW_CHUNK = 1 << 18;
// Elements per staged block of a scan (whole blocks of lines; a longer line is staged alone).
const SCAN_CHUNK = 65536;
// A broadcast row shorter than this is staged by too many small copies: the JS loop wins.
const MIN_REPEATED_ROW = 16;

/** Whether this engine validates a module using f32x4.relaxed_madd. */
export function supportsRelaxedSimd(): boolean {
  const api = wasmApi();
  if (!api) return false;
  const mod = new ModuleBuilder(0);
  const f = new FunctionBuilder([T.v128], [T.v128]);
  f.get(0).get(0).get(0).simd(SIMD.f32x4RelaxedMadd);
  mod.add('f', f);
  try {
    return api.validate(mod.bytes());
  } catch {
    return false;
  }
}

/**
 * If `view` over `shape` is one contiguous block of trailing axes repeated along leading
 * stride-0 axes (a bias broadcast over a batch, or a plain contiguous array), the block's length;
 * otherwise 0. A scalar view is a block of length 1.
 */
function repeatedRow(view: StridedView, shape: readonly number[]): number {
  let d = shape.length - 1;
  let block = 1;
  for (; d >= 0; d--) {
    if (shape[d] !== 1 && view.strides[d] !== block) break;
    block *= shape[d]!;
  }
  for (; d >= 0; d--) if (shape[d] !== 1 && view.strides[d] !== 0) return 0;
  return block;
}

/** Copies elements `i .. i+len` of a repeated-row view into `mem` at element `at`. */
function stageRepeated(mem: TypedArray, at: number, view: StridedView, row: number, i: number, len: number): void {
  let k = 0;
  while (k < len) {
    const j = (i + k) % row;
    const take = Math.min(row - j, len - k);
    copyInto(mem, at + k, view.data, view.offset + j, take);
    k += take;
  }
}

/**
 * Per operand of a fused kernel over `shape` (`n` > 0 elements): 0 for a scalar, else the length
 * of its repeated row (n when contiguous); null where one is neither or its row is too short to
 * stage, or where every operand is a scalar.
 */
function stagedRows(operands: readonly StridedView[], shape: readonly number[], n: number): number[] | null {
  const rows = new Array<number>(operands.length);
  let vectors = 0;
  for (let k = 0; k < operands.length; k++) {
    const v = operands[k]!;
    if (isScalarView(v)) {
      rows[k] = 0;
      continue;
    }
    const row = repeatedRow(v, shape);
    if (row !== n && row < MIN_REPEATED_ROW) return null;
    rows[k] = row;
    vectors++;
  }
  return vectors > 0 ? rows : null;
}

/**
 * Reduces `outer` rows of `len` contiguous elements into `out` as the backend's `reduce` does,
 * in its chunks and order: whole rows, as many as fit CHUNK elements, per call of the row
 * kernel `rowKernel(src, rows, len, sums)`; a longer row in segments of CHUNK, their partial
 * results added (or maxed) in order in float64. `at(i, count)` gives the byte address where
 * elements [i, i + count) lie (a caller that makes them chunk by chunk computes them there
 * first); `sums` is a float64 scratch of one entry per row of a chunk, read through `f64()`.
 */
function reduceInChunks(
  op: ReduceKernel,
  rowKernel: Fn,
  at: (i: number, count: number) => number,
  outer: number,
  len: number,
  sums: number,
  f64: () => Float64Array,
  out: TypedArray,
): void {
  if (len <= CHUNK) {
    const rowsPer = Math.max(1, Math.floor(CHUNK / len));
    for (let r = 0; r < outer; r += rowsPer) {
      const nr = Math.min(rowsPer, outer - r);
      rowKernel(at(r * len, nr * len), nr, len, sums);
      const res = f64();
      for (let i = 0; i < nr; i++) out[r + i] = res[sums / 8 + i]!;
    }
    return;
  }
  for (let r = 0; r < outer; r++) {
    let acc = op === 'sum' ? 0 : -Infinity;
    for (let j = 0; j < len; j += CHUNK) {
      const sl = Math.min(CHUNK, len - j);
      rowKernel(at(r * len + j, sl), 1, sl, sums);
      const part = f64()[sums / 8]!;
      // Math.max propagates NaN, like the kernel itself.
      acc = op === 'sum' ? acc + part : Math.max(acc, part);
    }
    out[r] = acc;
  }
}

/** How a fused kernel takes each operand, from its staged row length (0: a scalar). */
const layoutsOf = (rows: readonly number[]): OperandLayout[] => rows.map((row) => (row === 0 ? 'scalar' : 'vector'));

const EXACT_UNARY: ReadonlySet<string> = new Set(SIMD_EXACT_UNARY);

/**
 * The family whose kernel computes unary `op` from `input` to `output`, or null (the fallback
 * runs it): a float32 function in float64 lanes, an exact op, or a float32-lane approximation.
 */
function unaryFamily(op: UnaryKernel, input: DType, output: DType): 'wideUnary' | 'exactUnary' | 'approximateUnary' | null {
  if (!isFloating(input) || output !== input) return null;
  if (input === 'float32' && Object.hasOwn(WIDE_F32, op)) return 'wideUnary';
  if (EXACT_UNARY.has(op)) return 'exactUnary';
  if (input === 'float32' && Object.hasOwn(EMIT_APPROXIMATE_F32, op)) return 'approximateUnary';
  return null;
}
/**
 * The kernels here compute in float32 and float64 only: int32 arrays go to the fallback, and
 * bool ones too, except as the output of a comparison and the condition of `where`.
 */
const isFloatArray = (data: TypedArray): boolean => data instanceof Float32Array || data instanceof Float64Array;
/** Whether `a` and `b` are float arrays of one dtype (the scan and scatter kernels' inputs). */
const sameFloatArrays = (a: TypedArray, b: TypedArray): boolean => isFloatArray(a) && dtypeOfArray(a) === dtypeOfArray(b);

/**
 * Creates a backend whose matmul, contiguous binary ops (comparisons of floats give bool
 * masks), `where` (on a float or bool condition), unary ops and last-axis reductions run as
 * WebAssembly SIMD (the module is generated and compiled synchronously, once per call).
 * float32 transcendental functions run in SIMD too (exp, log, tanh, sigmoid in float32 lanes;
 * sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10, log1p, expm1,
 * exp2, erf and erfc in float64 lanes, within 1 ulp of float32(Math.f)); float64 ones, and
 * everything strided, delegate to `fallback`.
 *
 * @example
 * import { setBackend } from '@jacobi/tensor';
 * import { createWasmBackend } from '@jacobi/tensor/wasm';
 * const wasm = createWasmBackend({ threads: 4 });
 * setBackend(wasm);
 * await wasm.threadsReady(); // 4 where threads can start (Node; a cross-origin-isolated page)
 */
export function createWasmBackend(opts?: WasmBackendOptions): WasmBackend {
  const options = expectOptions('createWasmBackend', opts);
  const fallback = options.fallback === undefined ? jsBackend : expectBackend('createWasmBackend', options.fallback);
  const smallToFallback = expectBoolean('createWasmBackend', 'smallToFallback', options.smallToFallback, true);
  const fma = expectBoolean('createWasmBackend', 'relaxedSimd', options.relaxedSimd, false) && supportsRelaxedSimd();
  const threads =
    options.threads === undefined
      ? Math.min(MAX_DEFAULT_THREADS, hardwareThreads())
      : expectInteger('createWasmBackend', 'threads', options.threads, 1, MAX_THREADS);
  const threshold =
    options.threadThreshold === undefined
      ? DEFAULT_THREAD_THRESHOLD
      : expectNumber('createWasmBackend', 'threadThreshold', options.threadThreshold, { min: 0 });
  const fusedFrom =
    options.fusedThreadThreshold === undefined
      ? undefined
      : expectNumber('createWasmBackend', 'fusedThreadThreshold', options.fusedThreadThreshold, { min: 0 });
  const fusedThreadMin = fusedFrom === undefined ? FUSED_THREAD_DEFAULTS : { approximated: fusedFrom, exact: fusedFrom };
  const residentBytes =
    options.residentCopyBytes === undefined
      ? RESIDENT_COPY_DEFAULTS.budget
      : expectInteger('createWasmBackend', 'residentCopyBytes', options.residentCopyBytes, 0, 2 ** 31);
  const ex = instantiate(buildKernelModule(fma));
  const arena = new Arena(ex.memory as WasmMemory);
  const residentCopies = new ResidentCopies(arena, residentBytes);
  const fn = (name: string): Fn => ex[name] as Fn;
  const moduleKernel = kernelLookup(fn);
  const gemmOf: Record<FloatDType, GemmKernels> = {
    float32: {
      dtype: 'float32',
      shape: GEMM_F32,
      packA: fn('pack_a_f32'),
      packB: fn('pack_b_f32'),
      macro: fn('macro_f32'),
      macroSet: fn('macro_set_f32'),
      macroSetStridedA: fn('macro_set_strided_a_f32'),
      compact: fn('compact'),
      kc: 256,
      mc: 128,
      nc: 4096,
    },
    float64: {
      dtype: 'float64',
      shape: GEMM_F64,
      packA: fn('pack_a_f64'),
      packB: fn('pack_b_f64'),
      macro: fn('macro_f64'),
      macroSet: fn('macro_set_f64'),
      macroSetStridedA: fn('macro_set_strided_a_f64'),
      compact: fn('compact'),
      kc: 256,
      mc: 64,
      nc: 4096,
    },
  };
  /** The float32 GEMM of products at most one narrow column panel (`nrOf(GEMM_F32_NARROW)`) wide (single-threaded only). */
  const narrowF32: GemmKernels = {
    ...gemmOf.float32,
    shape: GEMM_F32_NARROW,
    packA: fn('pack_a_f32_narrow'),
    packB: fn('pack_b_f32_narrow'),
    macro: fn('macro_f32_narrow'),
    macroSet: fn('macro_set_f32_narrow'),
    macroSetStridedA: fn('macro_set_strided_a_f32_narrow'),
  };
  /** Whether `size` (what `family`'s threshold counts) is below that threshold, where the fallback runs. */
  const small = (family: FamilyName, size: number): boolean => smallToFallback && size < KERNEL_FAMILIES[family].threshold.from;
  const binarySet: ReadonlySet<string> = new Set(SIMD_BINARY);
  const comparisonSet: ReadonlySet<string> = new Set(SIMD_COMPARISON);

  // Created at the first matmul or fused kernel above its threshold (or by threadsReady): small programs never
  // pay for compiling the shared-memory module or starting workers. `null`: unavailable here.
  let pool: ThreadPool | null | undefined = threads > 1 ? undefined : null;
  // The threads' shared memory keeps resident copies of its own (the products' operands), of
  // arrays from 16 KiB: staging there writes lines the workers last held, and a split product's
  // operands are that large anyway. In one process on one pool, 192×192 float32: 53.4 and 55.4
  // GFLOP/s median with copies against 48.4 and 44.3 without; 176×176: 50.4 against 46.9.
  let sharedCopies: ResidentCopies | null = null;
  const poolCopies = (p: ThreadPool): ResidentCopies =>
    (sharedCopies ??= new ResidentCopies(p.arena, residentBytes, SHARED_COPY_MIN_BYTES));
  function getPool(): ThreadPool | null {
    if (pool !== undefined) return pool;
    pool = createThreadPool(buildKernelModule(fma, GEMM_F32, GEMM_F64, SHARED_MAX_PAGES), SHARED_MAX_PAGES, threads) ?? null;
    return pool;
  }

  /**
   * Runs a map kernel over `n` elements in chunks of at most CHUNK: `run(ptrs, count, i, len)`
   * stages elements `i..i+len` of its inputs at `ptrs[0..k-1]` and calls the kernel on `count`
   * blocks of `block` elements, whose result lands at `ptrs[k]`; `dtypes` lists the inputs'
   * dtypes, then the output's. Buffers are padded to whole blocks; the padding's results are
   * never copied out.
   */
  function mapBlocks(
    dtypes: readonly DType[],
    block: number,
    n: number,
    out: TypedArray,
    run: (ptrs: number[], count: number, i: number, len: number) => void,
  ): void {
    arena.reset();
    const cap = Math.ceil(Math.min(CHUNK, n) / block) * block;
    const ptrs = dtypes.map((dtype) => arena.alloc(cap * itemSize(dtype)));
    const outDType = dtypes[dtypes.length - 1]!;
    const outAt = ptrs[ptrs.length - 1]! / itemSize(outDType);
    for (let i = 0; i < n; i += CHUNK) {
      const len = Math.min(CHUNK, n - i);
      run(ptrs, Math.ceil(len / block), i, len);
      copyOut(arena.view(outDType), outAt, len, out, i);
    }
  }

  /** {@link mapBlocks} for `inputs` operands and an output all of `dtype`, a vector a block. */
  function mapChunks(
    dtype: DType,
    n: number,
    out: TypedArray,
    inputs: number,
    run: (ptrs: number[], nvec: number, i: number, len: number) => void,
  ): void {
    mapBlocks(new Array<DType>(inputs + 1).fill(dtype), 16 / itemSize(dtype), n, out, run);
  }

  /** The byte address of an array that lives in linear memory, or -1. */
  const addressOf = (a: TypedArray): number => (a.buffer === arena.memoryBuffer ? a.byteOffset : -1);

  /**
   * Runs a map kernel where its arrays already live (jit's lowered replay keeps them in linear
   * memory): `run(ptrs, po, count)` over whole blocks of `block` elements of the first `n`, at
   * the arrays' own addresses; the last partial block goes through scratch, so nothing past
   * `out`'s `n` elements is written. `vectors` are the operands read element by element, each
   * contiguous from its start. False (nothing done) unless every array lives in memory.
   */
  function inPlace(
    vectors: readonly TypedArray[],
    out: TypedArray,
    n: number,
    block: number,
    run: (ptrs: number[], po: number, count: number) => void,
  ): boolean {
    const po = addressOf(out);
    if (po < 0) return false;
    const ptrs = new Array<number>(vectors.length);
    for (let k = 0; k < vectors.length; k++) {
      const p = addressOf(vectors[k]!);
      if (p < 0) return false;
      ptrs[k] = p;
    }
    const whole = Math.floor(n / block);
    const rest = n - whole * block;
    const dtypes = vectors.map(dtypeOfArray);
    const outDType = dtypeOfArray(out);
    const es = out.BYTES_PER_ELEMENT;
    const again = (): void => {
      if (whole > 0) run(ptrs, po, whole);
      if (rest === 0) return;
      arena.reset();
      const tail = ptrs.map((p, k) => {
        const size = itemSize(dtypes[k]!);
        const at = arena.alloc(block * size);
        const from = p / size + whole * block;
        arena.view(dtypes[k]!).copyWithin(at / size, from, from + rest);
        return at;
      });
      const to = arena.alloc(block * es);
      run(tail, to, 1);
      arena.view(outDType).copyWithin(po / es + whole * block, to / es, to / es + rest);
    };
    again();
    if (preparing !== null) preparing.again = again;
    return true;
  }

  // Set while `resident.prepare` runs a call: the in-place path leaves its function here.
  let preparing: { again?: () => void } | null = null;
  /** `resident.prepare`: the call run once; unary, binary and fused calls whose arrays all live here, and single-threaded products of operands that do, come back as their prepared runs. */
  function prepare(method: string, args: readonly unknown[]): { readonly result: unknown; readonly again: () => unknown } {
    const kernel = (method === 'fused' ? runFused : backend[method as keyof Backend]) as (...a: unknown[]) => unknown;
    const call = (): unknown => kernel(...args);
    preparing = {};
    let result: unknown;
    let found: (() => void) | undefined;
    try {
      result = call();
      found = preparing.again;
    } finally {
      preparing = null;
    }
    if (found === undefined) return { result, again: call };
    const inPlaceRun = found;
    if (method !== 'fused') return { result, again: inPlaceRun };
    return {
      result,
      again: () => {
        inPlaceRun();
        return true;
      },
    };
  }

  /**
   * A float32 function computed in float64 lanes. Lanes the kernel flags (trigonometric
   * arguments beyond its reduction's range) are redone by the fallback before the copy out.
   */
  function wideUnary(op: WideKernel, x: Float32Array, out: Float32Array): void {
    const kernel = moduleKernel('wideUnary', op) as (...args: number[]) => number;
    mapChunks('float32', x.length, out, 1, ([px, po], nvec, i, len) => {
      copyInto(arena.view('float32'), px! / 4, x, i, len);
      if (kernel(px!, po!, nvec) === 0) return;
      const one = new Float32Array(1);
      const mem = arena.view('float32');
      for (let j = 0; j < len; j++) {
        if (!(Math.abs(x[i + j]!) <= TRIG_REDUCTION_LIMIT)) {
          fallback.unary(op, x.subarray(i + j, i + j + 1), one);
          mem[po! / 4 + j] = one[0]!;
        }
      }
    });
  }

  function unary(op: UnaryKernel, x: TypedArray, out: TypedArray): void {
    const dtype = dtypeOfArray(x);
    const family = unaryFamily(op, dtype, dtypeOfArray(out));
    if (family === null || small(family, x.length)) {
      fallback.unary(op, x, out);
      return;
    }
    if (family === 'wideUnary') {
      wideUnary(op as WideKernel, x as Float32Array, out as Float32Array);
      return;
    }
    const kernel =
      family === 'exactUnary' ? moduleKernel(family, op as ExactUnary, dtype as FloatDType) : moduleKernel(family, op as ApproximateF32);
    const es = dtype === 'float64' ? 8 : 4;
    if (inPlace([x], out, x.length, 16 / es, ([px], po, nvec) => kernel(px!, po, nvec))) return;
    mapChunks(dtype, x.length, out, 1, ([px, po], nvec, i, len) => {
      copyInto(arena.view(dtype), px! / es, x, i, len);
      kernel(px!, po!, nvec);
    });
  }

  function binary(op: BinaryKernel, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void {
    // A comparison into a bool mask, or float operands and output of their dtype. The size test
    // first: below the threshold (most calls) nothing else here decides anything.
    const toMask = out instanceof Uint8Array && comparisonSet.has(op);
    const n = out.length;
    if (small(toMask ? 'comparison' : 'binary', n)) {
      fallback.binary(op, a, b, shape, out);
      return;
    }
    const dtype = dtypeOfArray(a.data);
    const operands = isFloatArray(a.data) && dtypeOfArray(b.data) === dtype;
    const supported = operands && (toMask || (dtypeOfArray(out) === dtype && binarySet.has(op)));
    // A scalar operand is passed by value; vectors and repeated rows (a bias over a batch) are
    // staged, rows only when long enough that copying them row by row beats the JS loop.
    const aRow = isScalarView(a) ? 0 : repeatedRow(a, shape);
    const bRow = isScalarView(b) ? 0 : repeatedRow(b, shape);
    const aOk = aRow === n || aRow >= MIN_REPEATED_ROW;
    const bOk = bRow === n || bRow >= MIN_REPEATED_ROW;
    const mode = aOk && bOk ? 'vv' : aOk && isScalarView(b) ? 'vs' : bOk && isScalarView(a) ? 'sv' : undefined;
    if (!supported || mode === undefined) {
      fallback.binary(op, a, b, shape, out);
      return;
    }
    const kernel = toMask
      ? moduleKernel('comparison', op as SimdComparison, mode, dtype as FloatDType)
      : moduleKernel('binary', op as SimdBinary, mode, dtype as FloatDType);
    const outDType = dtypeOfArray(out);
    const block = toMask ? MASK_BLOCK : 16 / itemSize(dtype);
    const es = itemSize(dtype);
    // Operands and result in linear memory already (a lowered jit replay): no staging.
    const whole = (v: StridedView, row: number): boolean => row === n && v.offset === 0;
    if (!toMask) {
      if (
        mode === 'vv' &&
        whole(a, aRow) &&
        whole(b, bRow) &&
        inPlace([a.data, b.data], out, n, block, ([pa, pb], po, c) => kernel(pa!, pb!, po, c))
      )
        return;
      if (mode === 'vs' && whole(a, aRow) && inPlace([a.data], out, n, block, ([pa], po, c) => kernel(pa!, b.data[b.offset]!, po, c)))
        return;
      if (mode === 'sv' && whole(b, bRow) && inPlace([b.data], out, n, block, ([pb], po, c) => kernel(pb!, a.data[a.offset]!, po, c)))
        return;
    }
    if (mode === 'vv') {
      mapBlocks([dtype, dtype, outDType], block, n, out, ([pa, pb, po], count, i, len) => {
        stageRepeated(arena.view(dtype), pa! / es, a, aRow, i, len);
        stageRepeated(arena.view(dtype), pb! / es, b, bRow, i, len);
        kernel(pa!, pb!, po!, count);
      });
    } else {
      const [vec, row, s] = mode === 'vs' ? [a, aRow, b.data[b.offset]!] : [b, bRow, a.data[a.offset]!];
      mapBlocks([dtype, outDType], block, n, out, ([pv, po], count, i, len) => {
        stageRepeated(arena.view(dtype), pv! / es, vec, row, i, len);
        kernel(pv!, s, po!, count);
      });
    }
  }

  function where(cond: StridedView, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void {
    const dtype = dtypeOfArray(out);
    const branches = isFloatArray(out) && dtypeOfArray(a.data) === dtype && dtypeOfArray(b.data) === dtype;
    // A condition of the branches' dtype, or a bool mask.
    const onMask = cond.data instanceof Uint8Array;
    const supported = branches && (onMask || dtypeOfArray(cond.data) === dtype);
    const cC = isRowMajor(cond, shape);
    const aC = isRowMajor(a, shape);
    const bC = isRowMajor(b, shape);
    const mode = aC && bC ? 'vv' : aC && isScalarView(b) ? 'vs' : bC && isScalarView(a) ? 'sv' : undefined;
    if (small('where', out.length) || !supported || !cC || mode === undefined) {
      fallback.where(cond, a, b, shape, out);
      return;
    }
    const kernel = moduleKernel('where', onMask ? 'mask' : 'float', mode, dtype as FloatDType);
    const condDType = dtypeOfArray(cond.data);
    const block = onMask ? MASK_BLOCK : 16 / itemSize(dtype);
    const stage = (v: StridedView, vDType: DType, at: number, i: number, len: number) =>
      copyInto(arena.view(vDType), at / itemSize(vDType), v.data, v.offset + i, len);
    if (mode === 'vv') {
      mapBlocks([condDType, dtype, dtype, dtype], block, out.length, out, ([pc, pa, pb, po], count, i, len) => {
        stage(cond, condDType, pc!, i, len);
        stage(a, dtype, pa!, i, len);
        stage(b, dtype, pb!, i, len);
        kernel(pc!, pa!, pb!, po!, count);
      });
    } else {
      const [vec, s] = mode === 'vs' ? [a, b.data[b.offset]!] : [b, a.data[a.offset]!];
      mapBlocks([condDType, dtype, dtype], block, out.length, out, ([pc, pv, po], count, i, len) => {
        stage(cond, condDType, pc!, i, len);
        stage(vec, dtype, pv!, i, len);
        if (mode === 'vs') kernel(pc!, pv!, s, po!, count);
        else kernel(pc!, s, pv!, po!, count);
      });
    }
  }

  /**
   * Sums over the first `count` axes: the rows of the flattened [rows, len] block are added
   * into an accumulator one after another with the vector add kernel, in the same order and
   * with the same roundings as the JS kernel's loop, so the results are identical.
   */
  function columnSums(x: TypedArray, shape: readonly number[], count: number, out: TypedArray): void {
    const dtype = dtypeOfArray(x);
    const es = dtype === 'float64' ? 8 : 4;
    let rows = 1;
    for (let d = 0; d < count; d++) rows *= shape[d]!;
    const len = x.length / rows;
    if (rows === 0 || len === 0) {
      out.fill(0);
      return;
    }
    const add = moduleKernel('binary', 'add', 'vv', dtype as FloatDType);
    const nvec = Math.ceil((len * es) / 16);
    arena.reset();
    // The kernel works in whole vectors: a row may end mid-vector, so reads run up to 16 bytes
    // past the last row (padding) and the accumulator's extra lanes are never copied out.
    const px = arena.alloc(x.length * es + 16);
    const pacc = arena.alloc(nvec * 16);
    const mem = arena.view(dtype);
    mem.set(x, px / es);
    mem.fill(0, pacc / es, pacc / es + (nvec * 16) / es);
    for (let r = 0; r < rows; r++) add(pacc, px + r * len * es, pacc, nvec);
    copyOut(arena.view(dtype), pacc / es, len, out, 0);
  }

  function reduce(op: ReduceKernel, x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
    const dtype = dtypeOfArray(x);
    const nd = shape.length;
    const first = nd - axes.length;
    // SIMD for reductions over a trailing run of axes (each output is one contiguous row) and
    // sums over a leading run (column sums, e.g. a bias gradient over the batch).
    const trailing = axes.length > 0 && axes.every((ax, i) => ax === first + i);
    const leading = op === 'sum' && axes.length > 0 && axes.length < nd && axes.every((ax, i) => ax === i);
    if (small('reduceRows', x.length) || !isFloatArray(x) || dtypeOfArray(out) !== dtype || !(trailing || leading)) {
      fallback.reduce(op, x, shape, axes, out);
      return;
    }
    if (leading && !trailing) {
      // One output per column: with a single column the JS kernel sums in a float64 local
      // instead, so that case stays with it (same results either way is the contract).
      if (out.length === 1) {
        fallback.reduce(op, x, shape, axes, out);
        return;
      }
      columnSums(x, shape, axes.length, out);
      return;
    }
    let rows = 1;
    let len = 1;
    for (let d = 0; d < nd; d++) {
      if (d < first) rows *= shape[d]!;
      else len *= shape[d]!;
    }
    if (rows === 0) return;
    if (len === 0) {
      out.fill(op === 'sum' ? 0 : -Infinity);
      return;
    }
    const kernel = moduleKernel('reduceRows', op, dtype as FloatDType);
    const es = dtype === 'float64' ? 8 : 4;
    arena.reset();
    const at = addressOf(x);
    if (at >= 0 && len <= CHUNK) {
      // x lives in linear memory already (a lowered jit replay): its rows are reduced where they
      // are (each row by one kernel call as below, so the same bits).
      const sums = arena.alloc(rows * 8);
      const again = (): void => {
        kernel(at, rows, len, sums);
        const res = arena.view('float64');
        for (let i = 0; i < rows; i++) out[i] = res[sums / 8 + i]!;
      };
      again();
      if (preparing !== null) preparing.again = again;
      return;
    }
    const rowsPer = Math.max(1, Math.floor(CHUNK / len));
    const px = arena.alloc(Math.min(rowsPer * len, rows * len, CHUNK) * es);
    const pd = arena.alloc(rowsPer * 8);
    const staged = (i: number, count: number): number => {
      copyInto(arena.view(dtype), px / es, x, i, count);
      return px;
    };
    reduceInChunks(op, kernel, staged, rows, len, pd, () => arena.view('float64') as Float64Array, out);
  }

  /**
   * Running sums along `axis`, staged by blocks of whole lines: the kernel adds in the JS
   * kernel's order (float64 sums, element by element down each line), so the bits are the same.
   */
  function cumsum(x: TypedArray, shape: readonly number[], axis: number, reverse: boolean, out: TypedArray): void {
    const floats = sameFloatArrays(x, out);
    if (!floats || small('cumsum', x.length) || x.length === 0) {
      fallback.cumsum(x, shape, axis, reverse, out);
      return;
    }
    const [outer, n, inner] = aroundAxis(shape, axis);
    const dtype = dtypeOfArray(x);
    const es = dtype === 'float64' ? 8 : 4;
    const kernel = moduleKernel('cumsum', dtype as FloatDType);
    const block = n * inner;
    const perCall = Math.max(1, Math.floor(SCAN_CHUNK / block));
    arena.reset();
    const cap = Math.min(perCall, outer) * block;
    // 16 bytes of slack: the vector loop never reads past a row, but keep the arena's rule.
    const px = arena.alloc(cap * es + 16);
    const po = arena.alloc(cap * es + 16);
    const pacc = arena.alloc(inner * 8 + 16);
    for (let o = 0; o < outer; o += perCall) {
      const count = Math.min(perCall, outer - o);
      const from = o * block;
      copyInto(arena.view(dtype), px / es, x, from, count * block);
      kernel(px, po, pacc, count, n, inner, reverse ? 1 : 0);
      copyOut(arena.view(dtype), po / es, count * block, out, from);
    }
  }

  // Row → accumulator slot, -1 where unused; kept between calls and reset after each.
  let slotOf = new Int32Array(0);

  /**
   * `out[o, indices[j], i] += g[o, j, i]` from zero. The rows add into one accumulator row per
   * distinct index (in WASM memory, as f32x4/f64x2 adds in j order: the JS kernel's bits), and
   * only those rows are copied into the zeroed `out`: the table itself is never staged.
   */
  function scatterAdd(g: TypedArray, outer: number, n: number, inner: number, indices: Int32Array, out: TypedArray): void {
    const floats = sameFloatArrays(g, out);
    const m = indices.length;
    // Copying each distinct row out costs about what the JS kernel's adds cost for a short row,
    // so WASM pays off for wide rows, or where rows must repeat (more than twice as many indices
    // as rows). Measured: 1.2× at width 128 with distinct rows, 3.6-5× with rows repeated four
    // times or more, 0.8× at width 16 with distinct rows.
    const worthIt = inner >= WIDE_ROW || m >= 2 * n;
    if (!floats || !worthIt || small('scatterAdd', m * inner * outer) || m === 0 || inner === 0) {
      fallback.scatterAdd(g, outer, n, inner, indices, out);
      return;
    }
    if (slotOf.length < n) slotOf = new Int32Array(n).fill(-1);
    const slotOfRow = slotOf;
    const slots = new Int32Array(m);
    const rows = new Int32Array(m);
    let distinct = 0;
    for (let j = 0; j < m; j++) {
      const row = indices[j]!;
      let slot = slotOfRow[row]!;
      if (slot < 0) {
        slot = distinct++;
        slotOfRow[row] = slot;
        rows[slot] = row;
      }
      slots[j] = slot;
    }
    for (let s = 0; s < distinct; s++) slotOfRow[rows[s]!] = -1;
    const dtype = dtypeOfArray(g);
    const es = dtype === 'float64' ? 8 : 4;
    const kernel = moduleKernel('scatterAdd', dtype as FloatDType);
    arena.reset();
    const pg = arena.alloc(m * inner * es);
    const ps = arena.alloc(m * 4);
    const accBytes = distinct * inner * es;
    const pacc = arena.alloc(accBytes);
    arena.i32().set(slots, ps / 4);
    out.fill(0);
    for (let o = 0; o < outer; o++) {
      copyInto(arena.view(dtype), pg / es, g, o * m * inner, m * inner);
      kernel(pg, ps, pacc, m, inner, accBytes);
      const mem = arena.view(dtype);
      for (let s = 0; s < distinct; s++) {
        const from = pacc / es + s * inner;
        const to = (o * n + rows[s]!) * inner;
        // NOTE: as in the JS gather, an element loop beats subarray + set for short rows.
        if (inner < COPY_LOOP_MAX) for (let i = 0; i < inner; i++) out[to + i] = mem[from + i]!;
        else copyOut(mem, from, inner, out, to);
      }
    }
  }

  /** Whether unfold/fold of `planes` planes with `g` and these arrays run here (unit column stride, floats, not tiny). */
  function windowsHere(a: TypedArray, b: TypedArray, planes: number, g: WindowGeometry): boolean {
    const colsPerPlane = g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1];
    return sameFloatArrays(a, b) && g.stride[1] === 1 && !small('windows', planes * colsPerPlane) && colsPerPlane > 0;
  }

  /**
   * Stages whole planes in chunks of about WINDOW_CHUNK column bytes (at least one plane):
   * `run(pPlanes, pCols, table, runs, first, count)` for planes [first, first + count), whose
   * planes and columns go at `pPlanes` and `pCols`, with `g`'s run table at `table`.
   */
  function windowChunks(
    dtype: DType,
    planes: number,
    g: WindowGeometry,
    run: (pPlanes: number, pCols: number, table: number, runs: number, first: number, count: number) => void,
  ): void {
    const es = itemSize(dtype);
    const planeBytes = g.height * g.width * es;
    const colsBytes = g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1] * es;
    const perChunk = Math.max(1, Math.floor(WINDOW_CHUNK / colsBytes));
    const runs = windowRuns(g, es);
    arena.reset();
    const cap = Math.min(perChunk, planes);
    const pTable = arena.alloc(runs.length * 4);
    const pPlanes = arena.alloc(cap * planeBytes + 16);
    const pCols = arena.alloc(cap * colsBytes + 16);
    arena.i32().set(runs, pTable / 4);
    for (let first = 0; first < planes; first += perChunk)
      run(pPlanes, pCols, pTable, runs.length / 4, first, Math.min(perChunk, planes - first));
  }

  /**
   * unfold (planes → columns) or fold (columns → planes) in WASM: each chunk of planes is staged,
   * run through the kernel, and copied out.
   */
  function windows(kind: 'unfold' | 'fold', input: TypedArray, planes: number, g: WindowGeometry, out: TypedArray): void {
    if (!windowsHere(input, out, planes, g)) {
      fallback[kind](input, planes, g, out);
      return;
    }
    const dtype = dtypeOfArray(input);
    const es = itemSize(dtype);
    const plane = g.height * g.width;
    const colsPerPlane = g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1];
    const [inPer, outPer] = kind === 'unfold' ? [plane, colsPerPlane] : [colsPerPlane, plane];
    const kernel = kind === 'unfold' ? moduleKernel('windows', 'unfold') : moduleKernel('windows', 'fold', dtype as FloatDType);
    windowChunks(dtype, planes, g, (pPlanes, pCols, table, runs, first, count) => {
      const [pIn, pOut] = kind === 'unfold' ? [pPlanes, pCols] : [pCols, pPlanes];
      copyInto(arena.view(dtype), pIn / es, input, first * inPer, count * inPer);
      if (kind === 'unfold') kernel(pPlanes, pCols, table, runs, count, plane * es, colsPerPlane * es, g.out[1] * es);
      else kernel(pCols, pPlanes, table, runs, count, plane * es, colsPerPlane * es);
      copyOut(arena.view(dtype), pOut / es, count * outPer, out, first * outPer);
    });
  }

  function matmul(a: StridedView, b: StridedView, batchShape: readonly number[], m: number, k: number, n: number, out: TypedArray): void {
    const dtype = dtypeOfArray(out);
    if (!isFloatArray(out) || dtypeOfArray(a.data) !== dtype || dtypeOfArray(b.data) !== dtype) {
      fallback.matmul(a, b, batchShape, m, k, n, out);
      return;
    }
    const batches = batchShape.reduce((x, y) => x * y, 1);
    if (batches * m * k * n >= threshold) {
      const p = getPool();
      // Until a worker is up the product runs here alone: the same result, no waiting.
      // (parallelGemm takes only the blocking from gemmOf: it calls the pool's own exports.)
      if (p && p.readyWorkers() > 0 && parallelGemm(p, gemmOf[dtype as FloatDType], a, b, batchShape, m, k, n, out, poolCopies(p))) return;
    }
    const narrow = dtype === 'float32' && n <= nrOf(GEMM_F32_NARROW);
    const run = prepareGemm(arena, narrow ? narrowF32 : gemmOf[dtype as FloatDType], a, b, batchShape, m, k, n, out);
    run();
    // Operands that live in memory are read where they are: the same products run again for their new contents.
    // (Not a product threads could take once they are up.)
    if (preparing !== null && batches * m * k * n < threshold && addressOf(a.data) >= 0 && addressOf(b.data) >= 0) preparing.again = run;
  }

  // ---- Fused elementwise kernels (jit's plan) ----
  /** Which function `unary` above computes for these arrays: the decisions of `unary`, in its order. */
  function unaryVariant(op: UnaryKernel, input: DType, output: DType, size: number): 'reference' | 'native' | null {
    const family = unaryFamily(op, input, output);
    if (family === null || small(family, size)) return 'reference';
    // A float32 function in float64 lanes: no fused kernel reproduces it yet. neg, abs and sqrt
    // are exact in SIMD; exp, log, sigmoid and tanh are the float32-lane approximations.
    return family === 'wideUnary' ? null : family === 'exactUnary' ? 'reference' : 'native';
  }

  // Per expression structure: whether it has native nodes, the lanes' dtype of its SIMD kernel
  // (null: none), and its compiled kernels by operand layouts. Keyed by the structure string a
  // plan hands over each time (its hash is cached in the string), so a replay builds no long key.
  const fusedShapes = new Map<
    string,
    {
      readonly native: boolean;
      readonly dtype: 'float32' | 'float64' | null;
      readonly kernels: Map<string, Fn>;
      /** The job forms added to the thread pool, by the same layouts: their slots (-1: none left). */
      readonly units: Map<string, number>;
    }
  >();
  /** What is known of an expression's structure (see fusedShapes), made at its first call. */
  function factsOf(expr: FusedExpression) {
    let facts = fusedShapes.get(expr.key);
    if (facts === undefined) {
      facts = {
        native: expr.nodes.some((node) => node.kind === 'unary' && node.native),
        dtype: simdDType(expr),
        kernels: new Map(),
        units: new Map(),
      };
      fusedShapes.set(expr.key, facts);
    }
    return facts;
  }

  /** The SIMD kernel of `expr` for operands staged as `rows` (see stagedRows), compiled at its first use. */
  function fusedKernelFor(expr: FusedExpression, dtype: 'float32' | 'float64', kernels: Map<string, Fn>, rows: readonly number[]) {
    let layoutKey = '';
    let vectors = 0;
    for (const row of rows) {
      layoutKey += row === 0 ? 's' : 'v';
      if (row > 0) vectors++;
    }
    let kernel = kernels.get(layoutKey);
    if (kernel === undefined) {
      kernel = instantiate(emitFused(expr, dtype, layoutsOf(rows)), { env: { memory: ex.memory } }).fused as Fn;
      kernels.set(layoutKey, kernel);
    }
    return { kernel, layoutKey, vectors };
  }

  /**
   * Whether `reduce` reduces the trailing `reduction.axes` axes of a `dtype` array of `shape`
   * with its row kernel: the one reduction a fused kernel reproduces (`runFusedReduced`).
   */
  function reducesRows(reduction: FusedReduction, dtype: DType, shape: readonly number[]): boolean {
    const size = shapeSize(shape);
    return (
      (dtype === 'float32' || dtype === 'float64') &&
      Number.isInteger(reduction.axes) &&
      reduction.axes > 0 &&
      reduction.axes <= shape.length &&
      size > 0 &&
      !small('reduceRows', size)
    );
  }

  /**
   * `expr` over `shape`, reduced over its trailing `reduction.axes` axes into `out`, with the
   * elementwise values never leaving linear memory: each chunk of rows (or, for a row longer
   * than CHUNK, each segment of it) is computed by the expression's SIMD kernel into scratch and
   * reduced there by `reduce`'s row kernel, in `reduce`'s chunks and order, so the result is the
   * unfused one bit for bit. Declines (false) where `reduce` would not run its row kernel and
   * where the expression has no SIMD kernel.
   */
  function runFusedReduced(
    expr: FusedExpression,
    reduction: FusedReduction,
    operands: readonly StridedView[],
    shape: readonly number[],
    out: TypedArray,
  ): boolean {
    const root = expr.nodes[expr.nodes.length - 1]!.dtype;
    if (!reducesRows(reduction, root, shape) || dtypeOfArray(out) !== root) return false;
    const n = shapeSize(shape);
    const facts = factsOf(expr);
    const { dtype, kernels } = facts;
    if (dtype !== root) return false;
    const rows = stagedRows(operands, shape, n);
    if (rows === null) return false;
    const { kernel, layoutKey, vectors } = fusedKernelFor(expr, dtype, kernels, rows);
    let len = 1;
    for (let d = shape.length - reduction.axes; d < shape.length; d++) len *= shape[d]!;
    const job = splits(facts, n, rows, operands) ? splitJob(expr, dtype, layoutsOf(rows), layoutKey, facts.units, operands) : null;
    if (job !== null) {
      splitReduced(job, reduction, dtype, layoutsOf(rows), n, len, out);
      return true;
    }
    const reduceRow = moduleKernel('reduceRows', reduction.op, dtype);
    const es = itemSize(dtype);
    const lanes = 16 / es;
    const outer = n / len;
    // A whole operand that lives in linear memory (a lowered jit replay's) is read where it is,
    // one with a resident copy from that copy; the others are staged chunk by chunk. (The
    // kernel's last partial vector reads past an array's end: held regions have slack there.)
    const copies = operands.map((v, k) => (rows[k] === n ? addressOf(v.data) : -1));
    const wanted = operands.map((v, k) => (rows[k] === n && copies[k]! < 0 && v.data.length === n ? v.data : null));
    residentCopies.addressesFor(wanted).forEach((at, k) => {
      if (at >= 0) copies[k] = at;
    });
    const staged = vectors - copies.filter((at) => at >= 0).length;
    // `reduce`'s chunks: whole rows up to CHUNK elements, or segments of CHUNK of one long row.
    const rowsPer = Math.max(1, Math.floor(CHUNK / len));
    const cap = Math.ceil(Math.min(rowsPer * len, n, CHUNK) / lanes) * lanes;
    arena.reset();
    const buffers = Array.from({ length: staged + 1 }, () => arena.alloc(cap * es));
    const pd = arena.alloc(rowsPer * 8);
    const values = buffers[staged]!;
    /** Computes elements [i, i + count) of the expression at `values`. */
    const compute = (i: number, count: number): void => {
      const mem = arena.view(dtype);
      let next = 0;
      const args = operands.map((v, k) => {
        const row = rows[k]!;
        if (row === 0) return v.data[v.offset]!;
        if (copies[k]! >= 0) return copies[k]! + (v.offset + i) * es;
        const at = buffers[next++]!;
        if (row === n) copyInto(mem, at / es, v.data, v.offset + i, count);
        else stageRepeated(mem, at / es, v, row, i, count);
        return at;
      });
      kernel(...args, values, Math.ceil(count / lanes));
    };
    const at = (i: number, count: number): number => {
      compute(i, count);
      return values;
    };
    const run = (): void => reduceInChunks(reduction.op, reduceRow, at, outer, len, pd, () => arena.view('float64') as Float64Array, out);
    run();
    // Every vector operand lives in memory (a lowered jit replay): the same addresses serve the
    // next call, which reads their new contents with none of the decisions above.
    if (preparing !== null && rows.every((row, k) => row === 0 || (row === n && addressOf(operands[k]!.data) >= 0))) preparing.again = run;
    return true;
  }

  /**
   * {@link runFusedReduced}'s expression split across the threads by `job` into a region of
   * their memory, reduced there by this thread with the row kernel of its own instance of the
   * pool's module.
   */
  function splitReduced(
    job: SplitJob,
    reduction: FusedReduction,
    dtype: 'float32' | 'float64',
    layouts: readonly OperandLayout[],
    n: number,
    len: number,
    out: TypedArray,
  ): void {
    const p = job.pool;
    const reduceRow = p.exported(kernelName('reduceRows', reduction.op, dtype)) as Fn;
    const result = parallelFused(p, job.slot, job.args, layouts, dtype, null, n);
    // After the job's own scratch, in the same lane (see Arena.resetApart).
    const sums = p.arena.alloc(Math.max(1, Math.floor(CHUNK / len)) * 8);
    const es = itemSize(dtype);
    reduceInChunks(
      reduction.op,
      reduceRow,
      (i) => result + i * es,
      n / len,
      len,
      sums,
      () => p.arena.view('float64') as Float64Array,
      out,
    );
  }

  /**
   * An expression in one SIMD pass per chunk of CHUNK elements: contiguous operands and repeated
   * rows (a bias over a batch) are staged chunk by chunk, as the unfused kernels stage theirs
   * (the buffers stay in L2), scalars passed by value; the kernel is compiled once per
   * structure and layout. Below the fused family's threshold, or for what SIMD does not cover, the JS
   * fused loop runs, which computes the same reference functions; an expression with native
   * nodes has no other fused kernel and declines. One that ends in a reduction is
   * {@link runFusedReduced}'s.
   */
  function runFused(expr: FusedExpression, operands: readonly StridedView[], shape: readonly number[], out: TypedArray): boolean {
    if (expr.reduction !== undefined) return runFusedReduced(expr, expr.reduction, operands, shape, out);
    const n = out.length;
    const facts = factsOf(expr);
    const { native, dtype, kernels } = facts;
    // The staged rows are not even looked at where the JS loop runs anyway.
    const rows = dtype === null || n === 0 || (!native && small('fused', n)) ? null : stagedRows(operands, shape, n);
    if (dtype === null || rows === null) {
      if (native || !runFusedJs(expr, operands, shape, out)) return false;
      if (preparing !== null) preparing.again = () => runFusedJs(expr, operands, shape, out);
      return true;
    }
    const { kernel, layoutKey, vectors } = fusedKernelFor(expr, dtype, kernels, rows);
    const es = itemSize(dtype);
    // Every vector operand whole and in linear memory (a lowered jit replay): no staging.
    if (rows.every((row, k) => row === 0 || (row === n && operands[k]!.offset === 0))) {
      const vectorData = operands.filter((_, k) => rows[k]! > 0).map((v) => v.data);
      const ran = inPlace(vectorData, out, n, 16 / es, (ptrs, po, nvec) => {
        let next = 0;
        const args = operands.map((v, k) => (rows[k] === 0 ? v.data[v.offset]! : ptrs[next++]!));
        kernel(...args, po, nvec);
      });
      if (ran) return true;
    }
    // Split across the threads where they are up and every vector operand has a resident copy
    // in their memory (made at its third read, as the copies here are).
    const job = splits(facts, n, rows, operands) ? splitJob(expr, dtype, layoutsOf(rows), layoutKey, facts.units, operands) : null;
    if (job !== null) {
      parallelFused(job.pool, job.slot, job.args, layoutsOf(rows), dtype, out);
      return true;
    }
    // A whole operand read again and again (the same inputs at every call) is read from its
    // resident copy; the others are staged chunk by chunk. Looked up before the scratch is laid out.
    const copies = residentCopies.addressesFor(operands.map((v, k) => (rows[k] === n && v.data.length === n ? v.data : null)));
    const staged = vectors - copies.filter((at) => at >= 0).length;
    mapBlocks(new Array<DType>(staged + 1).fill(dtype), 16 / es, n, out, (buffers, nvec, i, len) => {
      const mem = arena.view(dtype);
      let next = 0;
      const args = operands.map((v, k) => {
        const row = rows[k]!;
        if (row === 0) return v.data[v.offset]!;
        if (copies[k]! >= 0) return copies[k]! + i * es;
        const at = buffers[next++]!;
        if (row === n) copyInto(mem, at / es, v.data, v.offset + i, len);
        else stageRepeated(mem, at / es, v, row, i, len);
        return at;
      });
      kernel(...args, buffers[staged]!, nvec);
    });
    return true;
  }

  /** Whether a fused call over `n` elements is large enough to split, and reads only whole arrays and scalars. */
  function splits(facts: { readonly native: boolean }, n: number, rows: readonly number[], operands: readonly StridedView[]): boolean {
    return (
      n >= fusedThreadMin[facts.native ? 'approximated' : 'exact'] &&
      rows.every((row, k) => row === 0 || (row === n && operands[k]!.data.length === n))
    );
  }

  /**
   * The pool, the job form's slot and the arguments (operands' addresses in the pool's memory,
   * scalars' values) for splitting `expr` across the threads, with the workers woken; null where
   * the pool is not up, its slots are taken, or an operand has no resident copy there.
   */
  function splitJob(
    expr: FusedExpression,
    dtype: 'float32' | 'float64',
    layouts: readonly OperandLayout[],
    layoutKey: string,
    units: Map<string, number>,
    operands: readonly StridedView[],
  ): SplitJob | null {
    const p = getPool();
    if (p === null || p.readyWorkers() === 0) return null;
    let slot = units.get(layoutKey);
    if (slot === undefined) {
      slot = p.addKernel(emitFusedUnit(expr, dtype, layouts, SHARED_MAX_PAGES));
      units.set(layoutKey, slot);
    }
    if (slot < 0) return null;
    const addresses = poolCopies(p).addressesOf(operands.map((v, k) => (layouts[k] === 'vector' ? v.data : null)));
    if (addresses === null) return null;
    // Only now: a call that stays on this thread (an operand made afresh each time) wakes no one.
    p.wake();
    return { pool: p, slot, args: operands.map((v, k) => (layouts[k] === 'scalar' ? v.data[v.offset]! : addresses[k]!)) };
  }

  const backend: WasmBackend = {
    name: fma ? 'wasm-simd-relaxed' : 'wasm-simd',
    // Every binary kernel and `where` here computes the reference function (the SIMD ones are
    // exact IEEE operations); only unary nodes can be native.
    fused: { unaryVariant, run: runFused, reduces: reducesRows, vectorizes: (nodes) => simdDType({ nodes }) !== null },
    resident: {
      hold: (bytes) => arena.hold(bytes),
      release: (at) => arena.release(at),
      view: (dtype, at, length) => {
        // A lowered jit program's arrays here are rewritten by every call: the threads' memory
        // must never keep a resident copy of one (the copies here skip this memory anyway).
        markRewritable(arena.memoryBuffer);
        return arrayOn(dtype, arena.memoryBuffer, length, at);
      },
      get generation() {
        return arena.generation;
      },
      prepare,
    },
    unary,
    binary,
    reduce,
    matmul,
    where,
    copy: (src, dst, shape) => fallback.copy(src, dst, shape),
    // Row copies and adds: the JS kernels already run at memory speed (TypedArray.set).
    gather: (x, outer, n, inner, indices, out) => fallback.gather(x, outer, n, inner, indices, out),
    indexPositions: (indices, size, negativeWraps, blocks, out) => fallback.indexPositions(indices, size, negativeWraps, blocks, out),
    scatterAdd,
    // No SIMD kernels for sorting: the JS ones run.
    cumsum,
    argsort: (x, shape, axis, descending, out) => fallback.argsort(x, shape, axis, descending, out),
    takeAlong: (x, size, indices, shape, axis, out) => fallback.takeAlong(x, size, indices, shape, axis, out),
    unfold: (x, planes, g, out) => windows('unfold', x, planes, g, out),
    fold: (cols, planes, g, out) => windows('fold', cols, planes, g, out),
    threadsReady: async () => {
      const p = getPool();
      return p ? p.whenReady() : 1;
    },
    dispose: () => {
      pool?.dispose();
      pool = null;
      sharedCopies = null;
    },
    memoryBytes: () => arena.memoryBytes + (pool ? pool.arena.memoryBytes : 0),
    residentCopyBytes: () => residentCopies.bytes + (sharedCopies?.bytes ?? 0),
  };
  return backend;
}
