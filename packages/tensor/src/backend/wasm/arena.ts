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
  private buffer: ArrayBuffer;
  private f32View: Float32Array;
  private f64View: Float64Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  /** `base`: bytes at the bottom of memory reserved for constants. */
  constructor(
    private readonly memory: WasmMemory,
    private readonly base = 1024,
  ) {
    this.buffer = memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
    this.top = base;
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
   * Reserves `bytes` (64-byte aligned, a cache line, so v128 accesses never straddle lines)
   * and returns the byte address. Grows memory at once, so views fetched later stay valid
   * until the next `alloc`.
   */
  alloc(bytes: number): number {
    const at = (this.top + 63) & ~63;
    this.top = at + bytes;
    if (this.top > this.buffer.byteLength) {
      if (this.top > 0xffff0000) throw new RangeError('wasm backend: operands exceed 4 GiB of linear memory');
      this.memory.grow(Math.ceil((this.top - this.buffer.byteLength) / PAGE));
      this.refresh();
    }
    return at;
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
    // Growth detaches a plain memory's old ArrayBuffer; a shared memory's old buffer stays
    // valid but keeps its old length. Either way `memory.buffer` is a new object: rebuild.
    this.buffer = this.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
  }
}
