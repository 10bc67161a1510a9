// The UCI optical-recognition handwritten digits (Alpaydin & Kaynak 1998): 1,797 images of
// 8×8 pixels with values 0–16, ten classes. The file ships gzipped in packages/examples/data
// (see the README there for its source and citation) and is decompressed with node:zlib.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { tensor, type Tensor } from '@jacobi/tensor';

/** Image side in pixels. */
export const DIGIT_SIZE = 8;
/** The classes, 0 to 9. */
export const DIGIT_CLASSES = 10;
/** The largest pixel value (a count of ink pixels in a 4×4 block). */
export const DIGIT_MAX_PIXEL = 16;

/** The data file: `src/digits` and `dist/digits` both sit two levels below the package root. */
export const DIGITS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'digits.csv.gz');

/** The data set as parsed: raw pixels (row-major, 64 per image) and labels. */
export interface Digits {
  /** `count × 64` pixel values 0–16. */
  pixels: Uint8Array;
  labels: number[];
  count: number;
}

let cached: Digits | undefined;

/** Reads and checks the shipped file (once per process): each line is 64 pixels then the label. */
export function loadDigits(file = DIGITS_FILE): Digits {
  if (file === DIGITS_FILE && cached) return cached;
  const lines = gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const width = DIGIT_SIZE * DIGIT_SIZE;
  const pixels = new Uint8Array(lines.length * width);
  const labels: number[] = [];
  lines.forEach((line, i) => {
    const values = line.split(',').map(Number);
    const ok =
      values.length === width + 1 &&
      values.every((v, j) => Number.isInteger(v) && v >= 0 && v <= (j < width ? DIGIT_MAX_PIXEL : DIGIT_CLASSES - 1));
    if (!ok) throw new Error(`${file} line ${i + 1}: expected 64 pixels in 0..16 and a label in 0..9`);
    pixels.set(values.slice(0, width), i * width);
    labels.push(values[width]!);
  });
  const digits = { pixels, labels, count: lines.length };
  if (file === DIGITS_FILE) cached = digits;
  return digits;
}

/** Images `rows` as an NCHW float32 tensor `[rows.length, 1, 8, 8]`, pixels scaled to [0, 1]. */
export function digitImages(digits: Digits, rows: readonly number[]): Tensor {
  const width = DIGIT_SIZE * DIGIT_SIZE;
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    for (let j = 0; j < width; j++) data[i * width + j] = digits.pixels[r * width + j]! / DIGIT_MAX_PIXEL;
  });
  return tensor(data, { shape: [rows.length, 1, DIGIT_SIZE, DIGIT_SIZE] });
}

/** Shades from blank to full ink, two characters per pixel so the image keeps its aspect. */
const SHADES = ['  ', '..', '::', '==', '##'];

/** Image `row` as 8 lines of text art. */
export function digitAscii(digits: Digits, row: number): string[] {
  const lines: string[] = [];
  for (let y = 0; y < DIGIT_SIZE; y++) {
    let line = '';
    for (let x = 0; x < DIGIT_SIZE; x++) {
      const v = digits.pixels[row * DIGIT_SIZE * DIGIT_SIZE + y * DIGIT_SIZE + x]!;
      line += SHADES[Math.min(SHADES.length - 1, Math.ceil((v / DIGIT_MAX_PIXEL) * (SHADES.length - 1)))];
    }
    lines.push(line);
  }
  return lines;
}
