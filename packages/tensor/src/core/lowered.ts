// jit's lowered replay: the kernel calls of one replay, recorded at the backend boundary, run
// again on memory the program keeps inside the backend (a WebAssembly instance's linear memory).
// A replay so lowered creates no tensors, views or plans per step: it calls the backend's
// kernels in the recorded order with the recorded arguments, the program's inputs and captured
// tensors substituted, and copies its outputs out. Intermediates stay where the kernels wrote
// them (the backend reads arrays in its own memory in place).
//
// A recording is lowered only where it provably describes the whole computation: every array a
// kernel reads is an input or captured tensor, or was written by an earlier recorded call (an
// array a primitive filled in JavaScript is neither, and the program keeps the ordinary replay;
// so the library's primitives leave such work to kernels: take's positions are indexPositions',
// and arrays in a primitive's parameters are passed as they are). Intermediates share memory
// where their lifetimes do not overlap, except an array a kernel writes only in part, which
// keeps memory of its own (zero-filled once). Later calls check that the inputs and captured
// tensors have the recorded layouts; where one differs, or a kernel grows the backend's memory
// mid-replay, that call runs the ordinary replay instead.
import type { Backend, FusedKernels, KernelName, ResidentMemory, StridedView } from '../backend/backend.js';
import { activeBackend, withStandIn } from '../backend/registry.js';
import type { OutputTarget } from './primitive.js';
import { Tensor, type View, viewWithData } from './tensor.js';
import { allocate, allocateUnfilled, dtypeOfArray, type DType, type TypedArray } from '../dtype.js';
import { shapesEqual } from '../shape.js';

/** The backend's kernels, and the argument each writes (its `out`, or `copy`'s destination view). */
const WRITTEN: Record<KernelName | 'fused', number> = {
  unary: 2,
  binary: 4,
  where: 4,
  copy: 1,
  reduce: 4,
  matmul: 6,
  gather: 5,
  indexPositions: 4,
  scatterAdd: 5,
  cumsum: 4,
  argsort: 4,
  takeAlong: 5,
  unfold: 3,
  fold: 3,
  fused: 3,
};
type Method = keyof typeof WRITTEN;

/** One recorded kernel call, or the zero-filling of an array a primitive asked for as zeros. */
type Call = { readonly method: Method; readonly args: readonly unknown[] } | { readonly method: 'zeros'; readonly array: TypedArray };

/** A recorder for a replay on the active backend, where it has memory of its own (else null: nothing to lower onto). */
export function recorderForActiveBackend(): CallRecorder | null {
  const backend = activeBackend();
  return backend.resident === undefined ? null : new CallRecorder(backend);
}

/** The recording of one replay: a backend that forwards every kernel call and logs it. */
export class CallRecorder {
  readonly calls: Call[] = [];
  readonly standIn: Backend;

  constructor(readonly backend: Backend) {
    const calls = this.calls;
    const forward =
      (method: KernelName) =>
      (...args: unknown[]): unknown => {
        calls.push({ method, args });
        // What a kernel returns is passed on (indexPositions' first bad entry).
        return (backend[method] as (...a: unknown[]) => unknown)(...args);
      };
    const real = backend.fused;
    const fused: FusedKernels | undefined = real && {
      unaryVariant: (...a) => real.unaryVariant(...a),
      ...(real.reduces === undefined ? {} : { reduces: real.reduces.bind(real) }),
      run: (...args) => {
        const ran = real.run(...args);
        // A fused kernel that declined wrote nothing: the equations' own calls follow.
        if (ran) calls.push({ method: 'fused', args });
        return ran;
      },
    };
    const kernels = Object.fromEntries((Object.keys(WRITTEN) as Method[]).flatMap((m) => (m === 'fused' ? [] : [[m, forward(m)]])));
    this.standIn = { ...(kernels as Pick<Backend, KernelName>), name: backend.name, fused };
  }

  /** Runs `f` with the recording backend active. */
  record<T>(f: () => T): T {
    return withStandIn(this.standIn, f);
  }

  /** `target` with its zero-filled arrays logged (the lowered replay fills them again). */
  target(target: OutputTarget): OutputTarget {
    return {
      array: target.array,
      zeros: (dtype, size) => {
        const array = target.zeros(dtype, size);
        this.calls.push({ method: 'zeros', array });
        return array;
      },
    };
  }
}

/** Where an array of a recorded call lives: in a program slot, in a source (an input or captured tensor), or in a fresh output. */
type Place =
  | { readonly kind: 'slot'; readonly byte: number; readonly length: number; readonly dtype: DType }
  /** Elements [element, element + length) of source `index`, or of fresh output `index`, made at each call. */
  | {
      readonly kind: 'source' | 'fresh';
      readonly index: number;
      readonly element: number;
      readonly length: number;
      readonly whole: boolean;
    }
  /** An array a primitive holds in its parameters (take's positions): the same, unchanged, at every call. */
  | { readonly kind: 'fixed'; readonly array: TypedArray };

/** An output made fresh at each call: its dtype, length, and whether it must start zeroed. */
interface FreshOutput {
  readonly dtype: DType;
  readonly length: number;
  readonly zeroed: boolean;
}

/**
 * An intermediate (overlapping arrays of one buffer): its bytes there, its place in the
 * program's memory, its index among the fresh outputs (or -1), the first and last calls that
 * touch it, and whether the first call writing it writes all of it.
 */
interface Slot {
  readonly start: number;
  end: number;
  at: number;
  produced: boolean;
  fresh: number;
  first: number;
  last: number;
  writtenWhole: boolean;
}

/** A source copied into the program's memory at each call: its slot, dtype and length. */
interface CopiedSource {
  readonly at: number;
  readonly dtype: DType;
  readonly length: number;
}

// Sources up to this many bytes are copied in (a copy costs less than rebuilding their calls).
const COPY_IN_MAX = 1 << 16;

/** A recorded argument with its arrays replaced by places. */
type ArgTemplate =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'array'; readonly place: Place }
  | { readonly kind: 'view'; readonly view: StridedView; readonly place: Place }
  | { readonly kind: 'views'; readonly views: readonly { readonly view: StridedView; readonly place: Place }[] };

interface CallTemplate {
  readonly method: Method | 'zeros';
  readonly args: readonly ArgTemplate[];
  /** Whether an argument is a source read in place or a fresh output (so the call is prepared again at every run). */
  readonly changesEachCall: boolean;
}

/** How a source was laid out when recorded (its array itself is not kept). */
interface Layout {
  readonly dtype: DType;
  readonly length: number;
  readonly offset: number;
  readonly strides: readonly number[];
}

// Templates keep their views' offsets and strides, not the recorded arrays (replaced at each build).
// They are plain objects made by viewWithData (a recorded view may be pending, whose fields a
// spread would miss), so the replay may copy them by spreading.
const NO_DATA = new Uint8Array(0);

/** An output: its recorded view (without its array), and where its array lives. */
interface OutputTemplate {
  readonly view: View;
  readonly place: Place;
}

const isView = (x: unknown): x is StridedView =>
  typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && ArrayBuffer.isView((x as StridedView).data);

let loweredRuns = 0;

/** How many replays in this process have run lowered (tests check that lowering happened). */
export function loweredReplays(): number {
  return loweredRuns;
}

// Held regions return to the backend once their program is unreachable.
const regions = new FinalizationRegistry<{ readonly memory: ResidentMemory; readonly address: number }>(({ memory, address }) =>
  memory.release(address),
);

/** A recorded replay bound to the backend's memory, runnable on later calls. */
export class LoweredProgram {
  private generation = -1;
  /** Per call, its prepared form (rebuilt after the memory grows; never kept for calls that change each call). */
  private prepared: (() => unknown)[] = [];
  private running = false;
  /** This call's fresh output arrays. */
  private freshArrays: TypedArray[] = [];
  /** How many outputs return each fresh array (counted at the first run). */
  private outputsOfFresh: number[] | null = null;
  /** Views (for the current generation) of the copied sources' slots and of the outputs' slots. */
  private copyViews: (TypedArray | null)[] = [];
  private outputViews: (TypedArray | null)[] = [];

  private constructor(
    readonly backend: Backend,
    private readonly memory: ResidentMemory,
    private readonly address: number,
    private readonly calls: readonly CallTemplate[],
    private readonly outputs: readonly OutputTemplate[],
    /** Per source: the layout its view had when recorded (later calls must match it). */
    private readonly layouts: readonly Layout[],
    /** Per source: its slot, where it is copied in at each call (null: read where it is). */
    private readonly copied: readonly (CopiedSource | null)[],
    /** The outputs written into fresh arrays at each call. */
    private readonly fresh: readonly FreshOutput[],
  ) {
    regions.register(this, { memory, address });
  }

  /**
   * The lowered form of `recorder`'s calls, whose replay read `sources` (the inputs, then the
   * captured tensors' values) and the `fixed` arrays (held in the primitives' parameters, never
   * written) and returned `outputs`; or a reason it cannot be lowered.
   */
  static from(
    recorder: CallRecorder,
    sources: readonly Tensor[],
    outputs: readonly Tensor[],
    fixed: ReadonlySet<TypedArray> = new Set(),
  ): LoweredProgram | string {
    const { backend } = recorder;
    const memory = backend.resident;
    if (memory === undefined) return 'the backend has no memory of its own';
    const layouts = sources.map((s) => s._view);
    // Sources by array; two sources sharing memory could be told apart by no later call.
    const sourceOf = new Map<ArrayBuffer, { index: number; start: number; end: number }[]>();
    for (const [index, view] of layouts.entries()) {
      const { buffer, byteOffset: start, byteLength } = view.data;
      const list = sourceOf.get(buffer as ArrayBuffer) ?? [];
      if (list.some((s) => s.start < start + byteLength && start < s.end)) return 'two inputs share memory';
      list.push({ index, start, end: start + byteLength });
      sourceOf.set(buffer as ArrayBuffer, list);
    }
    const sourcePlace = (a: TypedArray): Extract<Place, { kind: 'source' | 'fresh' }> | null => {
      const list = sourceOf.get(a.buffer as ArrayBuffer);
      const s = list?.find((x) => x.start <= a.byteOffset && a.byteOffset + a.byteLength <= x.end);
      if (s === undefined) return null;
      const source = layouts[s.index]!.data;
      const element = (a.byteOffset - s.start) / a.BYTES_PER_ELEMENT;
      return { kind: 'source', index: s.index, element, length: a.length, whole: element === 0 && a.length === source.length };
    };
    // An array the program does not place: a source's, or one a primitive holds in its parameters.
    const isExternal = (a: TypedArray): boolean => fixed.has(a) || sourcePlace(a) !== null;

    // Every other array is an intermediate: overlapping ones (views of one another) share a slot.
    const arraysOf = (call: Call): TypedArray[] =>
      call.method === 'zeros'
        ? [call.array]
        : call.args.flatMap((x) =>
            ArrayBuffer.isView(x) ? [x as TypedArray] : isView(x) ? [x.data] : Array.isArray(x) ? x.filter(isView).map((v) => v.data) : [],
          );
    const intervals = new Map<ArrayBuffer, [number, number][]>();
    const addInterval = (a: TypedArray): void => {
      if (isExternal(a)) return;
      const list = intervals.get(a.buffer as ArrayBuffer) ?? [];
      list.push([a.byteOffset, a.byteOffset + a.byteLength]);
      intervals.set(a.buffer as ArrayBuffer, list);
    };
    for (const call of recorder.calls) for (const a of arraysOf(call)) addInterval(a);
    for (const t of outputs) addInterval(t._view.data);
    // Merged intervals: each one slot.
    const slots = new Map<ArrayBuffer, Slot[]>();
    for (const [buffer, list] of intervals) {
      list.sort((x, y) => x[0] - y[0]);
      const merged: Slot[] = [];
      for (const [start, end] of list) {
        const last = merged[merged.length - 1];
        if (last !== undefined && start < last.end) last.end = Math.max(last.end, end);
        else merged.push({ start, end, at: -1, produced: false, fresh: -1, first: -1, last: -1, writtenWhole: false });
      }
      slots.set(buffer, merged);
    }
    // (An empty array belongs to any slot it touches: it has no bytes to place.)
    const slotOf = (a: TypedArray) =>
      slots
        .get(a.buffer as ArrayBuffer)!
        .find((s) => s.start <= a.byteOffset && (a.byteOffset < s.end || (a.byteLength === 0 && a.byteOffset <= s.end)))!;
    // A large output that is an array of its own is written into a fresh array at each call (so
    // it need not be copied out); calls that touch it are prepared again at each call.
    const fresh: FreshOutput[] = [];
    for (const t of outputs) {
      const a = t._view.data;
      if (isExternal(a) || a.byteLength <= COPY_IN_MAX) continue;
      const slot = slotOf(a);
      if (slot.fresh >= 0 || slot.start !== a.byteOffset || slot.end !== a.byteOffset + a.byteLength) continue;
      slot.fresh = fresh.length;
      fresh.push({ dtype: dtypeOfArray(a), length: a.length, zeroed: true });
    }

    // In call order: what a call reads must be a source or written before; sources are never
    // written. Meanwhile each slot's lifetime (first and last call touching it), and whether its
    // first call writes all of it (a kernel's whole result, or zeros).
    for (const [i, call] of recorder.calls.entries()) {
      const written = writtenBy(call);
      if (sourcePlace(written) !== null) return `${call.method} writes an input`;
      if (fixed.has(written)) return `${call.method} writes a primitive's parameter`;
      for (const a of arraysOf(call)) {
        if (isExternal(a)) continue;
        const slot = slotOf(a);
        if (a !== written && !slot.produced) return `${call.method} reads an array no kernel wrote`;
        if (slot.first < 0) slot.first = i;
        slot.last = i;
      }
      const target = slotOf(written);
      if (!target.produced)
        target.writtenWhole =
          call.method !== 'copy' && written.byteOffset === target.start && written.byteLength === target.end - target.start;
      // A fresh output first written whole by a kernel need not be zeroed.
      if (!target.produced && target.fresh >= 0 && target.writtenWhole) fresh[target.fresh] = { ...fresh[target.fresh]!, zeroed: false };
      target.produced = true;
    }
    for (const t of outputs) {
      if (isExternal(t._view.data)) continue;
      const slot = slotOf(t._view.data);
      if (!slot.produced) return 'an output no kernel wrote';
      slot.last = Number.POSITIVE_INFINITY;
    }

    // Places in one held region, 64-byte aligned. A slot whose first call writes it whole may
    // take the place of one no later call touches (no call then reads what another wrote
    // there); any other keeps the zeros it was held with, so it gets a place of its own.
    const places: { at: number; bytes: number; until: number }[] = [];
    let bytes = 0;
    const placeAt = (need: number, from: number, until: number, reuse: boolean): number => {
      let pick: { at: number; bytes: number; until: number } | undefined;
      if (reuse) for (const p of places) if (p.until < from && p.bytes >= need && (pick === undefined || p.bytes < pick.bytes)) pick = p;
      if (pick === undefined) {
        // A place held for its zeros stays its slot's on every call.
        pick = { at: bytes, bytes: need, until: reuse ? until : Number.POSITIVE_INFINITY };
        places.push(pick);
        bytes += need;
      } else pick.until = until;
      return pick.at;
    };
    const ordered = [...slots.values()].flat().filter((slot) => slot.fresh < 0 && slot.first >= 0);
    ordered.sort((x, y) => x.first - y.first);
    for (const slot of ordered) slot.at = placeAt((slot.end - slot.start + 63) & ~63, slot.first, slot.last, slot.writtenWhole);
    // Small sources are copied into places of their own at each call, so that every call reads
    // memory at fixed places and is prepared once; large ones are read where they are.
    const copied = layouts.map((view): CopiedSource | null =>
      view.data.byteLength > COPY_IN_MAX
        ? null
        : {
            at: placeAt((view.data.byteLength + 63) & ~63, -1, Number.POSITIVE_INFINITY, false),
            dtype: view.dtype,
            length: view.data.length,
          },
    );
    const placeOf = (a: TypedArray): Place => {
      if (fixed.has(a)) return { kind: 'fixed', array: a };
      const source = sourcePlace(a);
      if (source !== null) {
        const copy = copied[source.index];
        if (copy === null || copy === undefined) return source;
        return { kind: 'slot', byte: copy.at + source.element * a.BYTES_PER_ELEMENT, length: a.length, dtype: dtypeOfArray(a) };
      }
      const slot = slotOf(a);
      if (slot.fresh >= 0) {
        const element = (a.byteOffset - slot.start) / a.BYTES_PER_ELEMENT;
        const whole = element === 0 && a.length === fresh[slot.fresh]!.length;
        return { kind: 'fresh', index: slot.fresh, element, length: a.length, whole };
      }
      return { kind: 'slot', byte: slot.at + a.byteOffset - slot.start, length: a.length, dtype: dtypeOfArray(a) };
    };

    const calls: CallTemplate[] = [];
    for (const call of recorder.calls) {
      let changesEachCall = false;
      const placed = (a: TypedArray): Place => {
        const place = placeOf(a);
        changesEachCall ||= place.kind !== 'slot' && place.kind !== 'fixed';
        return place;
      };
      const template = (x: unknown): ArgTemplate => {
        if (ArrayBuffer.isView(x)) return { kind: 'array', place: placed(x as TypedArray) };
        if (isView(x)) return { kind: 'view', view: viewWithData(x, NO_DATA), place: placed(x.data) };
        if (Array.isArray(x) && x.some(isView))
          return { kind: 'views', views: (x as StridedView[]).map((v) => ({ view: viewWithData(v, NO_DATA), place: placed(v.data) })) };
        return { kind: 'value', value: x };
      };
      const args = call.method === 'zeros' ? [template(call.array)] : call.args.map(template);
      calls.push({ method: call.method, args, changesEachCall });
    }
    const outs = outputs.map(
      (t): OutputTemplate => ({
        view: viewWithData(t._view, NO_DATA),
        place: sourcePlace(t._view.data) ?? placeOf(t._view.data),
      }),
    );
    const address = memory.hold(bytes);
    const recorded = layouts.map((v): Layout => ({ dtype: v.dtype, length: v.data.length, offset: v.offset, strides: v.strides }));
    return new LoweredProgram(backend, memory, address, calls, outs, recorded, copied, fresh);
  }

  /**
   * Runs the program on `sources` (laid out as recorded), or returns null where the ordinary
   * replay must run (another backend is active, a source has another layout, or the memory grew).
   */
  run(sources: readonly Tensor[]): Tensor[] | null {
    if (this.running || activeBackend() !== this.backend) return null;
    for (let i = 0; i < sources.length; i++) if (!sameLayout(sources[i]!._view, this.layouts[i]!)) return null;
    const { memory, calls, copied } = this;
    this.running = true;
    try {
      if (this.generation !== memory.generation) {
        // Views of the memory taken before it grew are detached: every call is prepared again.
        this.generation = memory.generation;
        this.prepared = [];
        this.copyViews = copied.map((copy) => (copy === null ? null : memory.view(copy.dtype, this.address + copy.at, copy.length)));
        this.outputViews = this.outputs.map(({ place }) => (place.kind === 'slot' ? this.array(place, sources) : null));
      }
      const { copyViews, outputViews } = this;
      for (let k = 0; k < copyViews.length; k++) copyViews[k]?.set(sources[k]!._view.data);
      this.freshArrays = this.fresh.map((f) => (f.zeroed ? allocate : allocateUnfilled)(f.dtype, f.length));
      const { prepared } = this;
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i]!;
        const again = prepared[i];
        let result: unknown;
        if (again === undefined) {
          const first = this.prepare(call, sources);
          result = first.result;
          if (!call.changesEachCall) prepared[i] = first.again;
        } else result = again();
        // A fused kernel that declined here (it ran when recorded) leaves the call to the ordinary
        // replay, and so does an index out of range: the primitive there reports it.
        if (result === false || (call.method === 'indexPositions' && result !== -1)) return null;
        // A kernel that grew the memory may have read a detached view: this call replays anew.
        if (memory.generation !== this.generation) return null;
      }
      loweredRuns++;
      const outputsOf = (this.outputsOfFresh ??= this.fresh.map(
        (_, i) => this.outputs.filter(({ place }) => place.kind === 'fresh' && place.index === i).length,
      ));
      return this.outputs.map(({ view, place }, k) => {
        if (place.kind !== 'slot') {
          const out = new Tensor({ ...view, data: this.array(place, sources) });
          // A fresh array of this call that only this output returns is held by it alone (see
          // Tensor.dispose); a source's array is the caller's.
          if (place.kind === 'fresh' && place.whole && outputsOf[place.index] === 1) out._owns = true;
          return out;
        }
        const copy = allocateUnfilled(place.dtype, place.length);
        copy.set(outputViews[k]!);
        const out = new Tensor({ ...view, data: copy });
        out._owns = true;
        return out;
      });
    } catch (e) {
      if (memory.generation !== this.generation) return null;
      throw e;
    } finally {
      this.running = false;
    }
  }

  /** Runs a call for the first time since its arrays were placed, and returns its prepared form. */
  private prepare(call: CallTemplate, sources: readonly Tensor[]): { readonly result: unknown; readonly again: () => unknown } {
    const args = this.build(call, sources);
    if (call.method === 'zeros') {
      const array = args[0] as TypedArray;
      const again = () => array.fill(0);
      return { result: again(), again };
    }
    return this.memory.prepare(call.method, args);
  }

  private array(place: Place, sources: readonly Tensor[]): TypedArray {
    if (place.kind === 'slot') return this.memory.view(place.dtype, this.address + place.byte, place.length);
    if (place.kind === 'fixed') return place.array;
    const data = place.kind === 'fresh' ? this.freshArrays[place.index]! : sources[place.index]!._view.data;
    return place.whole ? data : data.subarray(place.element, place.element + place.length);
  }

  private build(call: CallTemplate, sources: readonly Tensor[]): unknown[] {
    return call.args.map((a) => {
      switch (a.kind) {
        case 'value':
          return a.value;
        case 'array':
          return this.array(a.place, sources);
        case 'view':
          return { ...a.view, data: this.array(a.place, sources) };
        case 'views':
          return a.views.map(({ view, place }) => ({ ...view, data: this.array(place, sources) }));
      }
    });
  }
}

/** The array `call` writes. */
function writtenBy(call: Call): TypedArray {
  if (call.method === 'zeros') return call.array;
  const w = call.args[WRITTEN[call.method]];
  return ArrayBuffer.isView(w) ? (w as TypedArray) : (w as StridedView).data;
}

/** Whether `v` has the layout `recorded` had: dtype, array length, offset and strides. */
const sameLayout = (v: View, recorded: Layout): boolean =>
  v.dtype === recorded.dtype &&
  v.data.length === recorded.length &&
  v.offset === recorded.offset &&
  shapesEqual(v.strides, recorded.strides);
