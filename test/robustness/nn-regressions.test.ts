// One regression test per class of robustness bug found in @jacobi/nn (the numbering):
// each would have failed before its fix.
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnomalyError, ArgumentError, ShapeError, type Tensor, detectAnomaly, rng, tensor, zeros } from '@jacobi/tensor';
import {
  Adam,
  AdamW,
  Dense,
  ModelFileError,
  SGD,
  Sequential,
  binaryCrossEntropy,
  decodeModel,
  decodeSafetensors,
  encodeModel,
  encodeSafetensors,
  glorotUniform,
  mse,
  oneHot,
  permutation,
  softmaxCrossEntropy,
  trainStep,
  type Optimizer,
} from '@jacobi/nn';
import { saveModel } from '@jacobi/nn/node';

const model = () => new Sequential(new Dense(3, 2, { rng: rng(1) }), new Dense(2, 1, { rng: rng(2) }));
const x = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const y = () => tensor([[1], [0]]);
const values = (ts: readonly Tensor[]) => ts.map((t) => Array.from(t.data()));
/** The optimiser after one step on (x, y), so it has buffers. */
function trained<O extends Optimizer>(m: Sequential, make: (ps: Tensor[]) => O): O {
  const opt = make(m.parameters());
  trainStep(m, opt, mse, x(), y());
  return opt;
}
const stateOf = (opt: Optimizer) => {
  const s = opt.stateDict();
  return { hyper: s.hyper, steps: s.steps, buffers: [...s.buffers].map(([k, t]) => [k, Array.from(t.data())]) };
};

describe('1. names from files and user code are never keys of plain objects', () => {
  it("a model file with a buffer named 'optimizer.0.__proto__' is refused and pollutes nothing", () => {
    const m = model();
    const bytes = encodeModel(m, { optimizer: trained(m, (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })) });
    const { tensors, metadata } = decodeSafetensors(bytes);
    const hostile = encodeSafetensors([...tensors, ['optimizer.0.__proto__', tensor([1, 1, 1, 1, 1, 1]).reshape([3, 2])]], metadata);
    const target = model();
    const opt = trained(target, (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }));
    const before = stateOf(opt);
    expect(() => decodeModel(hostile, target, { optimizer: opt })).toThrow(ModelFileError);
    expect(Object.hasOwn(Object.prototype, '0')).toBe(false);
    expect(([] as unknown[])[0]).toBeUndefined();
    expect(stateOf(opt)).toEqual(before);
  });

  it("tensor and metadata names like '__proto__' and 'constructor' round-trip through a file", () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const bytes = encodeSafetensors(
      names.map((n, i) => [n, tensor([i])] as const),
      JSON.parse('{"__proto__":"p","toString":"t"}') as Record<string, string>,
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(names);
    expect([...tensors.values()].map((t) => t.item())).toEqual([0, 1, 2, 3]);
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    expect(Object.entries(metadata)).toEqual([
      ['__proto__', 'p'],
      ['toString', 't'],
    ]);
  });
});

describe('3. sizes are checked before anything is allocated', () => {
  it('oneHot refuses a result too large for a tensor without allocating it', () => {
    expect(() => oneHot([0], 2 ** 32)).toThrow(/^oneHot: numClasses must be an integer in \[1, 2147483647\], got 4294967296/);
    expect(() => oneHot([0, 1], 2 ** 30 + 1)).toThrow(ShapeError);
  });

  it('a header of many empty tensors in a small file is refused', () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => [`t${i}`, zeros([0])] as const);
    const bytes = encodeSafetensors(entries);
    expect(() => decodeSafetensors(bytes)).toThrow(/^decodeSafetensors: the header lists more than \d+ tensors/);
  });
});

describe('4. every error is typed and names the function the user called', () => {
  it('null options and label errors name the called function', () => {
    expect(() => mse(x(), x(), null as never)).toThrow(/^mse: options must be an object \(or undefined\), got null/);
    expect(() => softmaxCrossEntropy(tensor([[1, 2]]), [5])).toThrow(/^softmaxCrossEntropy: label 0 is 5, expected an integer in \[0, 2\)/);
    expect(() => new Dense(2, 2, null as never)).toThrow(ArgumentError);
    expect(() => trainStep(model(), new SGD(model().parameters(), { lr: 1 }), mse, tensor([[1, 2]]), y())).toThrow(
      /^trainStep: Sequential\.forward: layer 0: Dense\.forward: input of shape \[1,2\]/,
    );
  });
});

describe('5. a failed call changes nothing', () => {
  it('a schedule that sets lr to undefined is refused and the optimiser keeps its lr', () => {
    const opt = new SGD(model().parameters(), { lr: 0.1 });
    expect(() => {
      opt.lr = undefined as never;
    }).toThrow(/^SGD\.lr: lr must be a finite number ≥ 0, got undefined/);
    expect(opt.lr).toBe(0.1);
  });

  it('an Infinity gradient in anomaly mode leaves parameters, step counts and buffers as they were', () => {
    const m = model();
    const opt = trained(m, (ps) => new Adam(ps, { lr: 0.1 }));
    const [params, state] = [values(m.parameters()), stateOf(opt)];
    const grads = m.parameters().map((p, i) => (i === 2 ? p.mul(0).add(Infinity) : p.mul(0).add(1)));
    expect(() => detectAnomaly(() => opt.step(grads))).toThrow(AnomalyError);
    expect(values(m.parameters())).toEqual(params);
    expect(stateOf(opt)).toEqual(state);
  });

  it("trainStep(…, 'backward') keeps every .grad when the loss throws", () => {
    const m = model();
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    mse(m.forward(x()), y()).backward();
    const grads = values(m.parameters().map((p) => p.grad!));
    const failing = () => {
      throw new ShapeError('myLoss: broken');
    };
    expect(() => trainStep(m, opt, failing, x(), y())).toThrow(/^trainStep: myLoss: broken/);
    expect(values(m.parameters().map((p) => p.grad!))).toEqual(grads);
  });

  it('stateDict returns copies that later steps do not change', () => {
    const m = model();
    const opt = trained(m, (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }));
    const snapshot = opt.stateDict();
    const saved = [...snapshot.buffers.values()].map((t) => Array.from(t.data()));
    trainStep(m, opt, mse, x(), y());
    expect([...snapshot.buffers.values()].map((t) => Array.from(t.data()))).toEqual(saved);
  });
});

describe('6. whatever saves, loads: one validation for constructor, setters and loads', () => {
  it('the constructor and the setters refuse what a load would refuse', () => {
    const ps = model().parameters();
    expect(() => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: 'yes' as never })).toThrow(/^SGD: nesterov must be a boolean, got "yes"/);
    const opt = new SGD(ps, { lr: 0.1 });
    expect(() => {
      opt.lr = Number.NaN;
    }).toThrow(ArgumentError);
    expect(() => {
      opt.nesterov = true;
    }).toThrow(/^SGD\.nesterov: nesterov needs a momentum > 0/);
  });

  it('a loaded state is held to the constructor rules (lr -1, momentum -5)', () => {
    const m = model();
    const opt = trained(m, (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }));
    for (const hyper of [{ lr: -1 }, { momentum: -5 }] as Record<string, number>[]) {
      const state = opt.stateDict();
      expect(() => opt.loadStateDict({ ...state, hyper: { ...state.hyper, ...hyper } })).toThrow(
        /^SGD\.loadStateDict: optimizer state: SGD (lr|momentum) must be a finite number ≥ 0/,
      );
    }
  });

  it('every optimiser with every option saves a file that loads back', () => {
    const makers: ((ps: Tensor[]) => Optimizer)[] = [
      (ps: Tensor[]) => new SGD(ps, { lr: 0.2, momentum: 0.5, nesterov: true, weightDecay: 0.1 }),
      (ps: Tensor[]) => new Adam(ps, { lr: 0.01, betas: [0.5, 0.6], eps: 1e-3, weightDecay: 0.2 }),
      (ps: Tensor[]) => new AdamW(ps, { lr: 0.01, betas: [0, 0], eps: 0, weightDecay: 0 }),
    ];
    for (const make of makers) {
      const m = model();
      const opt = trained(m, make);
      (opt as SGD | Adam).lr = 0.5;
      const copy = model();
      const restored = make(copy.parameters());
      decodeModel(encodeModel(m, { optimizer: opt }), copy, { optimizer: restored });
      expect(stateOf(restored)).toEqual(stateOf(opt));
      expect(values(copy.parameters())).toEqual(values(m.parameters()));
    }
  });
});

describe('7. saving: stale temporaries are removed and write failures are ModelFileErrors', () => {
  it('a temporary left by a killed process is removed by the next save of the same file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jacobi-stale-'));
    // NOTE: pid 2^22 + 12345 is above Linux's default pid_max, so no process has it.
    const stale = `.m.safetensors.${2 ** 22 + 12345}.0.tmp`;
    const other = `.other.safetensors.${2 ** 22 + 12345}.0.tmp`;
    await writeFile(join(dir, stale), 'half a file');
    await writeFile(join(dir, other), 'another target');
    await saveModel(join(dir, 'm.safetensors'), model());
    expect((await readdir(dir)).sort()).toEqual([other, 'm.safetensors']);
  });

  it('EISDIR and a file in place of a folder are ModelFileErrors naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jacobi-write-'));
    await mkdir(join(dir, 'folder.safetensors'));
    await expect(saveModel(join(dir, 'folder.safetensors'), model())).rejects.toThrow(
      /^saveModel: .*folder\.safetensors: cannot write the file \(EISDIR\)/,
    );
    await writeFile(join(dir, 'plain'), 'x');
    await expect(saveModel(join(dir, 'plain', 'm.safetensors'), model())).rejects.toThrow(ModelFileError);
  });
});

describe('8. no silent wrong results', () => {
  it('refuses what used to give NaN, empty or wrong results', () => {
    expect(() => binaryCrossEntropy(tensor([1.5]), tensor([1]))).toThrow(
      /^binaryCrossEntropy: pred must hold probabilities in \[0, 1\], got 1\.5/,
    );
    expect(() => permutation(-1, rng(0))).toThrow(/^permutation: n must be an integer in \[0, 2147483647\], got -1/);
    expect(() => glorotUniform('x' as never)).toThrow(/^glorotUniform: gain must be a finite number, got "x"/);
    expect(() => new Dense(3, 2, { init: () => zeros([2, 3]) })).toThrow(
      /^Dense: opts\.init returned a float32 Tensor of shape \[2,3\], expected a float32 Tensor of shape \[3,2\]/,
    );
    expect(() => new SGD([tensor([1])], { lr: 0.1 })).toThrow(/^SGD: params\[0\] does not require grad/);
  });

  it('decodeSafetensors keeps the order of integer-like names', () => {
    const names = ['1', '0', 'b', '10', 'a'];
    const bytes = encodeSafetensors(names.map((n) => [n, tensor([Number(n) || 0])] as const));
    expect([...decodeSafetensors(bytes).tensors.keys()]).toEqual(names);
  });
});
