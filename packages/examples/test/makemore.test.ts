import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { rng } from '@jacobi/tensor';
import { CharTokenizer, batchOf, encodeNames, loadNames, splitNames } from '../src/makemore/names-data.js';
import { MAKEMORE_DEFAULTS, sampleNames, trainMakemore, type MakemoreConfig } from '../src/makemore/train-makemore.js';
import { CharTransformer } from '../src/makemore/model.js';

const NAMES = loadNames();

describe('makemore data', () => {
  it('ships the 32,033 names of a–z, the longest of 15 characters', () => {
    expect(NAMES).toHaveLength(32033);
    expect(NAMES.slice(0, 3)).toEqual(['emma', 'olivia', 'ava']);
    expect(Math.max(...NAMES.map((n) => n.length))).toBe(15);
    const tokenizer = CharTokenizer.fromNames(NAMES);
    expect(tokenizer.chars.join('')).toBe('.abcdefghijklmnopqrstuvwxyz');
    expect(tokenizer.encode('emma')).toEqual([5, 13, 13, 1]);
    expect(tokenizer.decode([5, 13, 13, 1, 0, 7])).toBe('emma');
    expect(() => tokenizer.encode('Emma')).toThrow(/"E" is not in the vocabulary/);
  });

  it('shifts each name by one position, closes it with ".", and masks the padding', () => {
    const tokenizer = CharTokenizer.fromNames(['ab', 'c']);
    const data = encodeNames(['ab', 'c'], tokenizer, 4);
    expect(Array.from(data.inputs)).toEqual([0, 1, 2, 0, 0, 3, 0, 0]);
    expect(Array.from(data.targets)).toEqual([1, 2, 0, 0, 3, 0, 0, 0]);
    expect(Array.from(data.mask)).toEqual([1, 1, 1, 0, 1, 1, 0, 0]);
    expect(() => encodeNames(['abca'], tokenizer, 4)).toThrow(/needs a context of 5/);
    // A batch is cut to its longest counted length.
    const short = batchOf(data, [1]);
    expect(short.inputs.shape).toEqual([1, 2]);
    expect(short.inputs.toArray()).toEqual([[0, 3]]);
    expect(short.targets.toArray()).toEqual([[3, 0]]);
    const both = batchOf(data, [1, 0]);
    expect(both.inputs.toArray()).toEqual([
      [0, 3, 0],
      [0, 1, 2],
    ]);
    expect(both.mask.toArray()).toEqual([
      [1, 1, 0],
      [1, 1, 1],
    ]);
  });

  it('splits the names by seed, every name in exactly one part', () => {
    const a = splitNames(NAMES, 0.1, rng(0));
    expect(a.validation).toHaveLength(3203);
    expect([...a.train, ...a.validation].sort()).toEqual([...NAMES].sort());
    expect(splitNames(NAMES, 0.1, rng(0))).toEqual(a);
    expect(splitNames(NAMES, 0.1, rng(1)).validation).not.toEqual(a.validation);
  });
});

// A tiny model on a few thousand names: seconds, not the default run's minute or two.
const TINY: MakemoreConfig = {
  ...MAKEMORE_DEFAULTS,
  steps: 40,
  batchSize: 16,
  lr: 1e-2,
  embedDim: 16,
  heads: 2,
  layers: 1,
  dimFeedforward: 32,
  evalEvery: 20,
  samples: 8,
};
const SOME_NAMES = NAMES.slice(0, 3000);

describe('makemore training', () => {
  it('lowers the loss from the uniform guess and samples names of the vocabulary', () => {
    const result = trainMakemore(TINY, { names: SOME_NAMES });
    const losses = result.batchLosses;
    expect(losses).toHaveLength(40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.2);
    expect(result.evaluations.map((e) => e.step)).toEqual([20, 40]);
    // ln 27 ≈ 3.30 nats is what a model that knows nothing scores.
    expect(result.final.validationLoss).toBeLessThan(Math.log(27) - 0.3);
    expect(result.final.trainLoss).toBeLessThan(Math.log(27) - 0.3);
    expect(result.samples).toHaveLength(8);
    for (const name of result.samples) expect(name).toMatch(/^[a-z]{0,15}$/);
    expect(result.counts).toEqual({ train: 2700, validation: 300, trainEvalNames: 300 });
  });

  it('is deterministic for a seed', () => {
    const config = { ...TINY, steps: 5, evalEvery: 5, dropout: 0.1 };
    const a = trainMakemore(config, { names: SOME_NAMES });
    const b = trainMakemore(config, { names: SOME_NAMES });
    expect(b.batchLosses).toEqual(a.batchLosses);
    expect(b.samples).toEqual(a.samples);
    expect(b.final).toEqual(a.final);
    const c = trainMakemore({ ...config, seed: 1 }, { names: SOME_NAMES });
    expect(c.batchLosses).not.toEqual(a.batchLosses);
  });

  it('refuses a context shorter than the longest name + 1', () => {
    expect(() => trainMakemore({ ...TINY, context: 15 })).toThrow(/context of 15 is too short/);
  });

  it('samples from a causal model: a name depends only on the tokens drawn before', () => {
    const tokenizer = CharTokenizer.fromNames(SOME_NAMES);
    const model = new CharTransformer({ vocabSize: 27, context: 16, embedDim: 16, heads: 2, layers: 2, dimFeedforward: 32, dropout: 0 }, 0);
    // The logits at position t are the same whether or not later positions are fed.
    const data = encodeNames(['olivia'], tokenizer, 16);
    const full = model.forward(batchOf(data, [0]).inputs);
    const prefix = model.forward(batchOf(data, [0]).inputs.slice(1, 0, 3));
    expect(prefix.shape).toEqual([1, 3, 27]);
    expect(
      prefix
        .sub(full.slice(1, 0, 3))
        .abs()
        .max()
        .item(),
    ).toBeLessThan(1e-5);
    const names = sampleNames(model, tokenizer, 5, rng(3));
    expect(names).toEqual(sampleNames(model, tokenizer, 5, rng(3)));
    for (const name of names) expect(name).toMatch(/^[a-z]{0,15}$/);
    // Near temperature 0 every row follows the most likely character: the same name each time.
    expect(new Set(sampleNames(model, tokenizer, 4, rng(5), 1e-4)).size).toBe(1);
    expect(new Set(sampleNames(model, tokenizer, 4, rng(5), 1)).size).toBeGreaterThan(1);
  });
});

// The command line, run as `pnpm makemore` runs it: on the built files.
const dist = resolve(__dirname, '../dist/makemore');
const run = promisify(execFile);
describe('makemore command line', () => {
  it('is built (run tsc -b first)', () => {
    expect(existsSync(join(dist, 'main.js')), `${dist}/main.js is missing: run \`npx tsc -b\` before the tests`).toBe(true);
  });

  it('trains, prints both losses and samples names', async () => {
    const args = ['--steps', '4', '--embed', '16', '--heads', '2', '--ff', '32', '--layers', '1', '--samples', '5', '--batch', '8'];
    const { stdout } = await run('node', [join(dist, 'main.js'), ...args]);
    expect(stdout).toMatch(/step 4\/4/);
    expect(stdout).toMatch(/^train loss: +\d\.\d{4} nats per character \(3203 of the 28830 training names\)$/m);
    expect(stdout).toMatch(/^validation loss: \d\.\d{4} nats per character \(3203 held-out names\)$/m);
    const samples = stdout.slice(stdout.indexOf('5 samples (temperature 1):')).split('\n').slice(1, 6);
    expect(samples).toHaveLength(5);
    for (const line of samples) expect(line).toMatch(/^ {2}[a-z]{0,15}$/);
  });

  it('rejects bad flags with a message and exit code 2', async () => {
    for (const args of [
      ['--context', '10'],
      ['--embed', '16', '--heads', '3'],
      ['--steps', '0'],
      ['--dropout', '1'],
      ['--temperature', '0'],
      ['--nope'],
    ]) {
      const failure = await run('node', [join(dist, 'main.js'), ...args]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failure?.code, args.join(' ')).toBe(2);
      expect(failure?.stderr).toMatch(/^error: /);
    }
    const help = await run('node', [join(dist, 'main.js'), '--help']);
    expect(help.stdout).toContain('--layers');
  });
});
