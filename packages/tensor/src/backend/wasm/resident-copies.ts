// Copies of large, reused operand arrays kept in linear memory. An eager kernel otherwise copies
// every operand into its scratch at every call (tanh(a*b + c) over 1e6 float32 elements spends a
// third of its time there), although a tensor's array never changes once written: only recycled
// arrays (written again for their next tensor) and jit's planned buffers (rewritten by every
// replay) do, and dtype.ts tells both apart. So an array read often enough is copied once into a
// held region and read there from then on, within a byte budget, least recently used out first.
import { dtypeOfArray, isRewritable, itemSize, lifeOf, type TypedArray } from '../../dtype.js';
import type { StridedView } from '../backend.js';
import type { Arena } from './arena.js';
import type { Staged } from './stage.js';

/** What is known of one array: how often it was read in its current life, and its copy's address once it has one. */
interface Known {
  /** The array's life (dtype.ts `lifeOf`) these facts are about; a recycled array starts anew. */
  life: number;
  uses: number;
  /** The copy's byte address, or -1 while it has none. */
  at: number;
  readonly bytes: number;
}

/**
 * The defaults. The gain was measured on 4 MB operands (docs/benchmarks.md, twelfth session);
 * 256 KiB is a choice, not a measured break-even: below it an operand is a few staged chunks that
 * stay in L2, and training loops' many small intermediates never take memory or a copy.
 */
export const RESIDENT_COPY_DEFAULTS = {
  /** The most bytes of copies kept. */
  budget: 64 << 20,
  /** Arrays smaller than this are staged per call (their copy costs less than keeping it). */
  minBytes: 256 << 10,
  /** The read of an array at which it is copied: an intermediate a gradient reads twice is never copied. */
  copyAtUse: 3,
} as const;

/** The copies of one backend's memory. */
export class ResidentCopies {
  private readonly known = new WeakMap<TypedArray, Known>();
  /** The arrays with copies, least recently read first (a Map keeps insertion order). */
  private readonly order = new Map<number, Known>();
  private heldBytes = 0;
  // An array collected while it has a copy gives its region back (later, between tasks).
  private readonly collected = new FinalizationRegistry<Known>((k) => this.drop(k));

  constructor(
    private readonly arena: Arena,
    private readonly budget: number,
    private readonly minBytes: number = RESIDENT_COPY_DEFAULTS.minBytes,
    private readonly copyAtUse: number = RESIDENT_COPY_DEFAULTS.copyAtUse,
  ) {}

  /**
   * The byte address of a copy of all of `data` in linear memory, made now if this is its
   * `copyAtUse`-th read; -1 where it has none (the caller stages it). Call it before the
   * call's scratch is laid out: making a copy may move the scratch and grow the memory.
   */
  addressOf(data: TypedArray): number {
    const k = this.read(data);
    return k === null ? -1 : k.at >= 0 || k.uses >= this.copyAtUse ? this.copy(k, data) : -1;
  }

  /**
   * {@link addressOf} for all of `arrays` at once: their copies' addresses, or null, having
   * made no copy, where any of them would have none after this read (every read is counted).
   * A caller that needs every operand resident then copies none it cannot use.
   */
  addressesOf(arrays: readonly TypedArray[]): number[] | null {
    const facts = arrays.map((data) => this.read(data));
    if (facts.some((k) => k === null || (k.at < 0 && k.uses < this.copyAtUse))) return null;
    return facts.map((k, i) => this.copy(k!, arrays[i]!));
  }

  /** Counts a read of `data` in its current life and returns its facts, or null where it is never copied. */
  private read(data: TypedArray): Known | null {
    const bytes = data.byteLength;
    if (bytes < this.minBytes || bytes > this.budget || data.buffer === this.arena.memoryBuffer || isRewritable(data)) return null;
    const life = lifeOf(data);
    let k = this.known.get(data);
    if (k === undefined) {
      k = { life, uses: 0, at: -1, bytes };
      this.known.set(data, k);
    } else if (k.life !== life) {
      // Recycled since: its copy holds another tensor's values.
      this.drop(k);
      k.life = life;
      k.uses = 0;
    }
    k.uses++;
    return k;
  }

  /** `data`'s copy (marked the most recently read), made now if it has none. */
  private copy(k: Known, data: TypedArray): number {
    if (k.at >= 0) {
      this.order.delete(k.at);
      this.order.set(k.at, k);
      return k.at;
    }
    for (const oldest of this.order.values()) {
      if (this.heldBytes + k.bytes <= this.budget) break;
      this.drop(oldest);
    }
    k.at = this.arena.hold(k.bytes, false);
    this.order.set(k.at, k);
    this.heldBytes += k.bytes;
    this.collected.register(data, k, k);
    const dtype = dtypeOfArray(data);
    this.arena.view(dtype).set(data, k.at / itemSize(dtype));
    return k.at;
  }

  /**
   * `view` (reading `count` elements) as staged in its array's resident copy, or null where
   * it has none (or reads fewer elements than its array holds: staging copies only its span).
   * Like `addressOf`, called before the call's scratch is laid out.
   */
  staged(view: StridedView, count: number): Staged | null {
    if (view.data.length > count) return null;
    const at = this.addressOf(view.data);
    return at < 0 ? null : { ptr: at, offset: view.offset, strides: view.strides };
  }

  /** Bytes of copies held now (tests check the budget). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Gives back `k`'s copy, if it has one. */
  private drop(k: Known): void {
    if (k.at < 0 || this.order.get(k.at) !== k) return;
    this.order.delete(k.at);
    this.arena.release(k.at);
    this.heldBytes -= k.bytes;
    this.collected.unregister(k);
    k.at = -1;
  }
}
