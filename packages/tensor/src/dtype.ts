// The four dtypes, their typed arrays, and the promotion rule of binary ops.

/** Element type of a tensor. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
/** The dtypes autodiff differentiates: tangents and cotangents exist only for these. */
export type FloatDType = 'float32' | 'float64';
/**
 * The typed array that stores a tensor: Float32Array, Float64Array, Int32Array, or Uint8Array
 * for `bool` (each element 0 or 1).
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Every dtype, lowest first in the promotion order. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** Whether `dtype` is float32 or float64. */
export function isFloating(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** Bytes per element of `dtype`. */
export function itemSize(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

function fresh(dtype: DType, size: number, buffer?: ArrayBuffer, offset = 0): TypedArray {
  switch (dtype) {
    case 'float64':
      return buffer ? new Float64Array(buffer, offset, size) : new Float64Array(size);
    case 'float32':
      return buffer ? new Float32Array(buffer, offset, size) : new Float32Array(size);
    case 'int32':
      return buffer ? new Int32Array(buffer, offset, size) : new Int32Array(size);
    case 'bool':
      return buffer ? new Uint8Array(buffer, offset, size) : new Uint8Array(size);
  }
}

/** An array of `size` elements of `dtype` over `buffer` from byte `offset` (a buffer planned by jit, a backend's memory). */
export function arrayOn(dtype: DType, buffer: ArrayBuffer, size: number, offset = 0): TypedArray {
  return fresh(dtype, size, buffer, offset);
}

interface UnfilledHost {
  readonly Buffer?: { allocUnsafeSlow?: (size: number) => Uint8Array };
}
const allocUnsafeSlow = (globalThis as UnfilledHost).Buffer?.allocUnsafeSlow;

/**
 * A new ArrayBuffer of `bytes` whose contents are unspecified: in Node, `Buffer.allocUnsafeSlow`
 * (memory without the zero fill, which costs as much as the kernel's own write of a small
 * result); elsewhere, or where a polyfill gives something else, a zero-filled ArrayBuffer.
 */
function unfilledBuffer(bytes: number): ArrayBuffer {
  const u = allocUnsafeSlow?.(bytes);
  return u !== undefined && u.byteOffset === 0 && u.buffer instanceof ArrayBuffer && u.buffer.byteLength === bytes
    ? u.buffer
    : new ArrayBuffer(bytes);
}

// Small arrays are carved out of shared 256 KiB slabs: a fresh ArrayBuffer per small tensor costs
// more than the arithmetic on it. A slab lives while any of its arrays does, so a long-lived
// small tensor keeps at most 256 KiB alive; larger arrays get buffers of their own. Slabs are
// unfilled memory (see unfilledBuffer): `allocate` zeroes what it carves, `allocateUnfilled`'s
// kernels write every element. Measured (2-vCPU Intel Xeon, Node 20): carving and writing a
// 9.6 KB array cost 0.74 µs from zero-filled 64 KiB slabs, 0.56 from unfilled 64 KiB ones, 0.45
// from unfilled 256 KiB ones (0.51 at 1 MiB); the iris step (W3 eager, `pnpm bench --only W3`,
// three alternating processes each) 55.3-56.6 ms against 57.4-58.6 with zero-filled 64 KiB
// slabs. (Earlier, on a 2-vCPU AMD EPYC, unfilled 64 KiB slabs had read 2.5% slower than
// zero-filled ones in W3; unfilled 256 KiB slabs are not yet measured there.)
const SLAB_BYTES = 1 << 18;
const SMALL_BYTES = 1 << 14;
let slab = unfilledBuffer(SLAB_BYTES);
let slabOffset = 0;

/** `bytes` (at most SMALL_BYTES) of the current slab as an array of `size` elements of `dtype`. */
function carve(dtype: DType, size: number, bytes: number): TypedArray {
  if (slabOffset + bytes > SLAB_BYTES) {
    slab = unfilledBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const out = fresh(dtype, size, slab, slabOffset);
  // Keep every array 16-byte aligned (float64 needs 8; SIMD copies like 16).
  slabOffset += (bytes + 15) & ~15;
  return out;
}

// Large arrays handed back by Tensor.dispose(), by dtype and length, for the next allocation of
// that kind: a fresh large array page-faults on its first write, a reused one is mapped already
// (a 1e6-element float32 tanh(a*b+c) in a loop: median 3.4-4.1 ms reusing its output against
// 4.8-5.3 fresh). dispose() leaves small arrays, carved from slabs, to the collector; the end of
// a tidy scope keeps them too (below). At most 64 MiB of large arrays is kept.

/** The arrays kept of one dtype and length, and when one was last kept or taken (a tick of `clock`). */
interface Kind {
  readonly arrays: TypedArray[];
  readonly small: boolean;
  used: number;
}
const recycled = new Map<number, Kind>();
let clock = 0;
// Small arrays a `tidy` scope freed are kept too: memory written a step ago is still in the
// cache, a fresh slab's is not (a 9.6 KB result copied into fresh slab memory took 1.3-1.7 µs,
// into memory written just before 0.4 µs; 2-vCPU AMD EPYC, Node 20). Each keeps its 256 KiB slab
// alive, so at most this many are kept.
const SMALL_RECYCLED_MAX = 256;
/** How many arrays of at most SMALL_BYTES `recycled` holds, and the bytes of the larger ones. */
let smallRecycled = 0;
let largeBytes = 0;
const RECYCLED_MAX_BYTES = 64 << 20;
let recycledBytes = 0;
let recycledMinBytes = SMALL_BYTES + 1;

/**
 * Recycles arrays of at least `bytes` (default: those above the slabs' 16 KiB), and forgets the
 * kept ones. For tests: at 1 every disposed array is reused, so a tensor that still reads one
 * shows a wrong value.
 */
export function setRecyclingFloor(bytes: number = SMALL_BYTES + 1): void {
  // At least 1: an empty array is never kept.
  recycledMinBytes = Math.max(1, bytes);
  recycled.clear();
  recycledBytes = 0;
  smallRecycled = 0;
  largeBytes = 0;
}
const recycledKey = (dtype: DType, size: number): number => size * 4 + DTYPES.indexOf(dtype);

/**
 * Keeps `data` for a later allocation of its dtype and length. Only for an array nothing else
 * reads or writes any more (a disposed tensor that held it alone): its contents are overwritten.
 */
export function recycle(data: TypedArray): void {
  const bytes = data.byteLength;
  if (bytes >= recycledMinBytes) keepForReuse(data, bytes);
}

/**
 * Keeps `data`, which nothing reads or writes any more (a `tidy` scope ended the lives of every
 * tensor that held it), for a later allocation of its dtype and length, small arrays included.
 */
export function recycleFreed(data: TypedArray): void {
  const bytes = data.byteLength;
  if (bytes > 0) keepForReuse(data, bytes);
}

function keepForReuse(data: TypedArray, bytes: number): void {
  const key = recycledKey(dtypeOfArray(data), data.length);
  const small = bytes <= SMALL_BYTES;
  // Room is made by dropping arrays of the kinds least recently kept or taken (what an earlier
  // loop left), never of this one.
  if (small) {
    if (smallRecycled >= SMALL_RECYCLED_MAX && !dropOldest(key, true)) return;
  } else {
    if (bytes > RECYCLED_MAX_BYTES) return;
    while (largeBytes + bytes > RECYCLED_MAX_BYTES) if (!dropOldest(key, false)) return;
  }
  let kind = recycled.get(key);
  if (kind === undefined) {
    kind = { arrays: [], small, used: 0 };
    recycled.set(key, kind);
  }
  kind.arrays.push(data);
  kind.used = ++clock;
  if (small) smallRecycled++;
  else largeBytes += bytes;
  recycledBytes += bytes;
  lives.set(data, lifeOf(data) + 1);
}

/** Drops one array of the least recently used kind of this size class but `key`'s; false where there is none. */
function dropOldest(key: number, small: boolean): boolean {
  let oldest: Kind | undefined;
  for (const [k, kind] of recycled)
    if (k !== key && kind.small === small && kind.arrays.length > 0 && (oldest === undefined || kind.used < oldest.used)) oldest = kind;
  if (oldest === undefined) return false;
  forget(oldest.arrays.shift()!);
  return true;
}

/** Takes `out`, just removed from its kind's list, off the books. */
function forget(out: TypedArray): void {
  recycledBytes -= out.byteLength;
  if (out.byteLength <= SMALL_BYTES) smallRecycled--;
  else largeBytes -= out.byteLength;
}

// An array's contents are written once, when it is made, and never again (Tensor.assign swaps
// arrays, data() copies), with two exceptions: a recycled array is written again for its next
// tensor, and jit's planned buffers are rewritten by every replay. What copies an array's
// contents to keep them (a backend's resident copy) asks about both here.
const lives = new WeakMap<TypedArray, number>();
const rewritable = new WeakSet<ArrayBufferLike>();

/** How many times `data` has been recycled: its contents are those of life `lifeOf(data)`. */
export function lifeOf(data: TypedArray): number {
  return lives.get(data) ?? 0;
}

/** Declares that arrays over `buffer` are written again after they are first written (jit's planned buffers). */
export function markRewritable(buffer: ArrayBufferLike): void {
  rewritable.add(buffer);
}

/** Whether `data` lives in a buffer {@link markRewritable} declared. */
export function isRewritable(data: TypedArray): boolean {
  return rewritable.has(data.buffer);
}

/** A recycled array of `size` elements of `dtype`, if one is kept (contents unspecified). */
function reused(dtype: DType, size: number): TypedArray | undefined {
  if (recycledBytes === 0) return undefined;
  const kind = recycled.get(recycledKey(dtype, size));
  const out = kind?.arrays.pop();
  if (out === undefined) return undefined;
  kind!.used = ++clock;
  forget(out);
  return out;
}

/**
 * Fills every array kept for later allocations with NaN (an integer or bool one with 7). For
 * tests: a tensor that still reads one of them shows it.
 */
export function fillRecycled(): void {
  for (const kind of recycled.values())
    for (const a of kind.arrays) a.fill(a instanceof Float32Array || a instanceof Float64Array ? Number.NaN : 7);
}

/** Bytes of recycled arrays kept for later allocations (tests check the bound). */
export function recycledArrayBytes(): number {
  return recycledBytes;
}

/** Allocates a zero-filled array of `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  const bytes = size * itemSize(dtype);
  if (bytes === 0) return fresh(dtype, size);
  const kept = reused(dtype, size);
  const out = kept !== undefined ? kept.fill(0) : bytes > SMALL_BYTES ? fresh(dtype, size) : carve(dtype, size, bytes).fill(0);
  if (allocationLog !== null) allocationLog.push(out);
  return out;
}

// The arrays allocated while a `tidy` scope is open (core/scope.ts), or null.
let allocationLog: TypedArray[] | null = null;

/** Where `allocate` and `allocateUnfilled` list the arrays they hand out from now on (null: nowhere). */
export function setAllocationLog(log: TypedArray[] | null): void {
  allocationLog = log;
}

// Test hook: a value every unfilled array is filled with (null: left as the allocator gives it).
let unfilledPattern: number | null = null;

/**
 * Makes every array {@link allocateUnfilled} returns start filled with `value` (null: unfilled
 * again). For tests: a kernel that leaves an element of its result unwritten shows it.
 */
export function setUnfilledPattern(value: number | null): void {
  unfilledPattern = value;
}

/**
 * Allocates an array of `size` elements of `dtype` with unspecified contents, for a kernel that
 * writes every element of it (an OutputTarget's `array`).
 */
export function allocateUnfilled(dtype: DType, size: number): TypedArray {
  const bytes = size * itemSize(dtype);
  const out =
    bytes === 0
      ? fresh(dtype, 0)
      : (reused(dtype, size) ?? (bytes > SMALL_BYTES ? fresh(dtype, size, unfilledBuffer(bytes)) : carve(dtype, size, bytes)));
  if (allocationLog !== null) allocationLog.push(out);
  return unfilledPattern === null ? out : out.fill(unfilledPattern);
}

/** The dtype a typed array stores. */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * PyTorch's promotion of two tensors: the later of the two in bool < int32 < float32 < float64,
 * so no value is silently lost (float32 with float64 gives float64, an integer with a float the float).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** The dtype of a sum (or running sum) of `dtype`: a sum of bools counts them, as an int32. */
export function sumDType(dtype: DType): DType {
  return dtype === 'bool' ? 'int32' : dtype;
}
