// The interpreter stack. Every operation goes through `bind`, which finds the highest active
// level among its inputs and lets that level's interpreter process it:
//   - level 0 evaluates: it calls the primitive's kernel;
//   - a forward level (jvp) evaluates on the primals one level down and pushes the tangents
//     through the primitive's JVP rules, which are themselves operations one level down;
//   - a reverse level (vjp, grad, requiresGrad) evaluates one level down and records a node;
//   - a batching level (vmap) holds, one level down, every example stacked along a batch axis
//     and calls the primitive's batching rule, itself written with operations one level down.
//     A batched tensor shows the shape of one example, so code inside vmap sees examples.
// Because each level only ever calls operations on values of lower levels, nested transforms
// compose (grad of grad, jvp of grad, vmap of grad, ...) and never confuse their perturbations
// or batch axes: a tensor
// that is a constant at level L simply has no trace at L.
// Level 1 is the imperative reverse level of `requiresGrad` tensors (PyTorch style); every
// functional transform opens a fresh level above all that exist.
import { AnomalyError, TraceError, formatShape } from '../errors.js';
import { expectFunction } from '../arguments.js';
import { anomalyEnabled, firstNonFinite, userCallSite } from './anomaly.js';
import { NotingOutput, type Primitive, type RuleContext } from './primitive.js';
import { isFloating } from '../dtype.js';
import { Tensor, contiguousData, type Node, type Recording, type Trace } from './tensor.js';
import { DEFER_MIN_ELEMENTS, deferElementwise, isPending, reducePending } from './deferred.js';
import { shapeSize } from '../shape.js';

export const IMPERATIVE_LEVEL = 1;

/** What an interpreter level does with an operation. */
export type LevelKind = 'forward' | 'reverse' | 'batch' | 'record';

interface Level {
  readonly id: number;
  readonly kind: LevelKind;
  active: boolean;
  /** The recording of a 'record' level (jit). */
  readonly recording?: Recording;
  /** For a 'record' level: the staging floor when it was opened (the enclosing recording, or 0). */
  readonly below?: number;
}

const levels = new Map<number, Level>([[IMPERATIVE_LEVEL, { id: IMPERATIVE_LEVEL, kind: 'reverse', active: true }]]);
let nextLevel = IMPERATIVE_LEVEL + 1;
let nextNodeId = 0;
let noGradDepth = 0;
let inBackward = 0;

function isActive(level: number): boolean {
  if (level === IMPERATIVE_LEVEL) return noGradDepth === 0;
  return levels.get(level)?.active === true;
}

/** Opens a new interpreter level above every existing one. */
export function openLevel(kind: LevelKind): number {
  const id = nextLevel++;
  levels.set(id, { id, kind, active: true });
  return id;
}

// The innermost open recording level: while a jit trace runs, every bind is processed at this
// level or above, even one whose inputs are all constants (JAX's "omnistaging"). Otherwise an op
// on captured tensors only (a parameter's broadcast) would run once, at trace time, and its
// result would be replayed as a stale constant.
let stagingFloor = 0;

/** Opens a recording level (jit's tracer) above every existing one: each bind there is told to `recording`. */
export function openRecordLevel(recording: Recording): number {
  const id = nextLevel++;
  levels.set(id, { id, kind: 'record', active: true, recording, below: stagingFloor });
  stagingFloor = id;
  return id;
}

/** Closes a level opened by {@link openRecordLevel} (the innermost one). */
export function closeRecordLevel(id: number): void {
  const level = levels.get(id);
  if (level?.kind === 'record' && stagingFloor === id) stagingFloor = level.below ?? 0;
  levels.delete(id);
}

/**
 * Whether a transform is open (a vjp, grad, jvp, vmap or jit trace above the imperative level) or
 * a backward pass is running: the tensors made now may be kept by the transform's tape.
 */
export function transformOpen(): boolean {
  return levels.size > 1 || inBackward > 0;
}

/** Whether a jit trace is being recorded (random draws and in-place changes are refused then). */
export function isRecording(): boolean {
  return stagingFloor > 0;
}

export function closeLevel(id: number): void {
  levels.delete(id);
}

/** The tensor as seen by the active levels: traces of finished transforms are looked through. */
export function effective(x: Tensor): Tensor {
  let t = x;
  while (t._trace !== null && !isActive(t._trace.level)) t = lookThrough(t._trace);
  return t;
}

/**
 * The value under the trace of a finished transform. A finished forward or reverse trace is
 * simply looked through; a finished vmap's cannot be: its value holds every example (another
 * shape), so a batched tensor kept past its vmap is an error, as JAX's leaked tracers are.
 */
function lookThrough(trace: Trace): Tensor {
  if (trace.kind === 'batch')
    throw new TraceError(
      'a tensor batched by a vmap that has returned was used outside it (it was kept, e.g. in a closure); use the results vmap returns',
    );
  return trace.primal;
}

/** The tensor one level below `level` (itself if it is a constant at `level`). */
export function lowerTo(x: Tensor, level: number): Tensor {
  const t = effective(x);
  return t._trace !== null && t._trace.level === level ? t._trace.primal : t;
}

/** The trace of `x` at `level`, if it is traced there. */
export function traceAt(x: Tensor, level: number): Trace | null {
  const t = effective(x);
  return t._trace !== null && t._trace.level === level ? t._trace : null;
}

/** The untraced tensor that holds the value (the level-0 view). */
export function valueOf(x: Tensor): Tensor {
  let t = x;
  while (t._trace !== null) t = isActive(t._trace.level) ? t._trace.primal : lookThrough(t._trace);
  return t;
}

export function newNode(
  level: number,
  prim: Primitive | null,
  params: unknown,
  out: Tensor,
  parents: readonly (Node | null)[],
  inputs: readonly Tensor[] | null,
): Node {
  return {
    id: nextNodeId++,
    level,
    prim,
    params,
    shape: out.shape,
    dtype: out.dtype,
    parents,
    inputs,
    out: null,
    grad: null,
    stack: anomalyEnabled() ? userCallSite() : null,
    released: false,
    walk: 0,
  };
}

/** A recorded node's inputs one level down: what its derivative rules consume. */
export function primalsOf(node: Node): Tensor[] {
  return node.inputs!.map((x) => (x._trace !== null && x._trace.level === node.level ? x._trace.primal : x));
}

/** Applies a primitive to tensors at whatever levels they live; the one entry to every op. */
export function bind<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor {
  let top = stagingFloor;
  for (const x of inputs) {
    if (x._trace !== null) {
      const t = effective(x);
      if (t._trace !== null && t._trace.level > top) top = t._trace.level;
    }
  }
  if (top === 0) return evaluate(prim, inputs, params);
  const level = levels.get(top)!;
  if (level.kind === 'record') return processRecord(prim, inputs, params, level);
  if (level.kind === 'forward') return processForward(prim, inputs, params, top);
  if (level.kind === 'batch') return processBatch(prim, inputs, params, top);
  return processReverse(prim, inputs, params, top);
}

// Nonzero while a reverse level computes a primal it records: the tape keeps that result and
// its rules read it, so deferring it would only compute it twice (once fused into a later
// expression, once for the rule).
let recordingPrimal = 0;

function evaluate<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor {
  let plain = inputs;
  for (const x of inputs) {
    if (x._trace !== null) {
      plain = inputs.map(valueOf);
      break;
    }
  }
  if (prim.elementwise !== undefined) {
    const pending = deferred(prim, plain, params);
    if (pending !== null) return pending;
  } else if (prim.reduction !== undefined && plain.length === 1 && isPending(plain[0]!)) {
    const reduced = reducePending(prim, plain[0]!, params);
    if (reduced !== null) return reduced;
  }
  EVAL_OUTPUT.reset();
  const out = prim.impl(plain, params, EVAL_OUTPUT);
  noteHolders(prim, plain, out);
  if (inBackward === 0 && anomalyEnabled()) checkForward(prim, plain, out);
  return out;
}

// (evaluate stays small, so that V8 inlines it into bind: the two steps below are functions of
// their own.)

/** An elementwise primitive's pending result (core/deferred.ts), or null where it runs now. */
function deferred<P>(prim: Primitive<P>, plain: readonly Tensor[], params: P): Tensor | null {
  // The size test first: for small tensors (most operations) it is the whole cost of eager fusion.
  if (plain.length === 0 || shapeSize(plain[0]!._view.shape) < DEFER_MIN_ELEMENTS || recordingPrimal !== 0 || anomalyEnabled()) return null;
  return deferElementwise(prim, plain, params);
}

/**
 * A library primitive's result over the array made for it is held by that result alone; any
 * other result may share an input's array (a view of it), or keep it, so the inputs no longer
 * hold theirs alone (see Tensor.dispose).
 */
function noteHolders<P>(prim: Primitive<P>, plain: readonly Tensor[], out: Tensor): void {
  if (EVAL_OUTPUT.madeFor(prim, out)) out._owns = true;
  else for (const x of plain) x._owns = false;
  EVAL_OUTPUT.reset();
}

const EVAL_OUTPUT = new NotingOutput();

function checkForward<P>(prim: Primitive<P>, inputs: readonly Tensor[], out: Tensor): void {
  const data = contiguousData(out);
  const bad = firstNonFinite(data);
  if (bad < 0) return;
  const value = data[bad];
  const shapes = inputs.map((x) => formatShape(x.shape)).join(', ');
  throw new AnomalyError(
    `${prim.name} produced ${value} at flat index ${bad} of its output ${formatShape(out.shape)} (inputs ${shapes})\n  created at ${userCallSite()}`,
  );
}

function processForward<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, level: number): Tensor {
  const primals = inputs.map((x) => lowerTo(x, level));
  const outPrimal = bind(prim, primals, params);
  // An int32 or bool result (a comparison, positions, bits) is a constant to every transform.
  if (!isFloating(outPrimal.dtype)) return outPrimal;
  const ctx: RuleContext<P> = { inputs: primals, out: outPrimal, params };
  let tangent: Tensor | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const trace = traceAt(inputs[i]!, level);
    const rule = prim.jvp[i];
    if (trace === null || trace.kind !== 'forward' || !rule) continue;
    const contribution = rule(trace.tangent, ctx);
    tangent = tangent === null ? contribution : tangent.add(contribution);
  }
  if (tangent === null) return outPrimal;
  return new Tensor(outPrimal._view, { kind: 'forward', level, primal: outPrimal, tangent });
}

/**
 * A tensor at batching level `level` whose examples are stacked along `axis` of `value` (one
 * level down). Its own view is example 0's, so its shape, dtype and rank are an example's.
 */
export function batchTracer(level: number, value: Tensor, axis: number): Tensor {
  const v = value._view;
  const keep = (_: number, d: number) => d !== axis;
  const view = { data: v.data, offset: v.offset, shape: v.shape.filter(keep), strides: v.strides.filter(keep), dtype: v.dtype };
  return new Tensor(view, { kind: 'batch', level, primal: value, axis });
}

function processBatch<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, level: number): Tensor {
  const values = new Array<Tensor>(inputs.length);
  const axes = new Array<number | null>(inputs.length);
  let size = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t = traceAt(inputs[i]!, level);
    if (t !== null && t.kind === 'batch') {
      values[i] = t.primal;
      axes[i] = t.axis;
      size = t.primal.shape[t.axis]!;
    } else {
      values[i] = lowerTo(inputs[i]!, level);
      axes[i] = null;
    }
  }
  const [out, axis] = prim.batch(values, axes, params, size);
  return axis === null ? out : batchTracer(level, out, axis);
}

/**
 * `x` with no derivative at any level (stopGradient): forward and reverse traces are dropped;
 * the batch traces of active vmaps stay, since they are part of the value, not a derivative.
 */
export function withoutDerivatives(x: Tensor): Tensor {
  const t = effective(x);
  const trace = t._trace;
  if (trace === null) return t;
  if (trace.kind !== 'batch') return withoutDerivatives(trace.primal);
  const primal = withoutDerivatives(trace.primal);
  return primal === trace.primal ? t : batchTracer(trace.level, primal, trace.axis);
}

/**
 * Whether `x` differs between the examples of an active vmap. Code that reads a tensor's
 * values (positions, masks) sees only example 0 of such a tensor, so it must refuse it.
 */
export function variesOverBatch(x: Tensor): boolean {
  for (let t = x; t._trace !== null; t = t._trace.primal) if (t._trace.kind === 'batch' && isActive(t._trace.level)) return true;
  return false;
}

/**
 * The tensor as a recorded node may keep it. A leaf can be `assign`ed later, which replaces
 * its storage in place; the node keeps its own handle on the current storage, so a backward
 * pass always sees the values the forward pass used.
 */
export function frozen(x: Tensor): Tensor {
  const t = x._trace;
  if (t !== null && !(t.kind === 'reverse' && t.node.prim === null)) return x;
  // The handle shares x's array: x no longer holds it alone (a dispose() must not recycle it).
  x._owns = false;
  const last = x._handle;
  if (last !== undefined && last._view === x._view && last._trace === t) return last;
  x._handle = new Tensor(x._view, t);
  return x._handle;
}

function processReverse<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, level: number): Tensor {
  const n = inputs.length;
  const seen = new Array<Tensor>(n);
  const primals = new Array<Tensor>(n);
  const parents = new Array<Node | null>(n);
  let traced = false;
  for (let i = 0; i < n; i++) {
    const x = effective(inputs[i]!);
    const t = x._trace;
    const here = t !== null && t.level === level;
    // A primal one level down is never user-assignable: vjp snapshots its arguments, and an
    // imperative leaf's assign swaps in a new primal rather than changing the old one.
    seen[i] = frozen(x);
    primals[i] = here ? t.primal : seen[i]!;
    const parent = here && t.kind === 'reverse' && prim.vjp[i] ? t.node : null;
    parents[i] = parent;
    if (parent !== null) traced = true;
  }
  let outPrimal: Tensor;
  if (traced) {
    recordingPrimal++;
    try {
      outPrimal = bind(prim, primals, params);
    } finally {
      recordingPrimal--;
    }
  } else outPrimal = bind(prim, primals, params);
  if (!traced || !isFloating(outPrimal.dtype)) return outPrimal;
  const node = newNode(level, prim as Primitive, params, outPrimal, parents, seen);
  const out = new Tensor(outPrimal._view, { kind: 'reverse', level, primal: outPrimal, node });
  node.out = out;
  return out;
}

// A recording level evaluates one level down, like the others, and names the result: every
// primitive is recorded, whatever its dtype, since a replay must compute everything.
function processRecord<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, level: Level): Tensor {
  const primals = inputs.map((x) => lowerTo(x, level.id));
  // One level down means below this recording too: the floor drops to the enclosing one.
  const floor = stagingFloor;
  stagingFloor = level.below ?? 0;
  let outPrimal: Tensor;
  try {
    outPrimal = bind(prim, primals, params);
  } finally {
    stagingFloor = floor;
  }
  const variables = inputs.map((x) => {
    const t = traceAt(x, level.id);
    return t !== null && t.kind === 'record' ? t.variable : null;
  });
  const recording = level.recording!;
  const variable = recording.equation(prim as Primitive, params, primals, variables, outPrimal);
  return new Tensor(outPrimal._view, { kind: 'record', level: level.id, primal: outPrimal, variable, recording });
}

/** Runs `fn` with the imperative graph off: nothing computed inside records `requiresGrad` history. */
export function noGrad<T>(fn: () => T): T {
  expectFunction('noGrad', 'fn', fn);
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

/** False inside `noGrad`: operations then record no `requiresGrad` history. */
export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

/** Marks a backward pass in progress: anomaly checks then look at cotangents, not at values. */
export function withinBackward<T>(fn: () => T): T {
  inBackward++;
  try {
    return fn();
  } finally {
    inBackward--;
  }
}
