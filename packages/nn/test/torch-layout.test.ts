// Model files in PyTorch's state_dict naming and layouts (`layout: 'torch'`): the name and layout
// mapping, the I64 counters, and the errors. The comparison with PyTorch itself is
// scripts/torch-check/model-files.mjs (pnpm check:torch).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, type Tensor, noGrad, randn, rng, tensor, zeros } from '@jacobi/tensor';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dense,
  Embedding,
  Flatten,
  LayerNorm,
  Linear,
  Module,
  ModelFileError,
  SGD,
  Sequential,
  TransformerEncoderLayer,
  decodeModel,
  decodeSafetensors,
  encodeModel,
  encodeSafetensors,
  loadTorchStateDict,
  relu,
  torchStateDict,
} from '@jacobi/nn';
import { loadModel, saveModel } from '@jacobi/nn/node';

const shapes = (state: Map<string, Tensor>) => [...state].map(([n, t]) => `${n} [${t.shape}] ${t.dtype}`);

/** The header of safetensors bytes. */
function header(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** A safetensors file as PyTorch writes it: `tensors` F32 (`I64` entries as int64), in the given order. */
function torchFile(tensors: [string, number[], number[] | bigint[]][]): Uint8Array {
  const fields: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, shape, values] of tensors) {
    const wide = typeof values[0] === 'bigint';
    const bytes = new Uint8Array(wide ? new BigInt64Array(values as bigint[]).buffer : new Float32Array(values as number[]).buffer);
    fields[name] = { dtype: wide ? 'I64' : 'F32', shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(fields));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Every parameter and buffer's values, to show that a failed load changed nothing. */
const snapshot = (m: Module) => [...m.stateDict()].map(([n, t]) => [n, Array.from(t.data())]);

describe('torchStateDict: PyTorch names and layouts', () => {
  it('numbers Sequential children as nn.Sequential, a Dense with an activation counting as Linear + activation, in state_dict order', () => {
    const model = new Sequential(
      new Dense(4, 16, { activation: 'relu', rng: rng(0) }),
      new Dense(16, 8, { rng: rng(1) }),
      relu,
      new BatchNorm1d(8),
      new Dense(8, 3, { activation: 'sigmoid', rng: rng(2) }),
    );
    expect(shapes(torchStateDict(model))).toEqual([
      '0.weight [16,4] float32',
      '0.bias [16] float32',
      '2.weight [8,16] float32',
      '2.bias [8] float32',
      '4.weight [8] float32',
      '4.bias [8] float32',
      '4.running_mean [8] float32',
      '4.running_var [8] float32',
      '4.num_batches_tracked [] int32',
      '5.weight [3,8] float32',
      '5.bias [3] float32',
    ]);
  });

  it('stores a Dense weight as its transpose, Linear.weight [out, in]', () => {
    const dense = new Dense(2, 3, { rng: rng(3) });
    const w = torchStateDict(dense).get('weight')!;
    expect(w.shape).toEqual([3, 2]);
    expect(w.toArray()).toEqual(dense.weight.T.toArray());
    // Outside a Sequential the activation adds no index: the names are the layer's own.
    expect([...torchStateDict(new Dense(2, 3, { activation: 'relu' })).keys()]).toEqual(['weight', 'bias']);
  });

  it('keeps the names of the PyTorch-style layers, module arrays as ModuleList, nested Sequentials', () => {
    class Net extends Module {
      embed = new Embedding(5, 8, { rng: rng(4) });
      layers = [new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, rng: rng(5) })];
      head = new Sequential(new Sequential(new LayerNorm(8), relu), new Linear(8, 5, { rng: rng(6) }));
      forward(x: Tensor) {
        return x;
      }
    }
    expect([...torchStateDict(new Net()).keys()]).toEqual([
      'embed.weight',
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
      'layers.0.self_attn.out_proj.weight',
      'layers.0.self_attn.out_proj.bias',
      'layers.0.linear1.weight',
      'layers.0.linear1.bias',
      'layers.0.linear2.weight',
      'layers.0.linear2.bias',
      'layers.0.norm1.weight',
      'layers.0.norm1.bias',
      'layers.0.norm2.weight',
      'layers.0.norm2.bias',
      'head.0.0.weight',
      'head.0.0.bias',
      'head.1.weight',
      'head.1.bias',
    ]);
  });

  it('refuses what is not a Module', () => {
    expect(() => torchStateDict({} as Module)).toThrow(ArgumentError);
  });
});

describe("encodeModel and decodeModel with layout: 'torch'", () => {
  const cnn = (seed: number) => {
    const r = rng(seed);
    return new Sequential(
      new Conv2d(1, 2, 3, { rng: r }),
      new BatchNorm2d(2),
      relu,
      new Flatten(),
      new Dense(2, 3, { activation: 'relu', rng: r }),
    );
  };

  it('writes I64 counters and F32 weights under PyTorch names, with format pt', () => {
    const model = cnn(0);
    for (let i = 0; i < 3; i++) model.forward(randn([4, 1, 3, 3], { rng: rng(i) }));
    const bytes = encodeModel(model, { layout: 'torch', metadata: { task: 'demo' } });
    const h = header(bytes);
    expect(h.__metadata__).toEqual({ task: 'demo', format: 'pt' });
    expect(h['1.num_batches_tracked']).toMatchObject({ dtype: 'I64', shape: [] });
    expect(h['4.weight']).toMatchObject({ dtype: 'F32', shape: [3, 2] });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    const [begin] = h['1.num_batches_tracked']!.data_offsets;
    expect(new DataView(bytes.buffer).getBigInt64(8 + n + begin, true)).toBe(3n);
    // Plain decodeSafetensors keeps refusing I64, and says where it is read.
    expect(() => decodeSafetensors(bytes)).toThrow(/dtype "I64" is not supported .*I64 with layout: 'torch'/);
  });

  it('round-trips into a model built with other weights', () => {
    const model = cnn(1);
    model.forward(randn([4, 1, 3, 3], { rng: rng(9) }));
    const restored = cnn(2);
    expect(decodeModel(encodeModel(model, { layout: 'torch' }), restored, { layout: 'torch' })).toMatchObject({ format: 'pt' });
    const x = randn([2, 1, 3, 3], { rng: rng(10) });
    expect(restored.eval().forward(x).toArray()).toEqual(model.eval().forward(x).toArray());
    expect(snapshot(restored)).toEqual(snapshot(model));
  });

  it('reads a file laid out as PyTorch writes it', () => {
    const model = new Sequential(new Dense(2, 3, { activation: 'relu' }), new Dense(3, 1), new BatchNorm1d(1));
    const bytes = torchFile([
      ['0.weight', [3, 2], [1, 2, 3, 4, 5, 6]],
      ['0.bias', [3], [0.5, 0, -0.5]],
      ['2.weight', [1, 3], [1, -1, 2]],
      ['2.bias', [1], [0.25]],
      ['3.weight', [1], [2]],
      ['3.bias', [1], [1]],
      ['3.running_mean', [1], [0.5]],
      ['3.running_var', [1], [4]],
      ['3.num_batches_tracked', [], [12n]],
    ]);
    decodeModel(bytes, model, { layout: 'torch' });
    const [first, second, bn] = model.layers as [Dense, Dense, BatchNorm1d];
    expect(first.weight.toArray()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    expect(second.weight.toArray()).toEqual([[1], [-1], [2]]);
    expect(bn.num_batches_tracked!.dtype).toBe('int32');
    expect(bn.num_batches_tracked!.item()).toBe(12);
    expect(bn.running_var!.toArray()).toEqual([4]);
  });

  it('round-trips any stack of Dense, Linear, BatchNorm1d and functions, numbered as nn.Sequential', () => {
    type Spec =
      | { kind: 'dense'; width: number; activated: boolean }
      | { kind: 'linear'; width: number }
      | { kind: 'norm' }
      | { kind: 'fn' };
    const spec = fc.oneof(
      fc.record({ kind: fc.constant('dense' as const), width: fc.integer({ min: 1, max: 4 }), activated: fc.boolean() }),
      fc.record({ kind: fc.constant('linear' as const), width: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('norm' as const) }),
      fc.record({ kind: fc.constant('fn' as const) }),
    );
    const build = (specs: Spec[], seed: number) => {
      const r = rng(seed);
      let width = 3;
      return new Sequential(
        ...specs.map((s) => {
          const from = width;
          if (s.kind === 'fn') return relu;
          if (s.kind === 'norm') return new BatchNorm1d(from);
          width = s.width;
          if (s.kind === 'linear') return new Linear(from, width, { rng: r });
          return new Dense(from, width, { activation: s.activated ? 'tanh' : 'identity', rng: r });
        }),
      );
    };
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 6 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (specs, count) => {
        const model = build(specs, 1);
        noGrad(() => {
          for (const [name, b] of model.namedBuffers()) {
            if (name.endsWith('num_batches_tracked')) b.assign(tensor(count, { dtype: 'int32' }));
            else b.assign(randn(b.shape, { rng: rng(count & 0xff) }).abs());
          }
        });
        // Child i of nn.Sequential: the sum of what the layers before it stand for (a Dense with an activation: two).
        const starts = specs.map((_, i) => specs.slice(0, i).reduce((n, s) => n + (s.kind === 'dense' && s.activated ? 2 : 1), 0));
        const expected = specs.flatMap((s, i) => {
          const p = `${starts[i]}.`;
          if (s.kind === 'fn') return [];
          if (s.kind === 'norm') return [`${p}weight`, `${p}bias`, `${p}running_mean`, `${p}running_var`, `${p}num_batches_tracked`];
          return [`${p}weight`, `${p}bias`];
        });
        expect([...torchStateDict(model).keys()]).toEqual(expected);
        const restored = build(specs, 2);
        decodeModel(encodeModel(model, { layout: 'torch' }), restored, { layout: 'torch' });
        expect(snapshot(restored)).toEqual(snapshot(model));
      }),
      { numRuns: 40 },
    );
  });

  it('casts float files to the model dtype, as load_state_dict copies', () => {
    const model = new Linear(2, 1, { dtype: 'float64' });
    loadTorchStateDict(
      model,
      new Map([
        ['weight', tensor([[1.5, 2]])],
        ['bias', tensor([3])],
      ]),
    );
    expect(model.weight.dtype).toBe('float64');
    expect(model.weight.toArray()).toEqual([[1.5, 2]]);
  });
});

describe("layout: 'torch' errors change nothing", () => {
  const model = () => new Sequential(new Dense(2, 3, { rng: rng(0) }), new BatchNorm1d(3));

  it('lists every missing, unexpected, misshapen and mistyped tensor in one ModelFileError', () => {
    const m = model();
    const before = snapshot(m);
    const state = new Map<string, Tensor>([
      ['0.weight', zeros([2, 3])], // the jacobi layout, not PyTorch's [3, 2]
      ['1.weight', zeros([3], { dtype: 'int32' })],
      ['1.bias', zeros([3])],
      ['1.running_mean', zeros([3])],
      ['1.running_var', zeros([3])],
      ['1.num_batches_tracked', zeros([])],
      ['layers.0.bias', zeros([3])],
    ]);
    let error: unknown;
    try {
      loadTorchStateDict(m, state, { file: 'net.safetensors' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFileError);
    const e = error as ModelFileError;
    expect(e.file).toBe('net.safetensors');
    expect(e.tensor).toBe('0.weight');
    expect(e.message).toMatch(/^loadTorchStateDict: net\.safetensors: the PyTorch state_dict does not fit the model, 5 problems: /);
    expect(e.message).toContain("'0.weight' has shape [2,3], expected [3,2]");
    expect(e.message).toContain("'0.bias' is missing (expected [3] float32)");
    expect(e.message).toContain("'1.weight' has dtype int32, expected float (float32)");
    expect(e.message).toContain("'1.num_batches_tracked' has dtype float32, expected integer (int32)");
    expect(e.message).toContain('unexpected "layers.0.bias"');
    expect(snapshot(m)).toEqual(before);
  });

  it('caps the list at 20 and counts the rest', () => {
    const many = new Map<string, Tensor>(Array.from({ length: 30 }, (_, i) => [`extra${i}`, zeros([1])]));
    expect(() => loadTorchStateDict(new Linear(1, 1), many)).toThrow(/32 problems: .*; and 12 more$/);
  });

  it('refuses an I64 value outside the int32 range, naming the tensor', () => {
    const m = new BatchNorm1d(1);
    const before = snapshot(m);
    const bytes = torchFile([
      ['weight', [1], [1]],
      ['bias', [1], [0]],
      ['running_mean', [1], [0]],
      ['running_var', [1], [1]],
      ['num_batches_tracked', [], [2n ** 31n]],
    ]);
    expect(() => decodeModel(bytes, m, { layout: 'torch', file: 'big.safetensors' })).toThrow(
      /decodeModel: big\.safetensors: tensor 'num_batches_tracked': I64 value 2147483648 at flat position 0 does not fit jacobi's int32/,
    );
    expect(snapshot(m)).toEqual(before);
  });

  it("says when a file in jacobi's layout is read as PyTorch's", () => {
    expect(() => decodeModel(encodeModel(model()), model(), { layout: 'torch' })).toThrow(
      /\(the file was saved in jacobi's layout: load it without layout: 'torch'\)$/,
    );
  });

  it("says when a PyTorch file is read in jacobi's layout", () => {
    const dense = new Sequential(new Dense(2, 3));
    expect(() => decodeModel(encodeModel(dense, { layout: 'torch' }), dense, { file: 'm' })).toThrow(
      /^decodeModel: m: parameter 'layers\.0\.weight' is missing .*\(the file is a PyTorch state_dict: load it with layout: 'torch'\)$/,
    );
  });

  it('refuses an optimiser and unknown layouts', () => {
    const m = model();
    const sgd = new SGD(m.parameters(), { lr: 0.1 });
    expect(() => encodeModel(m, { layout: 'torch', optimizer: sgd })).toThrow(
      /^encodeModel: opts\.optimizer cannot be saved with layout 'torch'/,
    );
    const bytes = encodeModel(m, { layout: 'torch' });
    expect(() => decodeModel(bytes, m, { layout: 'torch', optimizer: sgd })).toThrow(ArgumentError);
    expect(() => encodeModel(m, { layout: 'pytorch' as 'torch' })).toThrow(/^encodeModel: opts\.layout must be one of 'jacobi', 'torch'/);
    expect(() => decodeModel(bytes, m, { layout: 'onnx' as 'torch' })).toThrow(ArgumentError);
    expect(() => loadTorchStateDict(m, {} as Map<string, Tensor>)).toThrow(ArgumentError);
  });

  it('leaves the jacobi layout as it was (I64 refused there)', () => {
    const bytes = encodeModel(model(), { layout: 'torch' });
    expect(() => decodeModel(bytes, model())).toThrow(/dtype "I64" is not supported/);
    const plain = encodeSafetensors([['a', tensor([1], { dtype: 'int32' })]]);
    expect(header(plain).a!.dtype).toBe('I32');
  });
});

describe("saveModel and loadModel with layout: 'torch'", () => {
  it('write and read PyTorch-layout files on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jacobi-torch-layout-'));
    const path = join(dir, 'model.safetensors');
    const model = new Sequential(new Dense(3, 4, { activation: 'tanh', rng: rng(1) }), new Dense(4, 2, { rng: rng(2) }));
    await saveModel(path, model, { layout: 'torch' });
    const restored = new Sequential(new Dense(3, 4, { activation: 'tanh', rng: rng(3) }), new Dense(4, 2, { rng: rng(4) }));
    await loadModel(path, restored, { layout: 'torch' });
    expect(snapshot(restored)).toEqual(snapshot(model));
    await expect(loadModel(path, restored)).rejects.toThrow(ModelFileError);
  });
});
