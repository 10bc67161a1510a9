// Buffers: named non-trainable state, saved and loaded with the model, never an optimiser's.
import { describe, expect, it } from 'vitest';
import { ArgumentError, type Tensor, randn, rng, tensor, zeros } from '@jacobi/tensor';
import {
  Adam,
  BatchNorm1d,
  BatchNorm2d,
  Dense,
  ModelFileError,
  Module,
  SGD,
  Sequential,
  checkStateDict,
  decodeModel,
  encodeModel,
  mse,
} from '@jacobi/nn';

const model = () => new Sequential(new Dense(3, 4, { rng: rng(1) }), new BatchNorm1d(4), new Dense(4, 1, { rng: rng(2) }));

describe('buffers', () => {
  it('are listed by namedBuffers with dotted paths, and are not parameters', () => {
    const m = model();
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['layers.1.running_mean', 'layers.1.running_var', 'layers.1.num_batches_tracked']);
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.2.weight',
      'layers.2.bias',
    ]);
    const buffers = new Set(m.buffers());
    expect(m.parameters().some((p) => buffers.has(p))).toBe(false);
    expect([...m.stateDict().keys()].slice(-3)).toEqual(m.namedBuffers().map(([n]) => n));
  });
  it('are never seen or changed by an optimiser', () => {
    for (const make of [(ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), (ps: Tensor[]) => new Adam(ps)]) {
      const m = model();
      const opt = make(m.parameters());
      const buffers = new Set(m.buffers());
      expect(opt.params.some((p) => buffers.has(p))).toBe(false);
      const x = randn([8, 3], { rng: rng(3) });
      mse(m.forward(x), zeros([8, 1])).backward();
      const before = m.namedBuffers().map(([, b]) => b.toArray());
      opt.step();
      // The step changed parameters only; the running statistics moved in forward, not here.
      expect(m.namedBuffers().map(([, b]) => b.toArray())).toEqual(before);
      expect(m.buffers().every((b) => b.grad === null && !b.requiresGrad)).toBe(true);
    }
  });
  it('round-trip through encodeModel/decodeModel with the running statistics', () => {
    const trained = model();
    for (let i = 0; i < 3; i++) trained.forward(randn([8, 3], { rng: rng(10 + i) }));
    const bn = trained.layers[1] as BatchNorm1d;
    expect(bn.num_batches_tracked!.item()).toBe(3);
    const restored = model();
    decodeModel(encodeModel(trained), restored);
    expect(restored.namedBuffers().map(([n, b]) => [n, b.dtype, b.toArray()])).toEqual(
      trained.namedBuffers().map(([n, b]) => [n, b.dtype, b.toArray()]),
    );
    const x = randn([5, 3], { rng: rng(20) });
    expect(restored.eval().forward(x).toArray()).toEqual(trained.eval().forward(x).toArray());
  });
  it('must all be in a file: a missing or misshapen buffer is a ModelFileError and nothing changes', () => {
    const m = model();
    const state = new Map(m.stateDict());
    state.delete('layers.1.running_var');
    const target = model();
    const before = target.namedBuffers().map(([, b]) => b.toArray());
    expect(() => checkStateDict(target, state)).toThrow(ModelFileError);
    expect(() => checkStateDict(target, state)).toThrow(/buffer 'layers.1.running_var' is missing/);
    state.set('layers.1.running_var', zeros([5]));
    expect(() => target.loadStateDict(state)).toThrow(/buffer 'layers.1.running_var' has shape \[5\]/);
    expect(target.namedBuffers().map(([, b]) => b.toArray())).toEqual(before);
    // A file of the parameters alone (as saved before buffers existed) does not fit a model with buffers.
    const plain = new Sequential(new Dense(3, 4), new Dense(4, 1));
    expect(() => decodeModel(encodeModel(plain), new Sequential(new Dense(3, 4), new Dense(4, 1), new BatchNorm1d(1)))).toThrow(
      /is missing/,
    );
  });
  it('are registered by subclasses with registerBuffer, which refuses trainable tensors', () => {
    class Counter extends Module {
      declare count: Tensor;
      scale = tensor([2], { requiresGrad: true });
      constructor() {
        super();
        this.registerBuffer('count', zeros([], { dtype: 'int32' }));
      }
      forward(x: Tensor): Tensor {
        this.count.assign(this.count.add(1));
        return x.mul(this.scale);
      }
      register(name: string, value: Tensor): Tensor {
        return this.registerBuffer(name, value);
      }
    }
    const c = new Counter();
    c.forward(tensor([1]));
    expect(c.namedBuffers()).toEqual([['count', c.count]]);
    expect(c.count.item()).toBe(1);
    expect(() => c.register('w', tensor([1], { requiresGrad: true }))).toThrow(ArgumentError);
    expect(() => c.register('scale', tensor([1]))).toThrow(/already holds a parameter/);
    expect(() => c.register('a.b', tensor([1]))).toThrow(/must not contain/);
    const copy = new Counter();
    copy.loadStateDict(c.stateDict());
    expect(copy.count.item()).toBe(1);
  });
  it('BatchNorm2d without trackRunningStats has no buffers and always uses batch statistics', () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false });
    expect(bn.namedBuffers()).toEqual([]);
    expect(bn.namedParameters()).toEqual([]);
    const x = randn([3, 2, 2, 2], { rng: rng(4) });
    expect(bn.eval().forward(x).toArray()).toEqual(bn.train().forward(x).toArray());
  });
});
