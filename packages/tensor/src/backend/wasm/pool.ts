// Blocks of linear memory in size classes: tensor arrays resident in the backend's memory and the
// scratch arena's regions come from here. Freed blocks go to a free list per class and are reused
// (zeroed) before the memory grows; WebAssembly memory never shrinks, so reuse is what keeps it bounded.
import { itemSize, typedArrayOf, type DType, type TypedArray } from '../../dtype.js';
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;
/** The smallest class: blocks are at least this many bytes (and 64-byte aligned). */
const MIN_CLASS_LOG2 = 10;
/** Four classes per power of two (2ᵉ·{1.25, 1.5, 1.75, 2}): at most 25% of a block is unused. */
const STEPS = 4;
/**
 * Every growth adds at least this fraction of the memory (and 1 MiB): few `grow` calls, so few
 * SharedArrayBuffer generations to recognise, at the cost of at most 1/8 of unused tail.
 */
const GROWTH_FRACTION = 8;
/** Bytes kept free above the highest block: SIMD kernels may read a vector past an operand's end. */
const TAIL_SLACK = 64;
/** The highest address a block may reach (the 32-bit address space, less the last page). */
const ADDRESS_LIMIT = 0xffff0000;

/** The class of a block of `bytes`, and the class's block size. */
export function sizeClass(bytes: number): { index: number; bytes: number } {
  if (bytes <= 1 << MIN_CLASS_LOG2) return { index: 0, bytes: 1 << MIN_CLASS_LOG2 };
  const e = 31 - Math.clz32(bytes - 1); // 2ᵉ < bytes ≤ 2ᵉ⁺¹
  const step = 2 ** (e - 2);
  const q = Math.ceil((bytes - 2 ** e) / step); // 1..4
  return { index: (e - MIN_CLASS_LOG2) * STEPS + q, bytes: 2 ** e + q * step };
}

/** A block handed out by {@link BlockPool.take}. */
export interface Block {
  readonly address: number;
  readonly cls: number;
  readonly bytes: number;
}

/** Size-class free lists over one linear memory, fresh blocks bumped from the top. */
export class BlockPool {
  private readonly free: number[][] = [];
  private top: number;
  /** Every `memory.buffer` object seen: an array is resident when its buffer is one of them. */
  private readonly generations = new Set<ArrayBufferLike>();
  private current: ArrayBufferLike;

  constructor(
    private readonly memory: WasmMemory,
    base: number,
  ) {
    this.top = (base + 63) & ~63;
    this.current = memory.buffer;
    this.generations.add(this.current);
  }

  /** Bytes of memory in use by blocks or free lists (the bump pointer). */
  get reserved(): number {
    return this.top;
  }

  /** The memory's buffer now (a new object after every growth). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.generations.add(b);
    }
    return b;
  }

  /** Whether `buffer` is (a generation of) this pool's memory. */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer === this.current || this.generations.has(buffer);
  }

  /**
   * A block of at least `bytes`, from its class's free list (not zeroed: `fresh` says whether it
   * came from never-used memory, which is zero), or newly bumped; undefined when the memory cannot
   * grow that far.
   */
  take(bytes: number): (Block & { fresh: boolean }) | undefined {
    const { index, bytes: size } = sizeClass(bytes);
    const list = this.free[index];
    if (list !== undefined && list.length > 0) return { address: list.pop()!, cls: index, bytes: size, fresh: false };
    const address = this.top;
    const end = address + size;
    if (!this.ensure(end + TAIL_SLACK)) return undefined;
    this.top = end;
    return { address, cls: index, bytes: size, fresh: true };
  }

  /** Puts a block back on its free list. */
  give(block: Block): void {
    (this.free[block.cls] ??= []).push(block.address);
  }

  /** Grows the memory to at least `end` bytes; false where it cannot. */
  private ensure(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    if (end > ADDRESS_LIMIT) return false;
    const want = Math.max(end - have, Math.floor(have / GROWTH_FRACTION), 1 << 20);
    const pages = Math.ceil(Math.min(want, ADDRESS_LIMIT - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      // The engine refused the reservation: try the bare minimum once.
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return false;
      }
    }
    this.buffer();
    return true;
  }
}

/** The accounting of tensors resident in the WASM backend's memory (`WasmBackend.memoryStats()`). */
export interface PoolStats {
  /** Bytes of blocks held by live resident arrays (their classes' sizes). */
  readonly liveBytes: number;
  /** Resident arrays alive now. */
  readonly liveArrays: number;
  /** The cap on `liveBytes` beyond which new arrays are ordinary JavaScript arrays. */
  readonly budgetBytes: number;
  /** Bytes of memory the pool has reserved (blocks in use, free blocks, scratch regions). */
  readonly reservedBytes: number;
  /** The linear memory's size. */
  readonly memoryBytes: number;
  /** Arrays that were refused a block (budget reached or memory exhausted) since creation. */
  readonly refused: number;
  /** Collections hinted to the engine (see NUDGE_BYTES in pool.ts) since creation. */
  readonly collectionHints: number;
}

/**
 * V8 sees only the small JavaScript wrappers of resident arrays, not their blocks, so nothing
 * tells it that collecting them would free memory: a loop can fill the budget with dead arrays
 * and no collection follow for a long time. An ArrayBuffer of this size, allocated (and left
 * untouched: no resident memory) after every quarter of the budget allocated, counts as external
 * memory and brings a collection soon; the registry then returns the dead arrays' blocks at the
 * next turn of the event loop.
 */
const NUDGE_BYTES = 64 * 2 ** 20;

interface Held {
  readonly block: Block;
  live: boolean;
}

/**
 * Tensor arrays that live in the pool's memory. A block returns to its free list when its
 * array is released or collected: the FinalizationRegistry is registered on the typed array
 * itself, which every view of a tensor shares (a `subarray` of it does *not* keep it alive, so
 * nothing outside a kernel call may keep one). Registry callbacks only run once the event loop
 * turns, so a synchronous loop cannot rely on them: past `budget` live bytes, `alloc` refuses
 * and the caller falls back to ordinary arrays, which V8's GC reclaims by itself.
 */
export class ResidentArrays {
  private readonly blocks = new WeakMap<TypedArray, Held>();
  private readonly registry = new FinalizationRegistry<Held>((held) => this.free(held));
  private live = 0;
  private count = 0;
  private refusedCount = 0;
  private sinceNudge = 0;
  private nudges = 0;
  /** The last nudge: held until the next one, so that the allocation really happens. */
  private readonly nudge: ArrayBuffer[] = [];

  /**
   * `zero(address, bytes)` clears memory: the module's `memory.fill`, since TypedArray.fill on
   * a SharedArrayBuffer runs element by element (measured 10-30× slower than a memset in Node 20).
   */
  constructor(
    private readonly pool: BlockPool,
    private readonly memory: WasmMemory,
    private budget: number,
    private readonly zero: (address: number, bytes: number) => void,
  ) {}

  /**
   * A zero-filled resident array of `size` elements of `dtype` (any contents with
   * `uninitialized`), or undefined (budget reached, memory full).
   */
  alloc(dtype: DType, size: number, uninitialized = false): TypedArray | undefined {
    const bytes = size * itemSize(dtype);
    if (this.live + sizeClass(bytes).bytes > this.budget) {
      this.refusedCount++;
      return undefined;
    }
    const block = this.pool.take(bytes);
    if (block === undefined) {
      this.refusedCount++;
      return undefined;
    }
    const buffer = this.pool.buffer() as ArrayBuffer;
    if (!block.fresh && !uninitialized) this.zero(block.address, bytes);
    const data = typedArrayOf(dtype, size, buffer, block.address);
    const held: Held = { block, live: true };
    this.blocks.set(data, held);
    this.registry.register(data, held, data);
    this.live += block.bytes;
    this.count++;
    this.sinceNudge += block.bytes;
    if (this.sinceNudge >= this.budget / 4) {
      this.sinceNudge = 0;
      this.nudges++;
      this.nudge.length = 0;
      this.nudge.push(new ArrayBuffer(NUDGE_BYTES));
    }
    return data;
  }

  /** Returns `data`'s block at once (no-op for an array that is not resident here or already released). */
  release(data: TypedArray): void {
    const held = this.blocks.get(data);
    if (held === undefined) return;
    this.blocks.delete(data);
    this.registry.unregister(data);
    this.free(held);
  }

  /** Whether `data` is a resident array of this pool that has not been released. */
  isResident(data: TypedArray): boolean {
    return this.blocks.has(data);
  }

  /** Changes the cap on live bytes (arrays already resident stay). */
  setBudget(bytes: number): void {
    this.budget = bytes;
  }

  stats(): PoolStats {
    return {
      liveBytes: this.live,
      liveArrays: this.count,
      budgetBytes: this.budget,
      reservedBytes: this.pool.reserved,
      memoryBytes: this.memory.buffer.byteLength,
      refused: this.refusedCount,
      collectionHints: this.nudges,
    };
  }

  private free(held: Held): void {
    if (!held.live) return;
    held.live = false;
    this.live -= held.block.bytes;
    this.count--;
    this.pool.give(held.block);
  }
}
