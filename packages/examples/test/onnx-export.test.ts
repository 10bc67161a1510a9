// `pnpm iris --onnx <path>` and `pnpm digits --onnx <path>`: the trained network (iris: its input
// scaling included) as an ONNX model that ONNX Runtime runs to the same scores as the saved
// jacobi model.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { OPTIMIZER_PREFIX, Standardizer, predict } from '@jacobi/nn';
import { readSafetensors } from '@jacobi/nn/node';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseIrisMetadata } from '../src/iris/model-config.js';
import { buildIrisModel, loadIris } from '../src/iris/train-iris.js';
import { parseDigitsMetadata } from '../src/digits/model-config.js';
import { buildDigitsModel } from '../src/digits/train-digits.js';
import { digitImages, loadDigits } from '../src/digits/digits-data.js';
import { CharTransformer } from '../src/makemore/model.js';
import { writeOnnx } from '../src/lib/onnx-file.js';
import { randint, rng } from '@jacobi/tensor';

const run = promisify(execFile);
const dist = resolve(__dirname, '../dist');

/** ONNX Runtime's scores against jacobi's: the largest difference within 1e-5 of the largest score (at least 1). */
function expectScores(got: Float32Array, want: ArrayLike<number>): void {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - Number(want[i])));
    scale = Math.max(scale, Math.abs(Number(want[i])));
  }
  expect(diff).toBeLessThanOrEqual(1e-5 * scale);
}

describe('pnpm iris --onnx', () => {
  it('writes an ONNX model that scores the raw measurements as the saved model does', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-iris-onnx-'));
    const onnxPath = join(out, 'nested', 'model.onnx');
    const env = { ...process.env, npm_config_user_agent: '' };
    const train = await run('node', [join(dist, 'iris/train.js'), '--epochs', '60', '--out', out, '--onnx', onnxPath], { env });
    expect(train.stdout).toContain(`onnx:  ${onnxPath}`);

    // The jacobi model as saved next to it, with its standardiser, loaded as iris:predict does.
    const { tensors, metadata } = await readSafetensors(join(out, 'model.safetensors'));
    const config = parseIrisMetadata(metadata, 'model.safetensors');
    const model = buildIrisModel(config, 0);
    model.loadStateDict(new Map([...tensors].filter(([name]) => !name.startsWith(OPTIMIZER_PREFIX))));
    const x = loadIris().x;
    const want = predict(model, Standardizer.fromStatistics(config.mean, config.std).transform(x));

    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
    expect([...output!.dims]).toEqual([150, 3]);
    expectScores(output!.data as Float32Array, want.data());
  });
});

describe('pnpm digits --onnx', () => {
  it('writes an ONNX model of the CNN (max pooling included) that scores images as the saved model does', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-digits-onnx-'));
    const onnxPath = join(out, 'model.onnx');
    const env = { ...process.env, npm_config_user_agent: '' };
    const args = [join(dist, 'digits/train.js'), '--epochs', '1', '--limit', '100', '--out', out, '--onnx', onnxPath];
    const train = await run('node', args, { env });
    expect(train.stdout).toContain(`onnx:  ${onnxPath}`);

    const { tensors, metadata } = await readSafetensors(join(out, 'model.safetensors'));
    const model = buildDigitsModel(parseDigitsMetadata(metadata, 'model.safetensors'), 0);
    model.loadStateDict(new Map([...tensors].filter(([name]) => !name.startsWith(OPTIMIZER_PREFIX))));
    const x = digitImages(loadDigits(), [3, 5, 8, 13, 21]);
    const want = model.forward(x).data();

    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
    expect([...output!.dims]).toEqual([5, 10]);
    expectScores(output!.data as Float32Array, want);
  });
});

describe('pnpm makemore --onnx', () => {
  it('the transformer (token and position embeddings, causal pre-norm layers, head) as ONNX scores tokens as jacobi does', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-makemore-onnx-'));
    const config = { vocabSize: 27, context: 8, embedDim: 16, heads: 2, layers: 2, dimFeedforward: 32, dropout: 0.1 };
    const model = new CharTransformer(config, 3).eval();
    const example = randint(0, 27, [2, 8], { dtype: 'int32', rng: rng(1) });
    const onnxPath = await writeOnnx(join(out, 'model.onnx'), model, (t) => model.forward(t), example);
    const tokens = randint(0, 27, [5, 8], { dtype: 'int32', rng: rng(2) });
    const want = model.forward(tokens).data();
    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const { output } = await session.run({ input: new ort.Tensor('int32', Int32Array.from(tokens.data()), [5, 8]) });
    expect([...output!.dims]).toEqual([5, 8, 27]);
    expectScores(output!.data as Float32Array, want);
  });

  it('the command writes a file ONNX Runtime loads, with a dynamic batch', async () => {
    const out = await mkdtemp(join(tmpdir(), 'jacobi-makemore-cli-'));
    const onnxPath = join(out, 'model.onnx');
    const env = { ...process.env, npm_config_user_agent: '' };
    const args = [
      join(dist, 'makemore/main.js'),
      '--steps',
      '2',
      '--layers',
      '1',
      '--embed',
      '16',
      '--ff',
      '32',
      '--samples',
      '0',
      '--onnx',
      onnxPath,
    ];
    const train = await run('node', args, { env });
    expect(train.stdout).toContain(`onnx:  ${onnxPath}`);
    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const context = Number(/int32 token ids \[batch, (\d+)\]/.exec(train.stdout)![1]);
    const { output } = await session.run({ input: new ort.Tensor('int32', new Int32Array(3 * context), [3, context]) });
    expect([...output!.dims]).toEqual([3, context, 27]);
    expect(Array.from(output!.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});
