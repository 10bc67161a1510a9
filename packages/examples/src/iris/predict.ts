// `pnpm iris:predict`: loads a model saved by `pnpm iris` and classifies flowers given as
// "sepal length,sepal width,petal length,petal width" arguments (cm) or as rows of a CSV file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tensor } from '@jacobi/tensor';
import { OPTIMIZER_PREFIX, Standardizer, predict } from '@jacobi/nn';
import { readSafetensors } from '@jacobi/nn/node';
import { IRIS_CLASSES } from './iris-data.js';
import { buildIrisModel } from './train-iris.js';
import { parseIrisMetadata } from './model-config.js';
import { UsageError, parseFlags, runCli, usage, type FlagSpec } from '../lib/cli-args.js';

const FLAGS = {
  model: { type: { kind: 'string' }, help: 'model file (default out/iris/model.safetensors)' },
  csv: { type: { kind: 'string' }, help: 'CSV file with 4 numeric columns (a header line is skipped)' },
  help: { type: { kind: 'boolean' }, help: 'show this help' },
} satisfies Record<string, FlagSpec>;

const HELP = usage(
  'pnpm iris:predict',
  FLAGS,
  'Classifies iris flowers: pass measurements in cm as "5.1,3.5,1.4,0.2" (one argument per flower) or --csv FILE.',
);

/** Parses one "a,b,c,d" row; `where` names it in errors. */
function parseRow(text: string, where: string): number[] {
  const cells = text.split(',').map((c) => c.trim());
  const values = cells.map(Number);
  if (cells.length !== 4 || cells.some((c) => c === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(
      `${where}: expected 4 comma-separated numbers (sepal length, sepal width, petal length, petal width), got ${JSON.stringify(text)}`,
    );
  }
  return values;
}

async function main(): Promise<void> {
  const { flags, positional } = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  const rows = positional.map((p, i) => parseRow(p, `argument ${i + 1}`));
  if (flags.csv !== undefined) {
    const lines = (await readFile(flags.csv, 'utf8')).split(/\r?\n/).filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      if (i === 0 && /[a-df-z]/i.test(line)) return; // a header line
      rows.push(parseRow(line.split(',').slice(0, 4).join(','), `${flags.csv} line ${i + 1}`));
    });
  }
  if (rows.length === 0) throw new UsageError('no measurements given: pass e.g. 5.1,3.5,1.4,0.2 or --csv FILE');

  const file = flags.model ?? join('out', 'iris', 'model.safetensors');
  const { tensors, metadata } = await readSafetensors(file);
  const config = parseIrisMetadata(metadata, file);
  const model = buildIrisModel(config, 0);
  model.loadStateDict(new Map([...tensors].filter(([name]) => !name.startsWith(OPTIMIZER_PREFIX))), { file });
  const scaler = Standardizer.fromStatistics(config.mean, config.std);

  const scores = predict(model, scaler.transform(tensor(rows))).toArray() as number[][];
  console.log(`model: ${file}`);
  console.log(['measurements (cm)'.padEnd(22), ...IRIS_CLASSES.map((c) => c.padStart(11)), '  predicted'].join(''));
  scores.forEach((s, i) => {
    // f3 is a sigmoid per class, so its outputs are normalised to read as probabilities.
    const total = s.reduce((a, b) => a + b, 0);
    const p = s.map((v) => v / total);
    const best = p.indexOf(Math.max(...p));
    console.log([rows[i]!.join(', ').padEnd(22), ...p.map((v) => v.toFixed(4).padStart(11)), `  ${IRIS_CLASSES[best]}`].join(''));
  });
}

void runCli(main);
