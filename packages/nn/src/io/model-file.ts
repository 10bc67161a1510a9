// A model (and optionally its optimiser) as safetensors bytes and back. Parameters are stored
// under their `namedParameters()` names; optimiser buffers under `optimizer.<index>.<slot>`,
// with its kind, hyper-parameters and step counts as JSON in the metadata. Browser-safe.
import type { Tensor } from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';
import { checkStateDict, type Module } from '../module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Prefix of optimiser buffers in a model file. */
export const OPTIMIZER_PREFIX = 'optimizer.';
const FORMAT_KEYS = { format: 'format', version: 'jacobi.version', optimizer: 'jacobi.optimizer' } as const;

export interface SaveOptions {
  /** Also store this optimiser's state (buffers, step counts, hyper-parameters). */
  optimizer?: Optimizer;
  /** Extra string metadata (e.g. a JSON model configuration). Keys `format` and `jacobi.*` are reserved. */
  metadata?: Record<string, string>;
}

/** The model's parameters (and optionally optimiser state) as safetensors bytes. */
export function encodeModel(model: Module, opts: SaveOptions = {}): Uint8Array {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    if (k === FORMAT_KEYS.format || k.startsWith('jacobi.')) throw new ModelFileError(`metadata key '${k}' is reserved`);
    metadata[k] = v;
  }
  metadata[FORMAT_KEYS.format] = 'jacobi';
  metadata[FORMAT_KEYS.version] = '1';
  const entries: [string, Tensor][] = model.namedParameters();
  for (const [name] of entries) {
    if (name.startsWith(OPTIMIZER_PREFIX)) throw new ModelFileError(`parameter name '${name}' clashes with the optimiser prefix`, { tensor: name });
  }
  if (opts.optimizer) {
    const state = opts.optimizer.stateDict();
    metadata[FORMAT_KEYS.optimizer] = JSON.stringify({ type: state.type, hyper: state.hyper, steps: state.steps });
    for (const [name, t] of state.buffers) entries.push([OPTIMIZER_PREFIX + name, t]);
  }
  return encodeSafetensors(entries, metadata);
}

export interface LoadOptions {
  /** Restore this optimiser's state too; the file must contain one. */
  optimizer?: Optimizer;
  /** A label for error messages (the file name). */
  file?: string;
}

/**
 * Decodes `bytes` into `model` (and `opts.optimizer`): everything is validated first, and on
 * any error neither the model nor the optimiser changes. Returns the file's metadata.
 */
export function decodeModel(bytes: Uint8Array, model: Module, opts: LoadOptions = {}): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes, { file: opts.file });
  const params = new Map<string, Tensor>();
  const buffers = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) buffers.set(name.slice(OPTIMIZER_PREFIX.length), t);
    else params.set(name, t);
  }
  const applyModel = checkStateDict(model, params, opts.file);
  let applyOptimizer = (): void => {};
  if (opts.optimizer) {
    applyOptimizer = opts.optimizer.checkStateDict(parseOptimizerState(metadata, buffers, opts.file), opts.file);
  }
  applyModel();
  applyOptimizer();
  return metadata;
}

function parseOptimizerState(metadata: Record<string, string>, buffers: Map<string, Tensor>, file: string | undefined): OptimizerState {
  const raw = metadata[FORMAT_KEYS.optimizer];
  if (raw === undefined) throw new ModelFileError('the file holds no optimiser state (it was saved without one)', { file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ModelFileError(`metadata '${FORMAT_KEYS.optimizer}' is not valid JSON`, { file });
  }
  const s = parsed as Partial<OptimizerState>;
  if (typeof s !== 'object' || s === null || typeof s.type !== 'string' || typeof s.hyper !== 'object' || s.hyper === null || !Array.isArray(s.steps)) {
    throw new ModelFileError(`metadata '${FORMAT_KEYS.optimizer}' must hold {type, hyper, steps}`, { file });
  }
  return { type: s.type, hyper: s.hyper, steps: s.steps, buffers };
}
