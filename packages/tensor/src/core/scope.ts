// The open `tidy` scope (core/tidy.ts): what was made while it is open, so that its end can end
// the lives of the tensors it did not return and hand their arrays to later allocations.
// Tensor's constructor lists itself here; the allocators list their arrays in the log this
// module hands to dtype.ts.
import type { TypedArray } from '../dtype.js';
import { setAllocationLog } from '../dtype.js';
import type { Tensor } from './tensor.js';

/** One open scope. */
export interface Scope {
  /** Numbers the scope: a tensor's `_scope` is the serial of the scope open when it was made (0: none). */
  readonly serial: number;
  /** Tensors made while this scope was the innermost open one. */
  readonly tensors: Tensor[];
  /** Arrays allocated meanwhile (dtype.ts `allocate` and `allocateUnfilled`). */
  readonly arrays: TypedArray[];
  /** Of those, arrays that tensors made outside this scope came to hold (an `assign`, a pending value computed here). */
  readonly heldOutside: Set<TypedArray>;
  /** Tensors exempted meanwhile (`keep`, a gradient stored on a leaf): they count as made outside every scope. */
  readonly kept: Tensor[];
  /** The scope this one is inside, or null. */
  readonly outer: Scope | null;
}

let open: Scope | null = null;
let serials = 0;

/** The innermost open scope, or null. */
export function openScope(): Scope | null {
  return open;
}

/** Opens a scope inside the current one and returns it. */
export function enterScope(): Scope {
  const scope: Scope = { serial: ++serials, tensors: [], arrays: [], heldOutside: new Set(), kept: [], outer: open };
  open = scope;
  setAllocationLog(scope.arrays);
  return scope;
}

/** Closes `scope` (the innermost one): its outer scope is open again. */
export function exitScope(scope: Scope): void {
  open = scope.outer;
  setAllocationLog(open === null ? null : open.arrays);
}

/**
 * Runs `f` as if no scope were open: what it makes belongs to no scope (jit's tracing, whose
 * constants live as long as the compiled program).
 */
export function outsideScopes<T>(f: () => T): T {
  const saved = open;
  if (saved === null) return f();
  open = null;
  setAllocationLog(null);
  try {
    return f();
  } finally {
    open = saved;
    setAllocationLog(saved.arrays);
  }
}

/** Records that `t`, made outside the open scope, now holds `data` (so the scope's end leaves it alone). */
export function noteHeldOutside(t: Tensor, data: TypedArray): void {
  if (open !== null && t._scope !== open.serial) open.heldOutside.add(data);
}

/**
 * Exempts `t` from the end of every open scope (a gradient stored on a leaf, an optimiser's
 * state): it counts as made outside them all.
 */
export function keepInScope(t: Tensor): void {
  if (open === null) return;
  t._scope = 0;
  // Its array is in the scope's list: a dispose() before the scope ends leaves it to the end,
  // which would otherwise hand it out a second time.
  t._owns = false;
  open.kept.push(t);
}
