// `pnpm digits:predict`: loads a model saved by `pnpm digits` and classifies images it never saw
// (its held-out test set, found again from the seed in the file), drawn as 8×8 text art.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIMIZER_PREFIX, predict } from '@jacobi/nn';
import { readSafetensors } from '@jacobi/nn/node';
import { digitAscii, digitImages, loadDigits } from './digits-data.js';
import { buildDigitsModel, splitDigits } from './train-digits.js';
import { parseDigitsMetadata } from './model-config.js';
import { UsageError, parseFlags, runCli, usage, type FlagSpec } from '../lib/cli-args.js';

const FLAGS = {
  model: { type: { kind: 'string' }, help: 'model file (default out/digits/model.safetensors)' },
  count: { type: { kind: 'int', min: 1 }, help: 'how many test images to show (default 8)' },
  offset: { type: { kind: 'int', min: 0 }, help: 'start at this position of the test set (default 0)' },
  help: { type: { kind: 'boolean' }, help: 'show this help' },
} satisfies Record<string, FlagSpec>;

const HELP = usage(
  'pnpm digits:predict',
  FLAGS,
  'Classifies held-out test images with a model saved by pnpm digits and draws each one with its predicted and true digit.',
);

/** Images side by side, each under a caption. */
function printRow(art: string[][], captions: string[]): void {
  const width = 22;
  console.log(captions.map((c) => c.padEnd(width)).join(''));
  for (let y = 0; y < art[0]!.length; y++) console.log(art.map((a) => `|${a[y]}|`.padEnd(width)).join(''));
  console.log('');
}

async function main(): Promise<void> {
  const { flags, positional } = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const file = flags.model ?? join('out', 'digits', 'model.safetensors');
  if (!existsSync(file)) throw new UsageError(`no model file at ${file}: train one with pnpm digits first, or pass --model FILE`);
  const { tensors, metadata } = await readSafetensors(file);
  const config = parseDigitsMetadata(metadata, file);
  const model = buildDigitsModel(config, 0);
  model.loadStateDict(new Map([...tensors].filter(([name]) => !name.startsWith(OPTIMIZER_PREFIX))), { file });

  const digits = loadDigits();
  const { test } = splitDigits(digits, config);
  const offset = flags.offset ?? 0;
  const rows = test.slice(offset, offset + (flags.count ?? 8));
  if (rows.length === 0) throw new UsageError(`--offset: the test set has ${test.length} images, got ${offset}`);
  const predicted = Array.from(predict(model, digitImages(digits, rows)).argmax(-1).data(), Number);

  console.log(`model: ${file} (test set of ${test.length} images, seed ${config.seed}; showing ${offset + 1}–${offset + rows.length})\n`);
  let right = 0;
  for (let i = 0; i < rows.length; i += 4) {
    const group = rows.slice(i, i + 4);
    const captions = group.map((r, j) => {
      const p = predicted[i + j]!;
      const t = digits.labels[r]!;
      if (p === t) right++;
      return `predicted ${p} true ${t}${p === t ? '' : ' ✗'}`;
    });
    printRow(
      group.map((r) => digitAscii(digits, r)),
      captions,
    );
  }
  console.log(`${right}/${rows.length} correct`);
}

void runCli(main);
