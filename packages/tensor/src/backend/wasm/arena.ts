// The scratch arena inside the instance's linear memory: a bump allocator reset per kernel
// call, growing the memory (never shrinking: WebAssembly cannot) to the high-water mark.
import type { DType, TypedArray } from '../../dtype.js';
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;

/** Bump allocator over a wasm memory; views are refreshed after every growth. */
export class Arena {
  private top = 0;
  private buffer: ArrayBuffer;
  private f32View: Float32Array;
  private f64View: Float64Array;

  /** `base`: bytes at the bottom of memory reserved for constants. */
  constructor(private readonly memory: WasmMemory, private readonly base = 1024) {
    this.buffer = memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    this.top = base;
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
    if (this.top > this.memory.buffer.byteLength) {
      if (this.top > 0xffff0000) throw new RangeError('wasm backend: operands exceed 4 GiB of linear memory');
      this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / PAGE));
    }
    return at;
  }

  /** A view of all of memory with `dtype` elements (index = byte address / element size). */
  view(dtype: DType): TypedArray {
    if (this.buffer !== this.memory.buffer) {
      // Growth detaches the old ArrayBuffer; every cached view must be rebuilt.
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.f64View = new Float64Array(this.buffer);
    }
    return dtype === 'float64' ? this.f64View : this.f32View;
  }
}
