// A model (and optionally its optimiser) as safetensors bytes and back. Parameters and buffers
// are stored under their `namedParameters()` and `namedBuffers()` names; optimiser buffers under `optimizer.<index>.<slot>`
// (the index counts the optimiser's parameters in `model.parameters()` order), with its kind, hyper-parameters and step counts as JSON in the metadata. With `layout: 'torch'`
// the names and layouts are PyTorch's `state_dict` (torch-layout.ts) instead. Browser-safe.
import { ArgumentError, type Tensor } from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';
import { Module, prepareStateDict } from '../module.js';
import { BUFFER_NAME, Optimizer, PREPARE_LOAD, type OptimizerState } from '../optim/optimizer.js';
import { checkChoice, checkOptions, checkString, describeValue } from '../validate.js';
import { decodeTensors, encodeTensors } from './safetensors.js';
import { prepareTorchStateDict, torchStateDictFor } from './torch-layout.js';

/** Prefix of optimiser buffers in a model file. */
export const OPTIMIZER_PREFIX = 'optimizer.';
const FORMAT_KEYS = { format: 'format', version: 'jacobi.version', optimizer: 'jacobi.optimizer' } as const;

/**
 * How a model file names and lays out the tensors: `'jacobi'` (the default) as
 * `namedParameters()` and `namedBuffers()`, with optimiser state if asked; `'torch'` as PyTorch's
 * `state_dict()` (see `torchStateDict`), so `model.load_state_dict(safetensors.torch.load_file(path))`
 * reads it and a file PyTorch saved loads here. Integer buffers are I64 in a `'torch'` file.
 */
export type ModelLayout = 'jacobi' | 'torch';
const LAYOUTS: readonly ModelLayout[] = ['jacobi', 'torch'];

/** Options of `encodeModel` and `saveModel`. */
export interface SaveOptions {
  /** Also store this optimiser's state (buffers, step counts, hyper-parameters). */
  optimizer?: Optimizer;
  /** Extra string metadata (e.g. a JSON model configuration). Keys `format` and `jacobi.*` are reserved. */
  metadata?: Record<string, string>;
  /** Names and layouts: jacobi's (default) or PyTorch's `state_dict` (`'torch'`, without `optimizer`). */
  layout?: ModelLayout;
}

/**
 * The model's parameters and buffers (and optionally optimiser state) as safetensors bytes. Whatever this
 * writes, `decodeModel` reads back into the same model and optimiser.
 *
 * @example
 * const bytes = encodeModel(model, { optimizer: opt, metadata: { config: '{}' } });
 */
export function encodeModel(model: Module, opts: SaveOptions = {}): Uint8Array {
  return encodeModelFor('encodeModel', model, opts);
}

/** `encodeModel` for the functions built on it: `op` names the function the user called. */
export function encodeModelFor(op: string, model: unknown, opts: unknown): Uint8Array {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  const o = checkOptions(op, opts);
  const layout = checkChoice(op, 'opts.layout', o.layout ?? 'jacobi', LAYOUTS);
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(checkOptions(op, o.metadata, 'opts.metadata'))) {
    if (k === FORMAT_KEYS.format || k.startsWith('jacobi.')) throw new ModelFileError(`metadata key '${k}' is reserved`, { op });
    metadata[k] = checkString(op, `opts.metadata['${k}']`, v);
  }
  if (layout === 'torch') {
    if (o.optimizer !== undefined) throw noTorchOptimizer(op, 'saved');
    // 'pt' is what Hugging Face's PyTorch files carry; int32 tensors go out as PyTorch's int64.
    metadata[FORMAT_KEYS.format] = 'pt';
    const state = torchStateDictFor(op, model);
    const integers = new Set([...state].filter(([, t]) => t.dtype === 'int32').map(([name]) => name));
    return encodeTensors(op, state, metadata, integers);
  }
  metadata[FORMAT_KEYS.format] = 'jacobi';
  metadata[FORMAT_KEYS.version] = '1';
  const entries: [string, Tensor][] = [...model.namedParameters(), ...model.namedBuffers()];
  for (const [name] of entries) {
    if (name.startsWith(OPTIMIZER_PREFIX))
      throw new ModelFileError(`parameter or buffer name '${name}' clashes with the optimiser prefix`, { op, tensor: name });
  }
  if (o.optimizer !== undefined) {
    if (!(o.optimizer instanceof Optimizer))
      throw new ArgumentError(`${op}: opts.optimizer must be an Optimizer, got ${describeValue(o.optimizer)}`);
    const state = inFileOrder(o.optimizer.stateDict(), fileOrder(model, o.optimizer));
    metadata[FORMAT_KEYS.optimizer] = JSON.stringify({ type: state.type, hyper: state.hyper, steps: state.steps });
    for (const [name, t] of state.buffers) entries.push([OPTIMIZER_PREFIX + name, t]);
  }
  return encodeTensors(op, entries, metadata);
}

/** Options of `decodeModel` and `loadModel`. */
export interface LoadOptions {
  /** Restore this optimiser's state too; the file must contain one. */
  optimizer?: Optimizer;
  /** A label for error messages (the file name). */
  file?: string;
  /** Names and layouts the file uses: jacobi's (default) or PyTorch's `state_dict` (`'torch'`, without `optimizer`). */
  layout?: ModelLayout;
}

/**
 * Decodes `bytes` into `model` (and `opts.optimizer`): everything is validated first, and on
 * any error neither the model nor the optimiser changes. Returns the file's metadata (a
 * null-prototype object).
 *
 * @example
 * const metadata = decodeModel(bytes, model, { optimizer: opt, file: 'model.safetensors' });
 */
export function decodeModel(bytes: Uint8Array, model: Module, opts: LoadOptions = {}): Record<string, string> {
  const op = 'decodeModel';
  const file = checkOptions(op, opts).file;
  return decodeModelFor(op, bytes, model, opts, file === undefined ? undefined : checkString(op, 'opts.file', file));
}

/** `decodeModel` for the functions built on it: `op` names the function the user called. */
export function decodeModelFor(
  op: string,
  bytes: unknown,
  model: unknown,
  opts: unknown,
  file: string | undefined,
): Record<string, string> {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  const o = checkOptions(op, opts);
  const optimizer = o.optimizer;
  if (optimizer !== undefined && !(optimizer instanceof Optimizer))
    throw new ArgumentError(`${op}: opts.optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
  const layout = checkChoice(op, 'opts.layout', o.layout ?? 'jacobi', LAYOUTS);
  if (layout === 'torch') {
    if (optimizer !== undefined) throw noTorchOptimizer(op, 'loaded');
    const { tensors, metadata } = decodeTensors(op, bytes, file, true);
    const hint =
      metadata[FORMAT_KEYS.format] === 'jacobi' ? ` (the file was saved in jacobi's layout: load it without layout: 'torch')` : '';
    withHint(() => prepareTorchStateDict(op, model, tensors, file), hint)();
    return metadata;
  }
  const { tensors, metadata } = decodeTensors(op, bytes, file);
  const params = new Map<string, Tensor>();
  const buffers = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) buffers.set(name.slice(OPTIMIZER_PREFIX.length), t);
    else params.set(name, t);
  }
  const applyModel = withHint(
    () => prepareStateDict(op, model, params, file),
    metadata[FORMAT_KEYS.format] === 'pt' ? ` (the file is a PyTorch state_dict: load it with layout: 'torch')` : '',
  );
  let applyOptimizer = (): void => {};
  if (optimizer !== undefined) {
    const saved = parseOptimizerState(op, metadata, buffers, file);
    applyOptimizer = optimizer[PREPARE_LOAD](op, inOptimizerOrder(saved, fileOrder(model, optimizer)), file);
  }
  applyModel();
  applyOptimizer();
  return metadata;
}

/** PyTorch keeps optimiser state apart from the model's `state_dict`, so a `'torch'` file holds none. */
function noTorchOptimizer(op: string, verb: 'saved' | 'loaded'): ArgumentError {
  return new ArgumentError(
    `${op}: opts.optimizer cannot be ${verb} with layout 'torch' (PyTorch keeps optimiser state apart from the model)`,
  );
}

/** `fn()`, with `hint` added to a ModelFileError it throws (why the names may not match). */
function withHint<T>(fn: () => T, hint: string): T {
  try {
    return fn();
  } catch (e) {
    if (hint === '' || !(e instanceof ModelFileError)) throw e;
    const prefix = `${e.op}: ${e.file === undefined ? '' : `${e.file}: `}`;
    throw new ModelFileError(e.message.slice(prefix.length) + hint, { op: e.op, file: e.file, tensor: e.tensor });
  }
}

/**
 * Where each of the optimiser's parameters goes in a model file: parameters are numbered in
 * `model.parameters()` order, so an optimiser built from `model.parameterTree()` (sorted keys)
 * and one built from `model.parameters()` read each other's files, slot by slot. An optimiser
 * with a parameter outside the model keeps its own order.
 */
function fileOrder(model: Module, optimizer: Optimizer): number[] {
  const position = new Map(model.parameters().map((p, i) => [p, i]));
  const at = optimizer.params.map((p) => position.get(p));
  if (at.some((x) => x === undefined)) return optimizer.params.map((_, i) => i);
  const byPosition = at.map((pos, i) => [pos!, i] as const).sort((a, b) => a[0] - b[0]);
  const order = new Array<number>(at.length);
  byPosition.forEach(([, i], rank) => {
    order[i] = rank;
  });
  return order;
}

/** `state` with parameter i's buffers and step count moved to `order[i]`. */
function inFileOrder(state: OptimizerState, order: readonly number[]): OptimizerState {
  const steps = new Array<number>(state.steps.length);
  state.steps.forEach((s, i) => {
    steps[order[i]!] = s;
  });
  const buffers = new Map<string, Tensor>();
  for (const [name, t] of state.buffers) {
    const [, i, slot] = BUFFER_NAME.exec(name)!;
    buffers.set(`${order[Number(i)]}.${slot}`, t);
  }
  return { ...state, steps, buffers };
}

/**
 * A file's state moved back to the optimiser's order. Entries that do not fit (a bad name, an
 * index past the parameters, steps of the wrong length) pass through as they are, for the
 * optimiser's own checks to name.
 */
function inOptimizerOrder(state: OptimizerState, order: readonly number[]): OptimizerState {
  const from = new Map(order.map((at, i) => [at, i]));
  const moved = (k: number): number => from.get(k) ?? k;
  const steps: unknown = state.steps;
  const reordered = Array.isArray(steps) && steps.length === order.length ? order.map((at) => (steps as unknown[])[at]) : steps;
  const buffers = new Map<string, Tensor>();
  for (const [name, t] of state.buffers) {
    // A name the optimiser would refuse stays as it is, for its check to name.
    const m = typeof name === 'string' ? BUFFER_NAME.exec(name) : null;
    buffers.set(m ? `${moved(Number(m[1]))}.${m[2]}` : name, t);
  }
  return { ...state, steps: reordered as number[], buffers };
}

function parseOptimizerState(
  op: string,
  metadata: Record<string, string>,
  buffers: Map<string, Tensor>,
  file: string | undefined,
): OptimizerState {
  const raw = Object.hasOwn(metadata, FORMAT_KEYS.optimizer) ? metadata[FORMAT_KEYS.optimizer] : undefined;
  if (raw === undefined) throw new ModelFileError('the file holds no optimiser state (it was saved without one)', { op, file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ModelFileError(`metadata '${FORMAT_KEYS.optimizer}' is not valid JSON`, { op, file });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelFileError(`metadata '${FORMAT_KEYS.optimizer}' must hold {type, hyper, steps}`, { op, file });
  }
  const own = (k: string): unknown => (Object.hasOwn(parsed as object, k) ? (parsed as Record<string, unknown>)[k] : undefined);
  // The optimiser checks each field by the same rules as its constructor.
  return { type: own('type'), hyper: own('hyper'), steps: own('steps'), buffers } as OptimizerState;
}
