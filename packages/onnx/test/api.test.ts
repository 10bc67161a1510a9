// The built @jacobi/onnx imported by name from plain Node, as a user would: export a model and
// run it with onnxruntime-node.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('../', import.meta.url));

describe('the built @jacobi/onnx', () => {
  it('imports by name, exports a Dense network and ONNX Runtime runs it', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { exportOnnx } from '@jacobi/onnx';
        import { Dense, Sequential } from '@jacobi/nn';
        import { rng, tensor } from '@jacobi/tensor';
        import * as ort from 'onnxruntime-node';
        const model = new Sequential(new Dense(2, 3, { activation: 'tanh', rng: rng(0) }));
        const x = tensor([[1, 2], [3, 4], [5, 6]]);
        const bytes = exportOnnx(model, [x.index({ stop: 2 })], { dynamicAxes: { input: { 0: 'batch' } } });
        const session = await ort.InferenceSession.create(bytes);
        const { output } = await session.run({ input: new ort.Tensor('float32', x.data(), [3, 2]) });
        const want = model.forward(x).data();
        console.log(JSON.stringify([output.dims, Math.max(...want.map((v, i) => Math.abs(v - output.data[i])))]));
      `,
      ],
      { cwd: here, encoding: 'utf8' },
    );
    const [dims, error] = JSON.parse(out) as [number[], number];
    expect(dims).toEqual([3, 3]);
    expect(error).toBeLessThan(1e-6);
  });
});
