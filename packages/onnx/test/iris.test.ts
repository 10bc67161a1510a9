// The iris network (Dense = matmul + bias + activation) exported and run in ONNX Runtime.
import { Dense, Sequential, type ActivationName } from '@jacobi/nn';
import { exportOnnx } from '@jacobi/onnx';
import { randn, rng } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../src/onnx-proto.js';
import { expectMatches, runOnnx } from './support.js';

/** The example's 4-16-8-3 network, with `activation` on the hidden layers. */
function irisModel(activation: ActivationName, output: ActivationName, seed: number): Sequential {
  const r = rng(seed);
  return new Sequential(
    new Dense(4, 16, { activation, rng: r }),
    new Dense(16, 8, { activation, rng: r }),
    new Dense(8, 3, { activation: output, rng: r }),
  );
}

describe('exportOnnx: the iris MLP', () => {
  for (const [activation, output] of [
    ['sigmoid', 'sigmoid'],
    ['tanh', 'sigmoid'],
    ['relu', 'identity'],
  ] as const) {
    it(`${activation}/${output}: exported at batch 2, ONNX Runtime matches jacobi at batches 2 and 5`, async () => {
      const model = irisModel(activation, output, 1);
      const bytes = exportOnnx(model, [randn([2, 4], { rng: rng(2) })], { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } });
      for (const n of [2, 5]) {
        const x = randn([n, 4], { rng: rng(n) });
        const out = await runOnnx(bytes, { input: x });
        expectMatches(out.output, model.forward(x));
      }
    });
  }

  it('writes a ModelProto: opset 17, named inputs and outputs, a symbolic batch, parameters as named initializers', () => {
    const model = irisModel('sigmoid', 'sigmoid', 0);
    const bytes = exportOnnx(model, [randn([2, 4])], { dynamicAxes: { x: { 0: 'n' } }, names: { inputs: ['x'], outputs: ['scores'] } });
    const m = decodeModel(bytes) as {
      ir_version: number;
      opset_import: { version: number }[];
      graph: {
        input: { name: string; type: unknown }[];
        output: { name: string; type: unknown }[];
        initializer: { name: string; dims: number[] }[];
      };
    };
    expect(m.ir_version).toBe(8);
    expect(m.opset_import.map((o) => o.version)).toEqual([17]);
    expect(m.graph.input.map((i) => i.name)).toEqual(['x']);
    expect(m.graph.output.map((o) => o.name)).toEqual(['scores']);
    const dims = (v: { type: unknown }) => (v.type as { tensor_type: { shape: { dim: unknown[] } } }).tensor_type.shape.dim;
    expect(dims(m.graph.input[0]!)).toEqual([{ dim_param: 'n' }, { dim_value: 4 }]);
    expect(dims(m.graph.output[0]!)).toEqual([{ dim_param: 'n' }, { dim_value: 3 }]);
    const weights = m.graph.initializer.filter((t) => t.name.endsWith('.weight'));
    expect(weights.map((t) => [t.name, t.dims])).toEqual(
      model
        .namedParameters()
        .filter(([name]) => name.endsWith('.weight'))
        .map(([name, t]) => [name, t.shape]),
    );
  });

  it('a fixed batch (no dynamic axes) keeps every dimension a number', () => {
    const bytes = exportOnnx(irisModel('relu', 'sigmoid', 0), [randn([3, 4])], { opset: 21 });
    const m = decodeModel(bytes) as { ir_version: number; graph: { input: { type: { tensor_type: { shape: { dim: unknown[] } } } }[] } };
    expect(m.ir_version).toBe(10);
    expect(m.graph.input[0]!.type.tensor_type.shape.dim).toEqual([{ dim_value: 3 }, { dim_value: 4 }]);
  });
});
