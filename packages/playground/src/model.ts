// The networks the playground trains, and what a model file records about them so that the
// file alone rebuilds the network (the test loads a downloaded file this way in Node).
import { Dense, type Module, Sequential, Standardizer, decodeModel, decodeSafetensors } from '@jacobi/nn';
import { rng, type Tensor } from '@jacobi/tensor';
import { HIDDEN_ACTIVATIONS, type DatasetName, type HiddenActivation } from './protocol.js';

/** A dense network: `features` in, `hidden` widths with `activation`, class scores (logits) out. */
export interface DenseArchitecture {
  kind: 'dense';
  features: number;
  hidden: number[];
  activation: HiddenActivation;
  classes: number;
}

export type Architecture = DenseArchitecture;

/** Builds the network, its weights drawn from `seed`. */
export function buildModel(arch: Architecture, seed: number): Sequential {
  const r = rng(seed);
  const widths = [arch.features, ...arch.hidden, arch.classes];
  const last = widths.length - 2;
  return new Sequential(
    ...widths.slice(1).map((out, i) => new Dense(widths[i]!, out, { activation: i === last ? 'identity' : arch.activation, rng: r })),
  );
}

/** The parameter count of a model. */
export function parameterCount(model: Module): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

/** What a playground model file's metadata holds besides the weights. */
export interface SavedModel {
  dataset: DatasetName;
  architecture: Architecture;
  classNames: string[];
  /** The input standardisation: the network sees (x − mean) / std. */
  mean: number[];
  std: number[];
}

const KEY = 'playground.model';

/** The metadata entry of a model file. */
export function modelMetadata(saved: SavedModel): Record<string, string> {
  return { [KEY]: JSON.stringify(saved) };
}

/** Reads the metadata back, checking it before a network is built from it. */
export function parseModelMetadata(metadata: Record<string, string>): SavedModel {
  const raw = metadata[KEY];
  if (raw === undefined) throw new Error(`parseModelMetadata: no '${KEY}' entry: not a playground model file`);
  const s = JSON.parse(raw) as SavedModel;
  const a = s.architecture;
  const ints = (v: unknown) => Array.isArray(v) && v.every((w) => Number.isInteger(w) && w > 0);
  const ok =
    a?.kind === 'dense' &&
    Number.isInteger(a.features) &&
    Number.isInteger(a.classes) &&
    ints(a.hidden) &&
    HIDDEN_ACTIVATIONS.includes(a.activation) &&
    Array.isArray(s.mean) &&
    Array.isArray(s.std) &&
    s.mean.length === a.features &&
    s.std.length === a.features;
  if (!ok) throw new Error(`parseModelMetadata: the '${KEY}' entry is malformed`);
  return s;
}

/** The standardiser a saved model records. */
export function savedScaler(saved: SavedModel): Standardizer {
  return Standardizer.fromStatistics(saved.mean, saved.std);
}

/** The class scores of raw inputs `x`: the standardisation, then the network. */
export function scoresOf(model: Module, scaler: Standardizer, x: Tensor): Tensor {
  return model.forward(scaler.transform(x));
}

/** A downloaded `.safetensors` file as a working network: its metadata rebuilds the architecture, then the weights load. */
export function loadModelFile(bytes: Uint8Array): { model: Sequential; saved: SavedModel; scaler: Standardizer } {
  const saved = parseModelMetadata(decodeSafetensors(bytes).metadata);
  // The seed only fills the weights that decodeModel then replaces, every one of them.
  const model = buildModel(saved.architecture, 0);
  decodeModel(bytes, model);
  return { model, saved, scaler: savedScaler(saved) };
}
