// The scratch arena inside the instance's linear memory: a bump allocator reset per kernel
// call, growing the memory (never shrinking: WebAssembly cannot) to the high-water mark.
import type { DType, TypedArray } from '../../dtype.js';
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;

/**
 * Bump allocator over a wasm memory; views are refreshed after every growth. Only `alloc`
 * grows the memory (no kernel contains memory.grow), so the views are rebuilt there and
 * nowhere else: `memory.buffer` is a slow getter to read on every kernel call.
 */
export class Arena {
  private top = 0;
  /** Where the per-call scratch starts: above the constants and every held region. */
  private base: number;
  /** Held regions (address → bytes) and freed ones, reused first fit. */
  private readonly held = new Map<number, number>();
  private free: { at: number; bytes: number }[] = [];
  /** Where the scratch of the call {@link resetApart} laid out last starts, and the largest such call's bytes. */
  private callStart = -1;
  private jobHigh = 0;
  /** The most scratch bytes one call has used (what a lowered program makes room for). */
  private scratchHigh = 0;
  /** Bumped at every growth (views taken before it may be detached) and whenever the scratch's base moves. */
  generation = 0;
  private buffer: ArrayBuffer;
  private f32View: Float32Array;
  private f64View: Float64Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  /** `constants`: bytes at the bottom of memory reserved for constants. */
  constructor(
    private readonly memory: WasmMemory,
    constants = 1024,
  ) {
    this.base = constants;
    this.buffer = memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
    this.top = constants;
  }

  /** Bytes of linear memory now (it grows to the largest call's scratch and never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Frees everything allocated since the last reset. */
  reset(): void {
    this.top = this.base;
  }

  /**
   * {@link reset}, laying this call's scratch out apart from the last one's, in two lanes: at
   * the base, and above the largest such call seen; each call takes the other lane from the
   * last (only a call larger than every one before can reach into the upper lane). For a thread
   * pool's jobs: a line a worker wrote in one job is then not written by the caller, staging the
   * next, while the worker's core still holds it (in one process, W4's products with fresh
   * operands, each after another product's job: 0.303–0.344 ms against 0.341–0.374 for h1·W2,
   * 1.71–1.79 against 1.74–1.90 for x·W1). Memory keeps room for two calls side by side.
   */
  resetApart(): void {
    // The last call's size, where the base has not moved above its start since.
    if (this.callStart >= this.base) this.jobHigh = Math.max(this.jobHigh, this.top - this.callStart);
    this.top = this.callStart === this.base ? this.base + ((this.jobHigh + 63) & ~63) : this.base;
    this.callStart = this.top;
  }

  /**
   * Reserves `bytes` (64-byte aligned, a cache line, so v128 accesses never straddle lines)
   * and returns the byte address. Grows memory at once, so views fetched later stay valid
   * until the next `alloc`.
   */
  alloc(bytes: number): number {
    const at = (this.top + 63) & ~63;
    this.top = at + bytes;
    if (this.top - this.base > this.scratchHigh) this.scratchHigh = this.top - this.base;
    this.ensure(this.top);
    return at;
  }

  /** The current memory's buffer: an array whose `buffer` is this one lives in linear memory. */
  get memoryBuffer(): ArrayBuffer {
    return this.buffer;
  }

  /**
   * Holds `bytes` (64-byte aligned, zero-filled unless `zeroed` is false, followed by 64 bytes
   * no call writes) outside every call's scratch until `release`; returns the address. Scratch
   * starts above the highest region held, so memory keeps room for the largest call seen above it.
   */
  hold(bytes: number, zeroed = true): number {
    const need = ((bytes + 63) & ~63) + 64;
    let at = -1;
    const fit = this.free.findIndex((f) => f.bytes >= need);
    if (fit >= 0) {
      const f = this.free[fit]!;
      at = f.at;
      if (f.bytes === need) this.free.splice(fit, 1);
      else this.free[fit] = { at: f.at + need, bytes: f.bytes - need };
    } else {
      at = (this.base + 63) & ~63;
      this.base = at + need;
      this.top = this.base;
    }
    this.held.set(at, need);
    // Work laid out in the scratch (a prepared product's panels) must be laid out again.
    this.generation++;
    this.ensure(this.base + this.scratchHigh);
    if (zeroed) this.u8View.fill(0, at, at + need);
    return at;
  }

  /**
   * Returns a region `hold` gave out. Free neighbours merge, and free space at the top of the
   * held regions goes back to the scratch, so regions held and released in turn (a cache's
   * copies of arrays of many sizes) do not fragment memory into ever more growth.
   */
  release(at: number): void {
    const bytes = this.held.get(at);
    if (bytes === undefined) return;
    this.held.delete(at);
    let block = { at, bytes };
    const rest: { at: number; bytes: number }[] = [];
    for (const f of this.free) {
      if (f.at + f.bytes === block.at) block = { at: f.at, bytes: f.bytes + block.bytes };
      else if (block.at + block.bytes === f.at) block = { at: block.at, bytes: block.bytes + f.bytes };
      else rest.push(f);
    }
    if (block.at + block.bytes === this.base) {
      this.base = block.at;
      this.top = this.base;
      // The scratch starts lower: work laid out in it must be laid out again.
      this.generation++;
    } else rest.push(block);
    this.free = rest;
  }

  /** Bytes held now (tests check that released regions are reused). */
  get heldBytes(): number {
    let total = 0;
    for (const bytes of this.held.values()) total += bytes;
    return total;
  }

  /** Where the scratch starts: above the constants and the highest held region. */
  get scratchBase(): number {
    return this.base;
  }

  /** Grows memory to at least `end` bytes. */
  private ensure(end: number): void {
    if (end <= this.buffer.byteLength) return;
    if (end > 0xffff0000) throw new RangeError('wasm backend: operands exceed 4 GiB of linear memory');
    this.memory.grow(Math.ceil((end - this.buffer.byteLength) / PAGE));
    this.refresh();
  }

  /** A view of all of memory with `dtype` elements (index = byte address / element size; bool: bytes). */
  view(dtype: DType): TypedArray {
    return dtype === 'float64' ? this.f64View : dtype === 'float32' ? this.f32View : dtype === 'int32' ? this.i32View : this.u8View;
  }

  /** A view of all of memory as int32 (index = byte address / 4): the thread job tables. */
  i32(): Int32Array {
    return this.i32View;
  }

  private refresh(): void {
    this.generation++;
    // Growth detaches a plain memory's old ArrayBuffer; a shared memory's old buffer stays
    // valid but keeps its old length. Either way `memory.buffer` is a new object: rebuild.
    this.buffer = this.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
  }
}
