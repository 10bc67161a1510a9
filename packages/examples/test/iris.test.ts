import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Standardizer, decodeModel, encodeModel, predict } from '@jacobi/nn';
import { IRIS_DEFAULTS, buildIrisModel, loadIris, trainIris } from '../src/iris/train-iris.js';
import { irisMetadata, parseIrisMetadata } from '../src/iris/model-config.js';

describe('iris training', () => {
  it('reaches test accuracy ≥ 0.95 with the defaults in about a second', () => {
    const started = performance.now();
    const { final } = trainIris(IRIS_DEFAULTS);
    expect(final.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(final.trainAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('gives identical numbers for the same seed, and different ones for another', () => {
    const config = { ...IRIS_DEFAULTS, epochs: 20, batchSize: 16, optimizer: 'adam' as const };
    expect(trainIris(config).history).toEqual(trainIris(config).history);
    expect(trainIris({ ...config, seed: 1 }).history).not.toEqual(trainIris(config).history);
  });

  it('saves a model that reloads to identical predictions', () => {
    const result = trainIris({ ...IRIS_DEFAULTS, epochs: 50 });
    const bytes = encodeModel(result.model, { optimizer: result.optimizer, metadata: irisMetadata(IRIS_DEFAULTS, result.scaler) });
    const probe = result.scaler.transform(loadIris().x);
    const config = parseIrisMetadata(decodeModelMetadata(bytes), 'mem');
    const copy = buildIrisModel(config, 123);
    decodeModel(bytes, copy);
    const scaler = Standardizer.fromStatistics(config.mean, config.std);
    expect(predict(copy, scaler.transform(loadIris().x)).toArray()).toEqual(predict(result.model, probe).toArray());
  });
});

function decodeModelMetadata(bytes: Uint8Array): Record<string, string> {
  return decodeModel(bytes, buildIrisModel(IRIS_DEFAULTS, 0));
}

// The command-line programs, run as `pnpm iris` runs them: on the built files.
const dist = resolve(__dirname, '../dist/iris');
const run = promisify(execFile);
describe('iris command line', () => {
  it('is built (run tsc -b first)', () => {
    expect(existsSync(join(dist, 'train.js')), `${dist}/train.js is missing: run \`npx tsc -b\` before the tests`).toBe(true);
  });

  it('trains, plots, saves and predicts', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-iris-'));
    // As plain `node` runs it (under `pnpm test` the variable would say pnpm).
    const env = { ...process.env, npm_config_user_agent: '' };
    const train = await run('node', [join(dist, 'train.js'), '--epochs', '40', '--optimizer', 'adam', '--lr', '0.05', '--out', out], {
      env,
    });
    expect(train.stdout).toMatch(/epoch 40\/40/);
    expect(train.stdout).toMatch(/final test: {2}accuracy \d\.\d{4}/);
    expect(train.stdout).toContain(join(out, 'model.safetensors'));
    const svg = await import('node:fs/promises').then((fs) => fs.readFile(join(out, 'training.svg'), 'utf8'));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('>Accuracy<');
    // The printed next step runs as printed.
    const next = /^next: +(.+)$/m.exec(train.stdout)?.[1];
    expect(next).toMatch(/^node \S+predict\.js --model /);
    const hinted = await run('sh', ['-c', next!]);
    expect(hinted.stdout).toMatch(/5\.1, 3\.5, 1\.4, 0\.2 .* setosa/);
    const p = await run('node', [
      join(dist, 'predict.js'),
      '--model',
      join(out, 'model.safetensors'),
      '5.1,3.5,1.4,0.2',
      '6.7,3.0,5.2,2.3',
    ]);
    expect(p.stdout).toMatch(/5\.1, 3\.5, 1\.4, 0\.2 .* setosa/);
    expect(p.stdout).toMatch(/6\.7, 3, 5\.2, 2\.3 .* virginica/);
  });

  it('prints its next step as the npx command of the README when run by pnpm', async () => {
    const { scriptCommand } = await import('../src/lib/script-command.js');
    expect(
      scriptCommand(
        'iris:predict',
        '/x/predict.js',
        ['--model', 'out/iris/model.safetensors', '5.1,3.5,1.4,0.2'],
        'pnpm/12.4.2 npm/? node/v20.20.2 linux x64',
      ),
    ).toBe('npx -y pnpm@12.4.2 iris:predict --model out/iris/model.safetensors 5.1,3.5,1.4,0.2');
    expect(scriptCommand('iris:predict', '/x/predict.js', ['--model', "it's here"], '')).toMatch(
      /^node \S*predict\.js --model 'it'\\''s here'$/,
    );
  });

  it('rejects bad flags with a message and exit code 2', async () => {
    for (const args of [['--epochs', 'ten'], ['--hidden', '16,'], ['--optimizer', 'rmsprop'], ['--nope']]) {
      const failure = await run('node', [join(dist, 'train.js'), ...args]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toMatch(/^error: /);
    }
    const help = await run('node', [join(dist, 'train.js'), '--help']);
    expect(help.stdout).toContain('--batch-size');
  });
});
