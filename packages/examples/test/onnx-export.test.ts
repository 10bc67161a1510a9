// `pnpm iris --onnx <path>`: the trained network, its input scaling included, as an ONNX model
// that ONNX Runtime runs to the same scores as the saved jacobi model.
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

const run = promisify(execFile);
const dist = resolve(__dirname, '../dist');

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
    const got = output!.data as Float32Array;
    const w = want.data();
    let diff = 0;
    for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(got[i]! - Number(w[i])));
    expect(diff).toBeLessThanOrEqual(1e-5);
  });
});
