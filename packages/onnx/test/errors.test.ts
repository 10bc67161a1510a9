// exportOnnx's errors: a primitive without an ONNX mapping is named, bad options are typed, and
// a program tied to a dynamic axis's example size is refused rather than exported wrong.
import { DynamicAxisError, UnsupportedPrimitiveError, exportOnnx } from '@jacobi/onnx';
import { ONNX_TABLE } from '../src/mapping.js';
import { ArgumentError, atan2, concat, cumsum, erfinv, randn, take, type Tensor } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { expectMatches, runOnnx } from './support.js';

const x = randn([2, 3]);

describe('exportOnnx errors', () => {
  it('names the primitive that has no ONNX mapping, in a typed error', () => {
    for (const [f, name] of [
      [(a: Tensor) => cumsum(a, 1), 'cumsum'],
      [(a: Tensor) => atan2(a, a.add(1)), 'atan2'],
      [(a: Tensor) => erfinv(a.tanh()), 'erfinv'],
    ] as const) {
      let error: unknown;
      try {
        exportOnnx(f, [x]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnsupportedPrimitiveError);
      expect((error as UnsupportedPrimitiveError).primitive).toBe(name);
      expect((error as Error).message).toMatch(new RegExp(`^exportOnnx: primitive '${name}' has no ONNX mapping`));
    }
    // The table says the same for each of them.
    expect(
      Object.entries(ONNX_TABLE)
        .filter(([, m]) => 'unsupported' in m)
        .map(([k]) => k),
    ).toEqual(expect.arrayContaining(['cumsum', 'atan2', 'erfinv']));
  });

  it('rejects bad arguments and options with an ArgumentError naming them', () => {
    const f = (a: Tensor) => a.exp();
    const bad: [unknown, unknown, unknown, RegExp][] = [
      [42, [x], {}, /fnOrModule/],
      [f, [], {}, /exampleInputs/],
      [f, [[1, 2]], {}, /exampleInputs/],
      [f, [x], { opset: 16 }, /opts\.opset must be an integer in \[17, 21\], got 16/],
      [f, [x], { opset: 17.5 }, /opts\.opset/],
      [f, [x], { names: { inputs: ['a', 'b'] } }, /opts\.names\.inputs must be 1 non-empty strings/],
      [f, [x], { names: { outputs: [''] } }, /opts\.names\.outputs/],
      [f, [x, x], { names: { inputs: ['a', 'a'] } }, /repeated name/],
      [f, [x], { dynamicAxes: { nope: { 0: 'n' } } }, /names 'nope', which is neither an input \(input\) nor an output \(output\)/],
      [f, [x], { dynamicAxes: { input: { 2: 'n' } } }, /axis 2, expected an axis in \[0, 2\)/],
      [f, [x], { dynamicAxes: { input: { 0: '' } } }, /non-empty string/],
      [f, [x], { dynamicAxes: { output: { 1: 'n' } } }, /output 'output' axis 1 is not the dynamic axis 'n'/],
      [
        (a: Tensor, b: Tensor) => a.add(b.sum()),
        [x, randn([3, 3])],
        { dynamicAxes: { input_0: { 0: 'n' }, input_1: { 0: 'n' } } },
        /example sizes 2 and 3/,
      ],
    ];
    for (const [fn, inputs, opts, message] of bad) {
      expect(() => exportOnnx(fn as never, inputs as never, opts as never)).toThrow(ArgumentError);
      expect(() => exportOnnx(fn as never, inputs as never, opts as never)).toThrow(message);
    }
  });

  it('refuses a dynamic axis whose example size is baked into the program', () => {
    // The positions gathered depend on the batch size: the first and the last row.
    const ends = (a: Tensor) => take(a, [0, a.shape[0]! - 1], 0);
    expect(() => exportOnnx(ends, [x], { dynamicAxes: { input: { 0: 'n' } } })).toThrow(DynamicAxisError);
    expect(() => exportOnnx(ends, [x], { dynamicAxes: { input: { 0: 'n' } } })).toThrow(
      /'take' has indices fixed to the example size of dynamic axis 'n'/,
    );
    // With the batch fixed the same function exports.
    expect(() => exportOnnx(ends, [x])).not.toThrow();
  });

  it('a slice whose start follows the batch (the last row) stays right at other batch sizes', async () => {
    const last = (a: Tensor) => a.index(a.shape[0]! - 1);
    const bytes = exportOnnx(last, [x], { dynamicAxes: { input: { 0: 'n' } } });
    const y = randn([5, 3]);
    expectMatches((await runOnnx(bytes, { input: y })).output, last(y));
  });

  it('a flattened batch·T size follows the batch (Reshape gets coef·N + offset)', async () => {
    const f = (a: Tensor) => a.reshape([-1, 4]).tanh().reshape([a.shape[0]!, 3, 4]).sum(1);
    const bytes = exportOnnx(f, [randn([2, 3, 4])], { dynamicAxes: { input: { 0: 'n' } } });
    const y = randn([7, 3, 4]);
    expectMatches((await runOnnx(bytes, { input: y })).output, f(y));
  });

  it('slices, concatenation, casts, comparisons, where and max, at opsets 17, 18 and 21', async () => {
    const f = (a: Tensor) => {
      const s = a.index(null, { start: 2, stop: null, step: -1 });
      const c = a.greater(0).where(a, s.mul(2));
      return [concat([c, a], 1), a.lessEqual(0.5).astype('float32').add(a.max(1, true))];
    };
    // ReduceMax takes its axes as an attribute before opset 18 and as an input from 18 on.
    for (const opset of [17, 18, 21]) {
      const bytes = exportOnnx(f as never, [randn([2, 3])], { opset, dynamicAxes: { input: { 0: 'n' } } });
      const y = randn([4, 3]);
      const out = await runOnnx(bytes, { input: y });
      const [want0, want1] = f(y) as Tensor[];
      expectMatches(out.output_0, want0!);
      expectMatches(out.output_1, want1!);
    }
  });
});
