// The scratch arena inside the instance's linear memory: a bump allocator reset per kernel
// call, over a region taken from the block pool (tensor arrays share the memory); a call that
// needs more moves on to a larger region, and the smaller ones go back to the pool at the reset.
import type { DType, TypedArray } from '../../dtype.js';
import type { Block, BlockPool } from './pool.js';
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;

/** The first region's size: enough for the elementwise kernels' chunks without a move. */
const FIRST_REGION = 1 << 18;

/** Bump allocator over a wasm memory; views are refreshed after every growth. */
export class Arena {
  private top = 0;
  private region: Block | null = null;
  private end = 0;
  /** Regions outgrown during the current call: their addresses stay valid until the reset. */
  private readonly outgrown: Block[] = [];
  private buffer: ArrayBuffer;
  private f32View: Float32Array;
  private f64View: Float64Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  /**
   * `base`: bytes at the bottom of memory reserved for constants (without `pool`, the arena owns
   * everything above it); with `pool`, regions come from the pool.
   */
  constructor(
    private readonly memory: WasmMemory,
    private readonly base = 1024,
    private readonly pool?: BlockPool,
  ) {
    this.buffer = memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
    this.top = base;
    if (pool) this.moveTo(FIRST_REGION);
  }

  /** Frees everything allocated since the last reset. */
  reset(): void {
    if (!this.pool) {
      this.top = this.base;
      return;
    }
    for (const block of this.outgrown) this.pool.give(block);
    this.outgrown.length = 0;
    this.top = this.region!.address;
  }

  /** Continues in a fresh region of at least `bytes` (the current one is given back at the reset). */
  private moveTo(bytes: number): void {
    const block = this.pool!.take(bytes);
    if (block === undefined) throw new RangeError('wasm backend: operands exceed 4 GiB of linear memory');
    if (this.region) this.outgrown.push(this.region);
    this.region = block;
    this.top = block.address;
    this.end = block.address + block.bytes;
  }

  /**
   * Reserves `bytes` (64-byte aligned, a cache line, so v128 accesses never straddle lines)
   * and returns the byte address. Grows memory at once, so views fetched later stay valid
   * until the next `alloc`.
   */
  alloc(bytes: number): number {
    if (this.pool) {
      let at = (this.top + 63) & ~63;
      if (at + bytes > this.end) {
        // Doubling keeps the moves (and the regions outgrown) few over a long run.
        this.moveTo(Math.max(bytes + 64, 2 * this.region!.bytes));
        at = this.top;
      }
      this.top = at + bytes;
      return at;
    }
    const at = (this.top + 63) & ~63;
    this.top = at + bytes;
    if (this.top > this.memory.buffer.byteLength) {
      if (this.top > 0xffff0000) throw new RangeError('wasm backend: operands exceed 4 GiB of linear memory');
      this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / PAGE));
    }
    return at;
  }

  /** A view of all of memory with `dtype` elements (index = byte address / element size; bool: bytes). */
  view(dtype: DType): TypedArray {
    this.refresh();
    return dtype === 'float64' ? this.f64View : dtype === 'float32' ? this.f32View : dtype === 'int32' ? this.i32View : this.u8View;
  }

  /** A view of all of memory as int32 (index = byte address / 4): the thread job tables. */
  i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }

  private refresh(): void {
    // Growth detaches a plain memory's old ArrayBuffer; a shared memory's old buffer stays
    // valid but keeps its old length. Either way `memory.buffer` is a new object: rebuild.
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.f64View = new Float64Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
      this.u8View = new Uint8Array(this.buffer);
    }
  }
}
