// What a saved digits model needs besides its weights, kept in the file's metadata so the file
// alone is enough to predict: the architecture and the split (to find the held-out images).
import { ModelFileError } from '@jacobi/nn';
import type { DigitsConfig } from './train-digits.js';

const KEY = 'digits.config';

export type SavedDigitsConfig = Pick<DigitsConfig, 'channels' | 'seed' | 'testSize' | 'limit'>;

export function digitsMetadata(config: DigitsConfig): Record<string, string> {
  const saved: SavedDigitsConfig = { channels: config.channels, seed: config.seed, testSize: config.testSize, limit: config.limit };
  return { [KEY]: JSON.stringify(saved) };
}

/** Reads the configuration back, checking it before anything is built from it. */
export function parseDigitsMetadata(metadata: Record<string, string>, file: string): SavedDigitsConfig {
  const raw = metadata[KEY];
  if (raw === undefined)
    throw new ModelFileError(`no '${KEY}' metadata: not a model saved by pnpm digits`, { op: 'parseDigitsMetadata', file });
  let c: SavedDigitsConfig;
  try {
    c = JSON.parse(raw) as SavedDigitsConfig;
  } catch {
    throw new ModelFileError(`'${KEY}' metadata is not valid JSON`, { op: 'parseDigitsMetadata', file });
  }
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const ok =
    Array.isArray(c.channels) &&
    c.channels.length === 2 &&
    c.channels.every(positiveInt) &&
    Number.isInteger(c.seed) &&
    typeof c.testSize === 'number' &&
    c.testSize > 0 &&
    c.testSize < 1 &&
    Number.isInteger(c.limit) &&
    c.limit >= 0;
  if (!ok) throw new ModelFileError(`'${KEY}' metadata is malformed`, { op: 'parseDigitsMetadata', file });
  return c;
}
