import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ModelFileError, decodeModel, encodeModel, predict } from '@jacobi/nn';
import { DIGIT_CLASSES, digitAscii, digitImages, loadDigits } from '../src/digits/digits-data.js';
import { DIGITS_DEFAULTS, buildDigitsModel, confusionMatrix, splitDigits, trainDigits } from '../src/digits/train-digits.js';
import { digitsMetadata, parseDigitsMetadata } from '../src/digits/model-config.js';
import { confusionMatrixSvg } from '../src/lib/confusion-svg.js';

describe('digits data', () => {
  it('holds the 1,797 images of the UCI set with their class counts', () => {
    const digits = loadDigits();
    expect(digits.count).toBe(1797);
    expect(digits.pixels.length).toBe(1797 * 64);
    const counts = new Array<number>(DIGIT_CLASSES).fill(0);
    for (const l of digits.labels) counts[l]!++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    // The file's first line: a 0 whose top row is 0,0,5,13,9,1,0,0.
    expect(digits.labels.slice(0, 3)).toEqual([0, 1, 2]);
    expect(Array.from(digits.pixels.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
  });

  it('makes NCHW images scaled to [0, 1] and draws them as text', () => {
    const digits = loadDigits();
    const x = digitImages(digits, [0, 5]);
    expect(x.shape).toEqual([2, 1, 8, 8]);
    expect((x.toArray() as number[][][][])[0]![0]![0]).toEqual([0, 0, 5 / 16, 13 / 16, 9 / 16, 1 / 16, 0, 0]);
    const art = digitAscii(digits, 0);
    expect(art).toHaveLength(8);
    expect(art.every((line) => line.length === 16)).toBe(true);
    expect(art[0]).toBe('    ::##==..    '); // 0 0 5 13 9 1 0 0, in quarters of 16 rounded up
  });

  it('splits the rows by class, the same way for the same seed', () => {
    const digits = loadDigits();
    const { train, test } = splitDigits(digits, DIGITS_DEFAULTS);
    expect(new Set([...train, ...test]).size).toBe(1797);
    expect(train.length + test.length).toBe(1797);
    expect(test.length).toBeGreaterThanOrEqual(355);
    expect(test.length).toBeLessThanOrEqual(365);
    // Stratified: each class is about a fifth held out.
    for (let c = 0; c < DIGIT_CLASSES; c++) {
      const inClass = digits.labels.filter((l) => l === c).length;
      const held = test.filter((r) => digits.labels[r] === c).length;
      expect(Math.abs(held - 0.2 * inClass)).toBeLessThanOrEqual(1);
    }
    expect(splitDigits(digits, DIGITS_DEFAULTS)).toEqual({ train, test });
    expect(splitDigits(digits, { ...DIGITS_DEFAULTS, seed: 1 }).test).not.toEqual(test);
    const small = splitDigits(digits, { ...DIGITS_DEFAULTS, limit: 100 });
    expect([...small.train, ...small.test].every((r) => r < 100)).toBe(true);
  });
});

describe('digits model', () => {
  it('is conv–relu–pool twice then dense, with PyTorch parameter names and shapes', () => {
    const model = buildDigitsModel(DIGITS_DEFAULTS, 0);
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['layers.0.weight', [16, 1, 3, 3]],
      ['layers.0.bias', [16]],
      ['layers.3.weight', [32, 16, 3, 3]],
      ['layers.3.bias', [32]],
      ['layers.7.weight', [128, 10]],
      ['layers.7.bias', [10]],
    ]);
    expect(predict(model, digitImages(loadDigits(), [0, 1, 2])).shape).toEqual([3, 10]);
  });

  it('counts a confusion matrix by true row and predicted column', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    const svg = confusionMatrixSvg(
      [
        [3, 1],
        [0, 4],
      ],
      { title: 'T<1>' },
    );
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('T&lt;1&gt;');
    // One cell per count, and no number drawn in an empty cell.
    expect(svg.match(/<rect x="\d+" y="\d+" width="40"/g)).toHaveLength(4);
    expect(svg.match(/fill="(?:black|white)">(\d+)</g)?.map((t) => t.replace(/\D/g, ''))).toEqual(['3', '1', '4']);
  });

  it('learns far beyond chance (0.1) in a few epochs on a subset, the same for the same seed', () => {
    const config = { ...DIGITS_DEFAULTS, epochs: 4, limit: 300 };
    const result = trainDigits(config);
    expect(result.history).toHaveLength(4);
    expect(result.final.testAccuracy).toBeGreaterThan(0.5);
    expect(result.history[3]!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(result.testRows.length);
    const again = trainDigits({ ...config, epochs: 1 });
    expect(again.history[0]).toEqual(result.history[0]);
  });

  it('saves a model that reloads to identical predictions', () => {
    const config = { ...DIGITS_DEFAULTS, epochs: 1, limit: 200, seed: 3 };
    const result = trainDigits(config);
    const bytes = encodeModel(result.model, { optimizer: result.optimizer, metadata: digitsMetadata(config) });
    const copy = buildDigitsModel(DIGITS_DEFAULTS, 99);
    const saved = parseDigitsMetadata(decodeModel(bytes, copy), 'mem');
    expect(saved).toEqual({ channels: [16, 32], seed: 3, testSize: 0.2, limit: 200 });
    const probe = digitImages(loadDigits(), result.testRows);
    expect(predict(copy, probe).toArray()).toEqual(predict(result.model, probe).toArray());
  });

  it('rejects model files without or with malformed digits metadata', () => {
    expect(() => parseDigitsMetadata({}, 'f')).toThrow(ModelFileError);
    expect(() => parseDigitsMetadata({ 'digits.config': '{' }, 'f')).toThrow(/not valid JSON/);
    const bad = { channels: [16], seed: 0, testSize: 0.2, limit: 0 };
    expect(() => parseDigitsMetadata({ 'digits.config': JSON.stringify(bad) }, 'f')).toThrow(/malformed/);
  });
});

// The command-line programs, run as `pnpm digits` runs them: on the built files.
const dist = resolve(__dirname, '../dist/digits');
const run = promisify(execFile);
describe('digits command line', () => {
  it('is built (run tsc -b first)', () => {
    expect(existsSync(join(dist, 'train.js')), `${dist}/train.js is missing: run \`npx tsc -b\` before the tests`).toBe(true);
  });

  it('trains, plots, saves and predicts', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-digits-'));
    const env = { ...process.env, npm_config_user_agent: '' };
    const train = await run('node', [join(dist, 'train.js'), '--epochs', '4', '--limit', '300', '--out', out], { env });
    expect(train.stdout).toMatch(/epoch 4\/4/);
    const testAccuracy = Number(/final test: {2}accuracy (\d\.\d{4})/.exec(train.stdout)?.[1]);
    expect(testAccuracy).toBeGreaterThan(0.5);
    for (const file of ['training.svg', 'confusion.svg', 'model.safetensors']) expect(existsSync(join(out, file)), file).toBe(true);
    const plot = await readFile(join(out, 'training.svg'), 'utf8');
    expect(plot).toMatch(/^<svg/);
    expect(plot).toContain('>Accuracy<');
    const confusion = await readFile(join(out, 'confusion.svg'), 'utf8');
    expect(confusion).toContain('>predicted<');
    expect(confusion.match(/<rect x="\d+" y="\d+" width="40"/g)).toHaveLength(100);
    // The printed next step runs as printed.
    const next = /^next: +(.+)$/m.exec(train.stdout)?.[1];
    expect(next).toMatch(/^node \S+predict\.js --model /);
    const hinted = await run('sh', ['-c', next!]);
    expect(hinted.stdout.match(/predicted \d true \d/g)).toHaveLength(8);
    const correct = Number(/^(\d+)\/8 correct$/m.exec(hinted.stdout)?.[1]);
    expect(correct).toBeGreaterThanOrEqual(3);
    const p = await run('node', [join(dist, 'predict.js'), '--model', join(out, 'model.safetensors'), '--count', '3', '--offset', '10']);
    expect(p.stdout.match(/predicted \d true \d/g)).toHaveLength(3);
    expect(p.stdout).toContain('showing 11–13');
  });

  it('rejects bad flags with a message and exit code 2', async () => {
    for (const [file, args] of [
      ['train.js', ['--epochs', '0']],
      ['train.js', ['--channels', '16']],
      ['train.js', ['--limit', '10']],
      ['train.js', ['--nope']],
      ['predict.js', ['--count', 'x']],
      ['predict.js', ['--model', join(tmpdir(), 'jacobi-digits-no-such-model.safetensors')]],
    ] as const) {
      const failure = await run('node', [join(dist, file), ...args]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failure?.code, `${file} ${args.join(' ')}`).toBe(2);
      expect(failure?.stderr).toMatch(/^error: /);
    }
    const help = await run('node', [join(dist, 'train.js'), '--help']);
    expect(help.stdout).toContain('--channels');
  });
});
