// Model files across the jacobi/PyTorch border (`layout: 'torch'`), for the models of the three
// examples (iris MLP, digits CNN, makemore transformer) and a digits CNN with batch norm:
// (a) jacobi saves, model-files.py loads the file into the equivalent torch.nn module with
// strict load_state_dict and compares outputs; (b) PyTorch saves (its own safetensors writer),
// jacobi loads and compares. float32 on both sides, ≤ 1e-5 relative to the largest output.
// Run by main.mjs (pnpm check:torch) after the check that /usr/bin/python3 has torch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad, randint, randn, rng } from '@jacobi/tensor';
import { BatchNorm2d, Conv2d, Dense, Flatten, MaxPool2d, Sequential, relu } from '@jacobi/nn';
import { loadModel, readSafetensors, saveModel, writeSafetensors } from '@jacobi/nn/node';
import { buildIrisModel } from '../../packages/examples/dist/iris/train-iris.js';
import { buildDigitsModel } from '../../packages/examples/dist/digits/train-digits.js';
import { CharTransformer } from '../../packages/examples/dist/makemore/model.js';

const TOLERANCE = 1e-5;
const MAKEMORE = { vocabSize: 27, context: 16, embedDim: 64, heads: 4, layers: 2, dimFeedforward: 256, dropout: 0 };

/** Digits with batch norm after each convolution and a hidden Dense with an activation (two nn.Sequential children). */
function buildDigitsBatchNorm(seed) {
  const r = rng(seed);
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, rng: r }),
    new BatchNorm2d(8),
    relu,
    new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, rng: r }),
    new BatchNorm2d(16),
    relu,
    new MaxPool2d(2),
    new Flatten(),
    new Dense(64, 32, { activation: 'relu', rng: r }),
    new Dense(32, 10, { rng: r }),
  );
}

/** Each case: how to build the model, an input, and the configuration model-files.py needs. */
const cases = [
  {
    name: 'iris',
    build: (s) => buildIrisModel({ hidden: [16, 8], activation: 'sigmoid', outputActivation: 'sigmoid' }, s),
    input: (r) => randn([5, 4], { rng: r }),
    config: { hidden: [16, 8] },
  },
  {
    name: 'digits',
    build: (s) => buildDigitsModel({ channels: [16, 32] }, s),
    input: (r) => randn([3, 1, 8, 8], { rng: r }),
    config: { channels: [16, 32] },
  },
  {
    name: 'digits-batchnorm',
    build: buildDigitsBatchNorm,
    input: (r) => randn([3, 1, 8, 8], { rng: r }),
    config: {},
    warmup: (r) => randn([6, 1, 8, 8], { rng: r }),
  },
  {
    name: 'makemore',
    build: (s) => new CharTransformer(MAKEMORE, s),
    input: (r) => randint(0, MAKEMORE.vocabSize, [2, MAKEMORE.context], { rng: r, dtype: 'int32' }),
    config: MAKEMORE,
  },
];

const python = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'jacobi-torch-files-'));
let failures = 0;
try {
  // (a) jacobi → PyTorch. Every parameter is moved off its initial value (LayerNorm's ones, the
  // attention's zero biases), so a tensor loaded under the wrong name would change the output.
  const r = rng(2026);
  for (const c of cases) {
    const model = c.build(1);
    if (c.warmup) for (let i = 0; i < 3; i++) model.train().forward(c.warmup(r));
    noGrad(() => {
      for (const p of model.parameters()) p.assign(p.add(randn(p.shape, { rng: r }).mul(0.1)));
    });
    model.eval();
    const x = c.input(r);
    await saveModel(join(dir, `${c.name}.jacobi.safetensors`), model, { layout: 'torch' });
    await writeSafetensors(join(dir, `${c.name}.input.safetensors`), new Map([['x', x]]));
    await writeSafetensors(join(dir, `${c.name}.jacobi-out.safetensors`), new Map([['y', model.forward(x)]]));
  }
  const manifest = JSON.stringify({ dir, tolerance: TOLERANCE, cases: cases.map((c) => ({ name: c.name, config: c.config })) });
  const result = spawnSync(python, [fileURLToPath(new URL('./model-files.py', import.meta.url))], { input: manifest, encoding: 'utf8' });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.status !== 0) failures++;
  // (b) PyTorch → jacobi: a model built with another seed takes PyTorch's weights and buffers.
  for (const c of cases) {
    const file = join(dir, `${c.name}.torch.safetensors`);
    const model = c.build(7);
    try {
      await loadModel(file, model, { layout: 'torch' });
    } catch (e) {
      console.log(`FAIL ${c.name}: PyTorch → jacobi: ${e instanceof Error ? e.message : String(e)}`);
      failures++;
      continue;
    }
    model.eval();
    const { tensors: input } = await readSafetensors(join(dir, `${c.name}.input.safetensors`));
    const { tensors: expected } = await readSafetensors(join(dir, `${c.name}.torch-out.safetensors`));
    const ours = model.forward(input.get('x')).data();
    const theirs = expected.get('y').data();
    const scale = Math.max(...theirs.map(Math.abs));
    const error = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]))) / scale;
    // PyTorch's int64 batch counters arrive as int32, in module order.
    const counts = model
      .namedBuffers()
      .filter(([n]) => n.endsWith('num_batches_tracked'))
      .map(([, t]) => t.item());
    const expectedCounts = expected.has('counts') ? Array.from(expected.get('counts').data()) : [];
    const ok = ours.length === theirs.length && error <= TOLERANCE && counts.join() === expectedCounts.join();
    if (!ok) failures++;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${c.name}: PyTorch → jacobi, max error ${error.toExponential(2)} of the largest output${counts.length > 0 ? `, num_batches_tracked [${counts}] (PyTorch [${expectedCounts}])` : ''}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures === 0 ? 'model files: all cases match PyTorch' : `model files: ${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
