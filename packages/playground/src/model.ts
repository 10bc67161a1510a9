// The networks the playground trains, and what a model file records about them so that the
// file alone rebuilds the network (the test loads a downloaded file this way in Node).
import { Dense, type Module, Sequential, Standardizer, decodeModel, decodeSafetensors } from '@jacobi/nn';
import { rng, type Tensor } from '@jacobi/tensor';
import { buildDigitsModel } from '../../examples/src/digits/digits-model.js';
import { DATASETS, type DatasetName, HIDDEN_ACTIVATIONS, type HiddenActivation } from './protocol.js';

/** A dense network: `features` in, `hidden` widths with `activation`, class scores (logits) out. */
export interface DenseArchitecture {
  kind: 'dense';
  features: number;
  hidden: number[];
  activation: HiddenActivation;
  classes: number;
}

/** `pnpm digits`'s CNN on `[N, 1, 8, 8]` images: two conv–relu–max-pool stages with these channels, then a dense layer. */
export interface CnnArchitecture {
  kind: 'cnn';
  channels: [number, number];
}

export type Architecture = DenseArchitecture | CnnArchitecture;

/** Builds the network, its weights drawn from `seed`. */
export function buildModel(arch: Architecture, seed: number): Sequential {
  if (arch.kind === 'cnn') return buildDigitsModel(arch, seed);
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
  /** The input standardisation, where there is one: the network sees (x − mean) / std. */
  scaling?: { mean: number[]; std: number[] };
}

const KEY = 'playground.model';

/** The metadata entry of a model file. */
export function modelMetadata(saved: SavedModel): Record<string, string> {
  return { [KEY]: JSON.stringify(saved) };
}

function validArchitecture(a: Architecture | undefined): boolean {
  const positiveInts = (v: unknown, length?: number) =>
    Array.isArray(v) && (length === undefined || v.length === length) && v.every((w) => Number.isInteger(w) && w > 0);
  if (a?.kind === 'cnn') return positiveInts(a.channels, 2);
  return (
    a?.kind === 'dense' && positiveInts([a.features, a.classes]) && positiveInts(a.hidden) && HIDDEN_ACTIVATIONS.includes(a.activation)
  );
}

/** Reads the metadata back, checking it before a network is built from it. */
export function parseModelMetadata(metadata: Record<string, string>): SavedModel {
  const raw = metadata[KEY];
  if (raw === undefined) throw new Error(`parseModelMetadata: no '${KEY}' entry: not a playground model file`);
  const s = JSON.parse(raw) as SavedModel;
  const features = s.architecture?.kind === 'dense' ? s.architecture.features : undefined;
  const scalingOk =
    s.scaling === undefined
      ? features === undefined
      : [s.scaling.mean, s.scaling.std].every((v) => Array.isArray(v) && v.length === features && v.every(Number.isFinite));
  if (!DATASETS.includes(s.dataset) || !validArchitecture(s.architecture) || !scalingOk)
    throw new Error(`parseModelMetadata: the '${KEY}' entry is malformed`);
  return s;
}

/** The class scores of raw inputs `x`: the standardisation (if any), then the network. */
export function scoresOf(model: Module, scaler: Standardizer | null, x: Tensor): Tensor {
  return model.forward(scaler ? scaler.transform(x) : x);
}

/** A downloaded `.safetensors` file as a working network: its metadata rebuilds the architecture, then the weights load. */
export function loadModelFile(bytes: Uint8Array): { model: Sequential; saved: SavedModel; scaler: Standardizer | null } {
  const saved = parseModelMetadata(decodeSafetensors(bytes).metadata);
  // The seed only fills the weights that decodeModel then replaces, every one of them.
  const model = buildModel(saved.architecture, 0);
  decodeModel(bytes, model);
  const scaler = saved.scaling ? Standardizer.fromStatistics(saved.scaling.mean, saved.scaling.std) : null;
  return { model, saved, scaler };
}
