// The UCI optical-recognition handwritten digits (Alpaydin & Kaynak 1998): 1,797 images of
// 8×8 pixels with values 0–16, ten classes. The file ships gzipped in packages/examples/data
// (see the README there for its source and citation) and is decompressed with node:zlib.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DIGIT_MAX_PIXEL, DIGIT_SIZE, type Digits, parseDigits } from './digits-images.js';

export { DIGIT_CLASSES, DIGIT_MAX_PIXEL, DIGIT_SIZE, type Digits, digitImages, parseDigits } from './digits-images.js';

/** The data file: `src/digits` and `dist/digits` both sit two levels below the package root. */
export const DIGITS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'digits.csv.gz');

let cached: Digits | undefined;

/** Reads and checks the shipped file (once per process): each line is 64 pixels then the label. */
export function loadDigits(file = DIGITS_FILE): Digits {
  if (file === DIGITS_FILE && cached) return cached;
  const digits = parseDigits(gunzipSync(readFileSync(file)).toString('utf8'), file);
  if (file === DIGITS_FILE) cached = digits;
  return digits;
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
