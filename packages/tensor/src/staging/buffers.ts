// jit's buffer plan: the intermediates of a fast replay (the values no output shares storage
// with) are written into buffers that belong to the compiled program and are reused by every
// later call, one buffer shared by values whose lifetimes do not overlap. A replay then
// allocates only its outputs, so a jitted training step makes almost no garbage.
//
// Which values share storage (a reshape or transpose returns a view of its input) is not
// declared by primitives: the first replay observes it. Each kernel gets a fresh buffer of its
// own there, and after each step the buffer its result lives in says which step's allocation
// the value belongs to. A value's buffer is planned only if no output lives in it and every
// step that read it is a library primitive (`retainsNothing`: a user's customOp may keep what
// it is given). Later replays check the same observation after every step; where one differs
// (a primitive that viewed its input now copies it, say), that replay stops using the plan for
// its remaining steps, copies any output found in a planned buffer, and the next call observes
// afresh.
import { allocate, allocateUnfilled, arrayOn, itemSize, markRewritable, type DType, type TypedArray } from '../dtype.js';
import type { OutputTarget } from '../core/primitive.js';
import { contiguousData, fromArray, type Tensor } from '../core/tensor.js';
import { stepOutput, type Plan, type Step } from './plan.js';
import type { Atom, Program } from './program.js';

/** One replay's view of the buffers: where step i writes, and the check after it. */
export interface BufferRun {
  /** Whether the targets are planned buffers (shared by values whose lifetimes do not overlap). */
  readonly planned: boolean;
  /** The target of step `i`'s kernel (undefined: fresh memory). */
  target(i: number): OutputTarget | undefined;
  /** Records or checks where step `i`'s result `value` lives. */
  observe(i: number, value: Tensor): void;
  /** The replay's outputs, each copied out if it lives in a planned buffer. */
  finish(outputs: Tensor[]): Tensor[];
  /** Ends the replay (also after a throw). */
  end(): void;
}

/** The array a step's kernel asked for while the first replay observed it. */
interface Request {
  readonly step: number;
  readonly dtype: DType;
  readonly size: number;
}

/** The buffers planned for one program: per step its target and the buffer its result must be in. */
interface BufferPlan {
  readonly targets: readonly (OutputTarget | undefined)[];
  /** Per step: the index of the planned buffer its result lives in, or -1 for none. */
  readonly expected: Int32Array;
  readonly indexOf: ReadonlyMap<ArrayBuffer, number>;
}

// A program whose observations keep changing is replayed without a plan after this many tries.
const MAX_OBSERVATIONS = 3;

/** The atoms step `s` reads. */
const readBy = (s: Step): readonly Atom[] => (s.kind === 'equation' ? s.eq.inputs : s.operands);
/** Whether step `s` keeps no reference to what it reads (a fused step runs library kernels only). */
export const retainsNothing = (s: Step): boolean => s.kind === 'fused' || s.eq.prim.retainsNothing === true;

let plannedRuns = 0;

/** How many replays in this process have followed a buffer plan to the end (tests check that planning happened). */
export function plannedReplays(): number {
  return plannedRuns;
}

const FRESH_RUN: BufferRun = { planned: false, target: () => undefined, observe: () => {}, finish: (outputs) => outputs, end: () => {} };

/** The buffer state of one compiled program on one backend: observing, planned, or given up. */
export class ReplayBuffers {
  private plan: BufferPlan | null = null;
  private observations = 0;
  private busy = false;

  constructor(
    private readonly program: Program,
    private readonly steps: Plan['steps'],
  ) {}

  /** Starts a replay: the first observes, later ones use the plan (a nested replay of the same program gets fresh memory). */
  begin(): BufferRun {
    if (this.busy || this.observations > MAX_OBSERVATIONS) return FRESH_RUN;
    this.busy = true;
    return this.plan === null ? this.observe() : this.planned(this.plan);
  }

  private observe(): BufferRun {
    const owners = new Map<ArrayBuffer, Request>();
    const requests = new Int32Array(this.steps.length);
    const roots: (Request | null)[] = new Array(this.steps.length).fill(null);
    const targetOf = (i: number): OutputTarget => {
      const fresh = (dtype: DType, size: number): TypedArray => {
        requests[i]!++;
        if (size === 0) return allocate(dtype, size);
        const buffer = new ArrayBuffer(size * itemSize(dtype));
        owners.set(buffer, { step: i, dtype, size });
        return arrayOn(dtype, buffer, size);
      };
      return { array: fresh, zeros: fresh };
    };
    let completed = false;
    return {
      planned: false,
      target: targetOf,
      observe: (i, value) => {
        roots[i] = owners.get(value._view.data.buffer as ArrayBuffer) ?? null;
      },
      finish: (outputs) => {
        completed = true;
        return outputs;
      },
      end: () => {
        this.busy = false;
        if (!completed) return;
        this.observations++;
        this.plan = this.planFrom(roots, requests);
      },
    };
  }

  /** Assigns buffers to the observed allocations that may be reused, by lifetime. */
  private planFrom(roots: readonly (Request | null)[], requests: Int32Array): BufferPlan {
    const { steps } = this;
    const stepOf = new Map<number, number>();
    steps.forEach((s, i) => stepOf.set(stepOutput(s), i));
    // The allocation an atom's value lives in (null: an input, a constant, or memory of its own).
    const rootOf = (a: Atom): Request | null => {
      const def = 'variable' in a ? stepOf.get(a.variable) : undefined;
      return def === undefined ? null : roots[def]!;
    };
    // Per allocation: whether it may be planned (never where an output lives), and the last step reading any value in it.
    const unsafe = new Set<Request>();
    for (const a of this.program.outputs) {
      const root = rootOf(a);
      if (root !== null) unsafe.add(root);
    }
    const lastUse = new Map<Request, number>();
    steps.forEach((s, i) => {
      for (const a of readBy(s)) {
        const root = rootOf(a);
        if (root === null) continue;
        lastUse.set(root, i);
        if (!retainsNothing(s)) unsafe.add(root);
      }
    });
    // A step that asked for more than one array cannot be told which one is its result.
    for (const root of new Set(roots)) if (root !== null && requests[root.step] !== 1) unsafe.add(root);

    // Greedy assignment in step order: a buffer is free again after the last step reading it.
    const bytes: number[] = [];
    const free: number[] = [];
    const releaseAt = new Map<number, number[]>();
    const bufferOf = new Map<Request, number>();
    steps.forEach((_, i) => {
      const root = roots[i] ?? null;
      if (root !== null && root.step === i && !unsafe.has(root) && lastUse.has(root)) {
        const need = root.size * itemSize(root.dtype);
        let pick = -1;
        for (const b of free) if (bytes[b]! >= need && (pick < 0 || bytes[b]! < bytes[pick]!)) pick = b;
        if (pick < 0 && free.length > 0) pick = free.reduce((x, y) => (bytes[y]! > bytes[x]! ? y : x));
        if (pick < 0) {
          pick = bytes.length;
          bytes.push(0);
        } else free.splice(free.indexOf(pick), 1);
        bytes[pick] = Math.max(bytes[pick]!, need);
        bufferOf.set(root, pick);
        const end = lastUse.get(root)!;
        releaseAt.set(end, [...(releaseAt.get(end) ?? []), pick]);
      }
      free.push(...(releaseAt.get(i) ?? []));
    });

    const buffers = bytes.map((n) => {
      const buffer = new ArrayBuffer(n);
      // Every replay writes these again: nothing may keep a copy of their contents.
      markRewritable(buffer);
      return buffer;
    });
    const indexOf = new Map(buffers.map((b, i) => [b, i]));
    const expected = new Int32Array(steps.length).fill(-1);
    const targets = steps.map((_, i): OutputTarget | undefined => {
      const root = roots[i] ?? null;
      const b = root === null ? undefined : bufferOf.get(root);
      if (b !== undefined) expected[i] = b;
      if (root === null || b === undefined || root.step !== i) return undefined;
      const array = arrayOn(root.dtype, buffers[b]!, root.size);
      const { dtype, size } = root;
      const mine = (d: DType, n: number): boolean => d === dtype && n === size;
      return {
        array: (d, n) => (mine(d, n) ? array : allocateUnfilled(d, n)),
        zeros: (d, n) => (mine(d, n) ? array.fill(0) : allocate(d, n)),
      };
    });
    return { targets, expected, indexOf };
  }

  private planned(plan: BufferPlan): BufferRun {
    let following = true;
    return {
      planned: true,
      target: (i) => (following ? plan.targets[i] : undefined),
      observe: (i, value) => {
        if (!following) return;
        const at = plan.indexOf.get(value._view.data.buffer as ArrayBuffer) ?? -1;
        if (at === plan.expected[i]) return;
        // Not what was observed: no later step writes a planned buffer, and the next call observes again.
        following = false;
        this.plan = null;
      },
      finish: (outputs) => {
        if (following) plannedRuns++;
        // Only after a mismatch can an output live in a planned buffer: then it is copied out.
        return outputs.map((t) =>
          plan.indexOf.has(t._view.data.buffer as ArrayBuffer) ? fromArray(contiguousData(t).slice(), t.shape, t.dtype) : t,
        );
      },
      end: () => {
        this.busy = false;
      },
    };
  }
}
