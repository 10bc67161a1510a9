import { describe, it, expect } from 'vitest';
import { type Tensor, rng, tensor, zeros, grad } from '@jacobi/tensor';
import { Dense, Module, ModelFileError, Sequential } from '@jacobi/nn';

class Scale extends Module {
  factor = tensor([2], { requiresGrad: true });
  constant = tensor([10]); // not a parameter: no requiresGrad
  forward(x: Tensor) {
    return x.mul(this.factor).add(this.constant);
  }
}

class Net extends Module {
  encoder = new Sequential(new Dense(3, 4, { rng: rng(0) }), new Dense(4, 2, { rng: rng(1), bias: false }));
  heads = [new Scale(), new Scale()];
  forward(x: Tensor) {
    const h = this.encoder.forward(x);
    return this.heads[0]!.forward(h).add(this.heads[1]!.forward(h));
  }
}

describe('Module', () => {
  it('names parameters by property path, in declaration order', () => {
    expect(new Net().namedParameters().map(([n]) => n)).toEqual([
      'encoder.layers.0.weight',
      'encoder.layers.0.bias',
      'encoder.layers.1.weight',
      'heads.0.factor',
      'heads.1.factor',
    ]);
    expect(new Net().parameters().length).toBe(5);
  });

  it('counts a shared sub-module once', () => {
    const shared = new Dense(2, 2, { rng: rng(0) });
    const m = new Sequential(shared, shared);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias']);
  });

  it('zeroGrad clears every .grad', () => {
    const net = new Net();
    net
      .forward(tensor([[1, 2, 3]]))
      .sum()
      .backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('train()/eval() switch the whole tree', () => {
    const net = new Net().eval();
    expect([net.training, net.encoder.training, net.encoder.layers[1]!.training, net.heads[1]!.training]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    net.train();
    expect(net.heads[0]!.training).toBe(true);
  });

  it('withParameters swaps parameters for a functional gradient and restores them', () => {
    const m = new Scale();
    const original = m.factor;
    const g = grad((f: Tensor) => m.withParameters([f], () => m.forward(tensor([3])).sum()))(tensor([5]));
    expect(g.toArray()).toEqual([3]);
    expect(m.factor).toBe(original);
    expect(() => m.withParameters([], () => 0)).toThrow(/withParameters: params must be an array of the model's 1 parameters, got \[\]/);
  });

  it('loadStateDict checks everything first and keeps the old weights on failure', () => {
    const a = new Net();
    const before = a.parameters().map((p) => p.toArray());
    const good = new Map(new Net().namedParameters().map(([n, p]) => [n, p.add(1)]));
    const missing = new Map(good);
    missing.delete('heads.1.factor');
    expect(() => a.loadStateDict(missing, { file: 'm.safetensors' })).toThrow(/m\.safetensors: parameter 'heads\.1\.factor' is missing/);
    const extra = new Map(good).set('heads.2.factor', tensor([1]));
    expect(() => a.loadStateDict(extra)).toThrow(ModelFileError);
    const misshapen = new Map(good).set('encoder.layers.0.bias', zeros([5]));
    expect(() => a.loadStateDict(misshapen)).toThrow(/'encoder\.layers\.0\.bias' has shape \[5\], the model expects \[4\]/);
    expect(a.parameters().map((p) => p.toArray())).toEqual(before);
    a.loadStateDict(good);
    expect(a.parameters().map((p) => p.toArray())).toEqual([...good.values()].map((t) => t.toArray()));
  });
});
