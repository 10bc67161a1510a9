// Copies of large, reused operand arrays kept in linear memory. An eager kernel otherwise copies
// every operand into its scratch at every call (tanh(a*b + c) over 1e6 float32 elements spends a
// third of its time there), although a tensor's array never changes once written: only recycled
// arrays (written again for their next tensor) and jit's planned buffers (rewritten by every
// replay; so are a lowered program's arrays in the instance's memory, which the backend's
// `resident.view` declares) do, and dtype.ts tells both apart. So an array read often enough is copied once into a
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
   * Per array of one call, the byte address of a copy of all of it in linear memory, made now
   * if this is its `copyAtUse`-th read and it fits the budget; -1 where it has none (the caller
   * stages it) and for a null entry (an operand not to look up). A copy made here never gives
   * back another of the same call's arrays: its region could be reused under the kernel's
   * reads. Call it before the call's scratch is laid out: making a copy may move the scratch
   * and grow the memory.
   */
  addressesFor(arrays: readonly (TypedArray | null)[]): number[] {
    return this.lookUp(arrays, false)!;
  }

  /**
   * {@link addressesFor} for a caller that needs every array given resident: their copies'
   * addresses (-1 for null entries), or null, having made no copy, where any of them would have
   * none after this read (every read is counted) or they do not fit the budget together.
   */
  addressesOf(arrays: readonly (TypedArray | null)[]): number[] | null {
    return this.lookUp(arrays, true);
  }

  /**
   * `views` (reading `counts` elements each) of one call as staged in their arrays' resident
   * copies, each null where it has none (or reads fewer elements than its array holds: staging
   * copies only its span). Like `addressesFor`, called before the call's scratch is laid out.
   */
  stagedViews(views: readonly StridedView[], counts: readonly number[]): (Staged | null)[] {
    const at = this.addressesFor(views.map((v, i) => (v.data.length <= counts[i]! ? v.data : null)));
    return views.map((v, i) => (at[i]! < 0 ? null : { ptr: at[i]!, offset: v.offset, strides: v.strides }));
  }

  private lookUp(arrays: readonly (TypedArray | null)[], all: boolean): number[] | null {
    const facts = arrays.map((data) => (data === null ? null : this.read(data)));
    const wanted = (k: Known | null): k is Known => k !== null && (k.at >= 0 || k.uses >= this.copyAtUse);
    if (all) {
      if (!facts.every((k, i) => arrays[i] === null || wanted(k))) return null;
      let bytes = 0;
      for (const k of new Set(facts)) if (k !== null) bytes += k.bytes;
      if (bytes > this.budget) return null;
    } else if (!facts.some(wanted)) return facts.map(() => -1);
    // This call's arrays that have copies are not given back while the others are copied.
    const kept = new Set(facts.filter((k): k is Known => k !== null && k.at >= 0));
    return facts.map((k, i) => {
      if (!wanted(k)) return -1;
      if (k.at < 0 && !this.makeRoom(k.bytes, kept)) return -1;
      if (k.at < 0) this.copy(k, arrays[i]!);
      kept.add(k);
      // The most recently read last.
      this.order.delete(k.at);
      this.order.set(k.at, k);
      return k.at;
    });
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

  /** Gives back the least recently read copies, except `kept`, until `bytes` more fit the budget; false where they cannot. */
  private makeRoom(bytes: number, kept: ReadonlySet<Known>): boolean {
    // (Deleting the entry being visited is safe in a Map's iteration.)
    for (const oldest of this.order.values()) {
      if (this.heldBytes + bytes <= this.budget) return true;
      if (!kept.has(oldest)) this.drop(oldest);
    }
    return this.heldBytes + bytes <= this.budget;
  }

  /** Makes `data`'s copy (there is room for it). */
  private copy(k: Known, data: TypedArray): void {
    k.at = this.arena.hold(k.bytes, false);
    this.order.set(k.at, k);
    this.heldBytes += k.bytes;
    this.collected.register(data, k, k);
    const dtype = dtypeOfArray(data);
    this.arena.view(dtype).set(data, k.at / itemSize(dtype));
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
