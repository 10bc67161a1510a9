// PyTorch's `state_dict` names and layouts for a jacobi model, and back. Most layers already use
// PyTorch's field names and layouts (Linear, conv, norms, embeddings, attention, transformer);
// what differs is `Dense` (its weight is the transpose of `Linear.weight`) and `Sequential`
// (children `layers.<i>` here, `<i>` in `nn.Sequential`, where an activation is a child too).
import { ArgumentError, Tensor } from '@jacobi/tensor';
import { identity } from '../activations.js';
import { Dense } from '../dense.js';
import { ModelFileError } from '../errors.js';
import { Module, prepareStateDict } from '../module.js';
import { Sequential } from '../sequential.js';
import { checkOptions, checkString, describeValue } from '../validate.js';

/** One entry of the model's state in both namings. */
interface TorchEntry {
  /** The name in `namedParameters()` / `namedBuffers()`. */
  jacobiName: string;
  /** The name in PyTorch's `state_dict()`. */
  torchName: string;
  /** The live parameter or buffer. */
  target: Tensor;
  /** Stored transposed in PyTorch (a `Dense` weight `[in, out]` is `Linear.weight` `[out, in]`). */
  transposed: boolean;
}

/** Where a module's own tensors go: its prefix in each naming. */
interface Place {
  module: Module;
  torchPrefix: string;
}

/**
 * How many `nn.Sequential` children a layer stands for: a `Dense` with an activation is a
 * `Linear` followed by the activation module (`Dense(4, 16, { activation: 'relu' })` is
 * `nn.Linear(4, 16), nn.ReLU()`), so the layers after it are numbered as PyTorch numbers them.
 */
function torchChildren(layer: Module): number {
  return layer instanceof Dense && layer.activation !== identity ? 2 : 1;
}

/**
 * Every module below `model` by its jacobi name prefix, with its PyTorch prefix. The walk is
 * module.ts's (fields in order, depth first, a module reached twice counts once at its first
 * place), so the prefixes are those of `namedParameters()`.
 */
function places(model: Module): Map<string, Place> {
  const out = new Map<string, Place>();
  const seen = new Set<Module>();
  const visit = (m: Module, prefix: string, torchPrefix: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.set(prefix, { module: m, torchPrefix });
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Module) visit(value, `${prefix}${key}.`, `${torchPrefix}${key}.`);
      else if (Array.isArray(value)) {
        // NOTE: `nn.Sequential` names its children by position alone, with no field name.
        const sequential = m instanceof Sequential && key === 'layers';
        let index = 0;
        value.forEach((v, i) => {
          if (!(v instanceof Module)) return;
          visit(v, `${prefix}${key}.${i}.`, sequential ? `${torchPrefix}${index}.` : `${torchPrefix}${key}.${i}.`);
          index += sequential ? torchChildren(v) : 1;
        });
      }
    }
  };
  visit(model, '', '');
  return out;
}

/**
 * The model's parameters and buffers with their PyTorch names, in `state_dict()`'s order: each
 * module's own parameters, then its own buffers, then its sub-modules'.
 */
function torchEntries(op: string, model: Module): TorchEntry[] {
  const where = places(model);
  const order = new Map([...where.keys()].map((prefix, i) => [prefix, i]));
  const entries: (TorchEntry & { place: number })[] = [];
  const byTorchName = new Map<string, string>();
  for (const [jacobiName, target] of [...model.namedParameters(), ...model.namedBuffers()]) {
    const dot = jacobiName.lastIndexOf('.');
    const prefix = jacobiName.slice(0, dot + 1);
    const key = jacobiName.slice(dot + 1);
    const place = where.get(prefix)!;
    const torchName = place.torchPrefix + key;
    const clash = byTorchName.get(torchName);
    if (clash !== undefined) {
      throw new ModelFileError(`'${clash}' and '${jacobiName}' both map to the PyTorch name '${torchName}'`, { op, tensor: torchName });
    }
    byTorchName.set(torchName, jacobiName);
    entries.push({
      jacobiName,
      torchName,
      target,
      transposed: place.module instanceof Dense && key === 'weight',
      place: order.get(prefix)!,
    });
  }
  // NOTE: a stable sort, so within one module the parameters stay before the buffers.
  return entries.sort((a, b) => a.place - b.place);
}

/**
 * The model's state in PyTorch's `state_dict` naming and layouts: `Dense` weights transposed to
 * `Linear`'s `[out, in]`, `Sequential` children named `0`, `1`, … as in `nn.Sequential` (a
 * `Dense` with an activation counts as two children, the `Linear` and the activation), every
 * other name unchanged, in `state_dict()`'s order (each module's parameters, its buffers, then
 * its sub-modules'). The tensors are the live parameters and buffers (a `Dense` weight a
 * transposed view), not copies; `num_batches_tracked` stays int32 in memory (model files in
 * this layout store it as PyTorch's int64).
 *
 * @example
 * const model = new Sequential(new Dense(4, 16, { activation: 'relu' }), new Dense(16, 3));
 * [...torchStateDict(model)].map(([n, t]) => `${n} [${t.shape}]`);
 * // ['0.weight [16,4]', '0.bias [16]', '2.weight [3,16]', '2.bias [3]']
 */
export function torchStateDict(model: Module): Map<string, Tensor> {
  return torchStateDictFor('torchStateDict', model);
}

/** `torchStateDict` for the functions built on it: `op` names the function the user called. */
export function torchStateDictFor(op: string, model: unknown): Map<string, Tensor> {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  return new Map(torchEntries(op, model).map((e) => [e.torchName, e.transposed ? e.target.T : e.target]));
}

/**
 * Loads a state dictionary in PyTorch's naming and layouts (what `torchStateDict` gives, or
 * what PyTorch's `model.state_dict()` holds) into `model`. Every entry is checked first, and
 * every problem is listed in one `ModelFileError`: missing and unexpected names, shapes (in
 * PyTorch's layout) and kinds of dtype (a float tensor must go to a float parameter, an integer
 * one to an integer buffer, bool to bool); on any failure nothing changes. Floats are cast to the
 * parameter's dtype, as PyTorch's `load_state_dict` copies.
 *
 * @example
 * const model = new Sequential(new Dense(2, 3));
 * loadTorchStateDict(model, new Map([['0.weight', zeros([3, 2])], ['0.bias', zeros([3])]]));
 */
export function loadTorchStateDict(model: Module, state: ReadonlyMap<string, Tensor>, opts: { file?: string } = {}): void {
  const op = 'loadTorchStateDict';
  const file = checkOptions(op, opts).file;
  prepareTorchStateDict(op, model, state, file === undefined ? undefined : checkString(op, 'opts.file', file))();
}

/** The most problems one error lists; the count says how many there were. */
const MAX_LISTED = 20;

/** Checks `state` (PyTorch naming and layouts) against `model` and returns the function that assigns it. */
export function prepareTorchStateDict(op: string, model: unknown, state: unknown, file: string | undefined): () => void {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  if (!(state instanceof Map))
    throw new ArgumentError(`${op}: state must be a Map from PyTorch state_dict names to Tensors, got ${describeValue(state)}`);
  const entries = torchEntries(op, model);
  const given = state as ReadonlyMap<unknown, unknown>;
  const problems: { tensor: string; text: string }[] = [];
  const expected = new Set<string>();
  for (const { torchName, target, transposed } of entries) {
    expected.add(torchName);
    const shape = transposed ? [...target.shape].reverse() : target.shape;
    const value = given.get(torchName);
    const want = `[${shape}] ${target.dtype}`;
    if (value === undefined) problems.push({ tensor: torchName, text: `'${torchName}' is missing (expected ${want})` });
    else if (!(value instanceof Tensor))
      problems.push({ tensor: torchName, text: `'${torchName}' must be a Tensor, got ${describeValue(value)}` });
    else {
      if (value.shape.join() !== shape.join() || value.ndim !== shape.length)
        problems.push({ tensor: torchName, text: `'${torchName}' has shape [${value.shape}], expected [${shape}]` });
      if (dtypeKind(value) !== dtypeKind(target))
        problems.push({
          tensor: torchName,
          text: `'${torchName}' has dtype ${value.dtype}, expected ${dtypeKind(target)} (${target.dtype})`,
        });
    }
  }
  for (const name of given.keys()) {
    if (typeof name !== 'string' || !expected.has(name))
      problems.push({ tensor: String(name), text: `unexpected ${describeValue(name)} (no such parameter or buffer)` });
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => p.text);
    if (problems.length > MAX_LISTED) listed.push(`and ${problems.length - MAX_LISTED} more`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new ModelFileError(`the PyTorch state_dict does not fit the model, ${count}: ${listed.join('; ')}`, {
      op,
      file,
      tensor: problems[0]!.tensor,
    });
  }
  // NOTE: transposing back gives a view; prepareStateDict copies every value before anything is assigned.
  const renamed = new Map(
    entries.map(({ jacobiName, torchName, transposed }) => {
      const value = given.get(torchName) as Tensor;
      return [jacobiName, transposed ? value.T : value] as const;
    }),
  );
  return prepareStateDict(op, model, renamed, file);
}

function dtypeKind(t: Tensor): 'float' | 'integer' | 'bool' {
  return t.dtype === 'int32' ? 'integer' : t.dtype === 'bool' ? 'bool' : 'float';
}
