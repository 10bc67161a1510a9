// What a saved iris model needs besides its weights, kept in the file's metadata so the file
// alone is enough to predict: the architecture and the standardiser fitted on training data.
import { ModelFileError, type Standardizer, activations, type ActivationName } from '@jacobi/nn';
import type { IrisConfig } from './train-iris.js';

const KEY = 'iris.config';

export interface SavedIrisConfig {
  hidden: number[];
  activation: ActivationName;
  outputActivation: ActivationName;
  mean: number[];
  std: number[];
}

export function irisMetadata(config: IrisConfig, scaler: Standardizer): Record<string, string> {
  const saved: SavedIrisConfig = {
    hidden: config.hidden,
    activation: config.activation,
    outputActivation: config.outputActivation,
    mean: Array.from(scaler.mean.data()),
    std: Array.from(scaler.std.data()),
  };
  return { [KEY]: JSON.stringify(saved) };
}

/** Reads the configuration back, checking it before anything is built from it. */
export function parseIrisMetadata(metadata: Record<string, string>, file: string): SavedIrisConfig {
  const raw = metadata[KEY];
  if (raw === undefined)
    throw new ModelFileError(`no '${KEY}' metadata: not a model saved by pnpm iris`, { op: 'parseIrisMetadata', file });
  let c: SavedIrisConfig;
  try {
    c = JSON.parse(raw) as SavedIrisConfig;
  } catch {
    throw new ModelFileError(`'${KEY}' metadata is not valid JSON`, { op: 'parseIrisMetadata', file });
  }
  const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x > 0);
  const nums = (v: unknown) => Array.isArray(v) && v.length === 4 && v.every((x) => Number.isFinite(x));
  const act = (v: unknown) => typeof v === 'string' && Object.hasOwn(activations, v);
  if (!ints(c.hidden) || !act(c.activation) || !act(c.outputActivation) || !nums(c.mean) || !nums(c.std)) {
    throw new ModelFileError(`'${KEY}' metadata is malformed`, { op: 'parseIrisMetadata', file });
  }
  return c;
}
