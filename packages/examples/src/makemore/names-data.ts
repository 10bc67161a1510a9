// The names of `pnpm makemore` and their tokens: 32,033 given names (US Social Security
// Administration data via karpathy/makemore, see data/README.md), the characters a–z, and one
// boundary token '.' that starts every name on the input side and ends it on the target side.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { permutation } from '@jacobi/nn';
import { ArgumentError, type Rng, tensor, type Tensor } from '@jacobi/tensor';

/** The shipped list; the same relative path from `src/makemore` (tests) and `dist/makemore` (CLI). */
export const NAMES_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'names.txt.gz');

/** Reads the gzipped list of names, one per line, dropping blank lines. */
export function loadNames(file = NAMES_FILE): string[] {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** The boundary token: index 0, printed as '.'. */
export const BOUNDARY = 0;

/**
 * Characters ↔ token indices: index 0 is the boundary '.', then the characters of the names in
 * sorted order (a–z for the shipped list).
 */
export class CharTokenizer {
  /** Index → character; `chars[0]` is '.'. */
  readonly chars: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(chars: readonly string[]) {
    this.chars = ['.', ...chars];
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** The tokenizer of every character that occurs in `names`. */
  static fromNames(names: readonly string[]): CharTokenizer {
    const seen = new Set<string>();
    for (const name of names) for (const c of name) seen.add(c);
    if (seen.has('.')) throw new ArgumentError("CharTokenizer.fromNames: a name contains '.', the boundary token");
    return new CharTokenizer([...seen].sort());
  }

  /** Number of tokens, the boundary included. */
  get size(): number {
    return this.chars.length;
  }

  /** The token indices of a name's characters (no boundary). */
  encode(name: string): number[] {
    return Array.from(name, (c) => {
      const i = this.index.get(c);
      if (i === undefined || i === BOUNDARY) throw new ArgumentError(`CharTokenizer.encode: ${JSON.stringify(c)} is not in the vocabulary`);
      return i;
    });
  }

  /** The characters of `tokens`, stopping at the first boundary. */
  decode(tokens: readonly number[]): string {
    const end = tokens.indexOf(BOUNDARY);
    return (end < 0 ? tokens : tokens.slice(0, end)).map((t) => this.chars[t]!).join('');
  }
}

/** Names as fixed-length token rows, ready for batches. */
export interface EncodedNames {
  /** Inputs `[n, context]`: '.' then the name, padded with '.'. */
  inputs: Int32Array;
  /** Targets `[n, context]`: the name then '.', padded with '.' (padding is masked out). */
  targets: Int32Array;
  /** 1 where the target counts in the loss (the name's characters and its closing '.'), else 0. */
  mask: Float32Array;
  /** Counted targets per row: the name's length + 1. */
  lengths: Int32Array;
  /** Number of rows. */
  count: number;
  context: number;
}

/**
 * Encodes names for next-character prediction: row i predicts `name + '.'` from `'.' + name`.
 * `context` must be at least the longest name's length + 1.
 */
export function encodeNames(names: readonly string[], tokenizer: CharTokenizer, context: number): EncodedNames {
  const n = names.length;
  const inputs = new Int32Array(n * context);
  const targets = new Int32Array(n * context);
  const mask = new Float32Array(n * context);
  const lengths = new Int32Array(n);
  names.forEach((name, row) => {
    const tokens = tokenizer.encode(name);
    if (tokens.length + 1 > context) {
      throw new ArgumentError(`encodeNames: ${JSON.stringify(name)} needs a context of ${tokens.length + 1}, got ${context}`);
    }
    const base = row * context;
    tokens.forEach((t, i) => {
      inputs[base + i + 1] = t;
      targets[base + i] = t;
      mask[base + i] = 1;
    });
    mask[base + tokens.length] = 1; // the closing '.': predicting where a name ends is part of the task
    lengths[row] = tokens.length + 1;
  });
  return { inputs, targets, mask, lengths, count: n, context };
}

/** One batch: int32 inputs and targets `[batch, context]` and the float mask of counted targets. */
export interface Batch {
  inputs: Tensor;
  targets: Tensor;
  mask: Tensor;
}

/**
 * The rows `rows` of `data` as tensors `[rows.length, width]`, where `width` is the longest
 * counted length among them: the positions after it are padding in every row, and a causal
 * model's outputs at the earlier positions do not depend on them, so they are cut rather than
 * computed and masked (names average about 7 of the 16 positions).
 */
export function batchOf(data: EncodedNames, rows: readonly number[]): Batch {
  const t = data.context;
  let width = 1;
  for (const r of rows) width = Math.max(width, data.lengths[r]!);
  const inputs = new Int32Array(rows.length * width);
  const targets = new Int32Array(rows.length * width);
  const mask = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    inputs.set(data.inputs.subarray(r * t, r * t + width), i * width);
    targets.set(data.targets.subarray(r * t, r * t + width), i * width);
    mask.set(data.mask.subarray(r * t, r * t + width), i * width);
  });
  const shape = [rows.length, width];
  return {
    inputs: tensor(inputs, { shape }),
    targets: tensor(targets, { shape }),
    mask: tensor(mask, { shape }),
  };
}

/** A seeded split of the names into training and validation lists (`validationShare` of them held out). */
export function splitNames(names: readonly string[], validationShare: number, r: Rng): { train: string[]; validation: string[] } {
  const order = permutation(names.length, r);
  const nValidation = Math.round(names.length * validationShare);
  return {
    validation: order.slice(0, nValidation).map((i) => names[i]!),
    train: order.slice(nValidation).map((i) => names[i]!),
  };
}
