// The 8×8 digit images as data, without Node: the parser of the shipped CSV (the playground
// runs it in a browser on the fetched, decompressed file) and the NCHW tensor of some rows.
// See digits-data.ts for the data set's source; it reads the file from disk in Node.
import { tensor, type Tensor } from '@jacobi/tensor';

/** Image side in pixels. */
export const DIGIT_SIZE = 8;
/** The classes, 0 to 9. */
export const DIGIT_CLASSES = 10;
/** The largest pixel value (a count of ink pixels in a 4×4 block). */
export const DIGIT_MAX_PIXEL = 16;

/** The data set as parsed: raw pixels (row-major, 64 per image) and labels. */
export interface Digits {
  /** `count × 64` pixel values 0–16. */
  pixels: Uint8Array;
  labels: number[];
  count: number;
}

/** Parses and checks the CSV text (`source` names it in errors): each line is 64 pixels then the label. */
export function parseDigits(text: string, source: string): Digits {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const width = DIGIT_SIZE * DIGIT_SIZE;
  const pixels = new Uint8Array(lines.length * width);
  const labels: number[] = [];
  lines.forEach((line, i) => {
    const values = line.split(',').map(Number);
    const ok =
      values.length === width + 1 &&
      values.every((v, j) => Number.isInteger(v) && v >= 0 && v <= (j < width ? DIGIT_MAX_PIXEL : DIGIT_CLASSES - 1));
    if (!ok) throw new Error(`${source} line ${i + 1}: expected 64 pixels in 0..16 and a label in 0..9`);
    pixels.set(values.slice(0, width), i * width);
    labels.push(values[width]!);
  });
  return { pixels, labels, count: lines.length };
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
