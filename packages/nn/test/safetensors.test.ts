import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng, tensor } from '@jacobi/tensor';
import {
  Adam,
  Dense,
  ModelFileError,
  Sequential,
  decodeModel,
  decodeSafetensors,
  encodeModel,
  encodeSafetensors,
  predict,
} from '@jacobi/nn';
// NOTE: relative import, because vitest.config.ts aliases only the main '@jacobi/nn' entry.
import { loadModel, readSafetensors, saveModel } from '@jacobi/nn/node';

/** A file from a header (object or raw string) and data bytes; `length` overrides the header length. */
function file(header: object | string, data: number[] = [], length?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, length ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const f32 = (...v: number[]) => [...new Uint8Array(new Float32Array(v).buffer)]; // little-endian hosts

describe('safetensors encoding', () => {
  it('writes the documented layout', () => {
    const bytes = encodeSafetensors(
      [
        ['w', tensor([[1, 2]])],
        ['b', tensor([3], { dtype: 'float64' })],
      ],
      { format: 'jacobi' },
    );
    const view = new DataView(bytes.buffer);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({
      __metadata__: { format: 'jacobi' },
      w: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
      b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
    });
    expect(view.getFloat32(8 + n + 4, true)).toBe(2);
    expect(view.getFloat64(8 + n + 8, true)).toBe(3);
  });

  it('round-trips any float32/float64 tensors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.boolean()), { maxLength: 4 }),
        (specs) => {
          const r = rng(specs.length);
          const tensors = specs.map(([shape, double], i) => {
            const size = shape.reduce((a, b) => a * b, 1);
            const data = Array.from({ length: size }, () => r.normal());
            return [`t${i}`, tensor(double ? new Float64Array(data) : new Float32Array(data), { shape })] as const;
          });
          const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
          expect([...back.keys()]).toEqual(tensors.map(([n]) => n));
          for (const [name, t] of tensors) {
            expect(back.get(name)!.dtype).toBe(t.dtype);
            expect(back.get(name)!.shape).toEqual(t.shape);
            expect(Array.from(back.get(name)!.data())).toEqual(Array.from(t.data()));
          }
        },
      ),
    );
  });

  it('round-trips int32 as I32 and bool as BOOL, and reads any non-zero BOOL byte as true', () => {
    const ints = tensor([[-(2 ** 31), 7, 2 ** 31 - 1]], { dtype: 'int32' });
    const mask = tensor([true, false, true]);
    const bytes = encodeSafetensors([
      ['i', ints],
      ['m', mask],
    ]);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + new DataView(bytes.buffer).getUint32(0, true)))).toContain('"dtype":"I32"');
    const back = decodeSafetensors(bytes).tensors;
    expect(back.get('i')!.dtype).toBe('int32');
    expect(back.get('i')!.toArray()).toEqual(ints.toArray());
    expect(back.get('m')!.dtype).toBe('bool');
    expect(back.get('m')!.toArray()).toEqual([1, 0, 1]);
    const odd = decodeSafetensors(file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [0, 2, 255])).tensors;
    expect(odd.get('m')!.toArray()).toEqual([0, 1, 1]);
  });

  it('reads F16 and BF16 as float32', () => {
    const half = [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x35]; // 1, −2, 0.3125
    const bf16 = [0x80, 0x3f, 0x40, 0xc0]; // 1, −3
    const t = decodeSafetensors(
      file({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } }, [
        ...half,
        ...bf16,
      ]),
    ).tensors;
    expect(t.get('h')!.toArray()).toEqual([1, -2, 0.3125]);
    expect(t.get('b')!.toArray()).toEqual([1, -3]);
  });
});

describe('safetensors validation', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const bad: [string, Uint8Array, RegExp][] = [
    ['a file shorter than the length field', new Uint8Array(3), /too short/],
    ['a header length beyond the file', file(ok, f32(1, 2), 10_000), /header length 10000 runs past the end of the file/],
    ['invalid JSON', file('{"a": ', []), /header is not valid JSON/],
    ['a header that is not an object', file('[1]'), /must be a JSON object/],
    ['an unknown dtype', file({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'a': dtype "F33" is unknown/],
    ['an unsupported dtype', file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32(1, 2)), /dtype "I64" is not supported/],
    ['offsets out of range', file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, f32(1, 2)), /out of range for 8 bytes/],
    [
      'a shape that does not fit its bytes',
      file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(1, 2)),
      /shape \[3\] of F32 needs 12 bytes/,
    ],
    [
      'overlapping tensors',
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)),
      /'b'.*overlap tensor 'a'/,
    ],
    ['a gap', file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /gap of 4 bytes/],
    ['trailing bytes', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)), /4 trailing bytes belong to no tensor/],
    [
      'a negative shape',
      file({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32(1, 2)),
      /shape must be an array of non-negative integers/,
    ],
    ['non-string metadata', file({ __metadata__: { n: 1 }, ...ok }, f32(1, 2)), /__metadata__ entry 'n' must be a string/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what} with a ModelFileError naming the file`, () => {
      expect(() => decodeSafetensors(bytes, { file: 'model.safetensors' })).toThrow(ModelFileError);
      expect(() => decodeSafetensors(bytes, { file: 'model.safetensors' })).toThrow(message);
      expect(() => decodeSafetensors(bytes, { file: 'model.safetensors' })).toThrow(/^decodeSafetensors: model\.safetensors: /);
    });
  }
  it('names the tensor in the error', () => {
    try {
      decodeSafetensors(bad[4]![1], { file: 'm' });
    } catch (e) {
      expect((e as ModelFileError).tensor).toBe('a');
      expect((e as ModelFileError).file).toBe('m');
    }
  });
});

describe('model files', () => {
  const make = (seed: number) =>
    new Sequential(new Dense(4, 5, { activation: 'tanh', rng: rng(seed) }), new Dense(5, 3, { rng: rng(seed + 1) }));
  const x = tensor([
    [1, 2, 3, 4],
    [-1, 0, 1, 0],
  ]);

  it('reload to identical predictions, with optimiser state', () => {
    const model = make(0);
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    model.forward(x).sum().backward();
    opt.step();
    const bytes = encodeModel(model, { optimizer: opt, metadata: { note: 'hi' } });
    const copy = make(10);
    const optCopy = new Adam(copy.parameters());
    const meta = decodeModel(bytes, copy, { optimizer: optCopy });
    expect(meta).toMatchObject({ note: 'hi', format: 'jacobi' });
    expect(predict(copy, x).toArray()).toEqual(predict(model, x).toArray());
    expect(optCopy.lr).toBe(0.01);
    expect([...optCopy.stateDict().buffers.keys()]).toEqual([...opt.stateDict().buffers.keys()]);
  });

  it("number the optimiser's slots in model order, so tree-built and array-built optimisers read each other's files", () => {
    // Two layers of equal shapes: a misnumbered slot would load without any shape error.
    const square = (seed: number) => new Sequential(new Dense(4, 4, { rng: rng(seed) }), new Dense(4, 4, { rng: rng(seed + 1) }));
    const model = square(0);
    const fromTree = new Adam(model.parameterTree(), { lr: 0.01 });
    for (let i = 0; i < 2; i++) {
      fromTree.zeroGrad();
      model.forward(x).square().sum().backward();
      fromTree.step();
    }
    const slotsOf = (opt: Adam, m: Sequential) => {
      const state = opt.stateDict();
      return Object.fromEntries(
        m.namedParameters().map(([name, p]) => {
          const i = opt.params.indexOf(p);
          return [name, [state.steps[i], state.buffers.get(`${i}.exp_avg`)!.toArray(), state.buffers.get(`${i}.exp_avg_sq`)!.toArray()]];
        }),
      );
    };
    const copy = square(5);
    const fromArray = new Adam(copy.parameters());
    decodeModel(encodeModel(model, { optimizer: fromTree }), copy, { optimizer: fromArray });
    expect(slotsOf(fromArray, copy)).toEqual(slotsOf(fromTree, model));
    // And back: an array-built optimiser's file into a tree-built one.
    const again = square(9);
    const treeAgain = new Adam(again.parameterTree());
    decodeModel(encodeModel(copy, { optimizer: fromArray }), again, { optimizer: treeAgain });
    expect(slotsOf(treeAgain, again)).toEqual(slotsOf(fromTree, model));
    // The order really differs: sorted keys put biases first.
    expect(fromTree.params[0]).toBe(model.namedParameters().find(([n]) => n.endsWith('bias'))![1]);
  });

  it('keep the old weights when the file does not fit the model', () => {
    const wide = new Sequential(new Dense(4, 6, { rng: rng(0) }), new Dense(6, 3, { rng: rng(1) }));
    const model = make(0);
    const before = predict(model, x).toArray();
    expect(() => decodeModel(encodeModel(wide), model, { file: 'wide.safetensors' })).toThrow(
      /wide\.safetensors: parameter 'layers\.0\.weight' has shape \[4,6\], the model expects \[4,5\]/,
    );
    expect(() => decodeModel(encodeModel(model), model, { optimizer: new Adam(model.parameters()) })).toThrow(/no optimiser state/);
    expect(predict(model, x).toArray()).toEqual(before);
  });

  it('are written atomically and read back from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jacobi-nn-'));
    const path = join(dir, 'sub', 'model.safetensors');
    const model = make(3);
    await saveModel(path, model);
    await saveModel(path, model); // overwriting goes through a temporary file too
    expect(await readdir(join(dir, 'sub'))).toEqual(['model.safetensors']);
    const copy = make(4);
    await loadModel(path, copy);
    expect(predict(copy, x).toArray()).toEqual(predict(model, x).toArray());
    expect([...(await readSafetensors(path)).tensors.keys()]).toEqual(model.namedParameters().map(([n]) => n));
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, (await readFile(path)).subarray(0, 40));
    await expect(loadModel(truncated, copy)).rejects.toThrow(/truncated\.safetensors: header length \d+ runs past the end/);
    await expect(loadModel(join(dir, 'missing.safetensors'), copy)).rejects.toThrow(/cannot read the file \(ENOENT\)/);
  });
});
