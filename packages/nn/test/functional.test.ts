// The functional style over stateful modules: parameterTree(), functionalCall (PyTorch's
// torch.func.functional_call) and optimisers stepping with a gradient tree.
import { describe, expect, it } from 'vitest';
import { type Tensor, TreeStructureError, grad, rng, tensor, treeMap, vjp } from '@jacobi/tensor';
import { Adam, BatchNorm1d, Linear, Module, SGD, Sequential, functionalCall, mse } from '@jacobi/nn';

const f64 = { dtype: 'float64' } as const;
function net(seed = 0) {
  const r = rng(seed);
  return new Sequential(new Linear(3, 4, { rng: r, ...f64 }), (t: Tensor) => t.tanh(), new Linear(4, 2, { rng: r, ...f64 }));
}
const x = tensor(
  [
    [0.5, -1, 2],
    [1, 0.25, -0.5],
  ],
  f64,
);
const y = tensor(
  [
    [1, 0],
    [0, 1],
  ],
  f64,
);
const snapshot = (m: Module) => m.namedParameters().map(([n, p]) => [n, p, [...p.data()]] as const);

describe('parameterTree', () => {
  it('is keyed like namedParameters and holds the live parameters', () => {
    const model = net();
    const tree = model.parameterTree();
    expect(Object.keys(tree)).toEqual(model.namedParameters().map(([n]) => n));
    for (const [name, p] of model.namedParameters()) expect(tree[name]).toBe(p);
  });
});

describe('functionalCall', () => {
  it('equals the stateful call and leaves the model untouched', () => {
    const model = net();
    const before = snapshot(model);
    const same = functionalCall(model, model.parameterTree(), x);
    expect(same.toArray()).toEqual(model.forward(x).toArray());
    const doubled = treeMap((p) => (p as Tensor).mul(2), model.parameterTree());
    const out = functionalCall(model, doubled, x);
    const reference = net();
    for (const [, p] of reference.namedParameters()) p.assign(p.mul(2));
    expect(out.toArray()).toEqual(reference.forward(x).toArray());
    expect(snapshot(model)).toEqual(before);
    for (const [name, p] of before) expect(model.parameterTree()[name]).toBe(p);
  });
  it('puts the parameters back when the forward throws', () => {
    const model = net();
    const before = snapshot(model);
    const bad = treeMap((p) => (p as Tensor).mul(3), model.parameterTree());
    expect(() => functionalCall(model, bad, tensor([[1, 2]], f64))).toThrow();
    expect(snapshot(model)).toEqual(before);
  });
  it('grad through functionalCall equals loss.backward()', () => {
    const model = net(3);
    const g = grad((p: Record<string, Tensor>) => mse(functionalCall(model, p, x), y))(model.parameterTree());
    model.zeroGrad();
    mse(model.forward(x), y).backward();
    expect(Object.keys(g).sort()).toEqual(
      model
        .namedParameters()
        .map(([n]) => n)
        .sort(),
    );
    for (const [name, p] of model.namedParameters()) {
      const a = [...g[name]!.data()];
      const b = [...p.grad!.data()];
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    }
    // The gradient tree has the parameters' keys and shapes, and vjp works the same way.
    const [, pullback] = vjp((p: Record<string, Tensor>) => functionalCall(model, p, x), model.parameterTree());
    expect(
      Object.keys(
        pullback(
          tensor(
            [
              [1, 0],
              [0, 0],
            ],
            f64,
          ),
        )[0],
      ).sort(),
    ).toEqual(Object.keys(g).sort());
  });
  it('substitutes a tied parameter in every field that holds it', () => {
    class Tied extends Module {
      encode = tensor([2], { requiresGrad: true, ...f64 });
      decode = this.encode;
      forward(t: Tensor) {
        return t.mul(this.encode).mul(this.decode);
      }
    }
    const tied = new Tied();
    expect(Object.keys(tied.parameterTree())).toEqual(['encode']);
    const out = functionalCall(tied, { encode: tensor([3], f64) }, tensor([1], f64));
    expect(out.item()).toBe(9);
    expect(tied.decode).toBe(tied.encode);
    // d/dw (w · w) = 2w, through both fields.
    expect(
      grad((p: Record<string, Tensor>) => functionalCall(tied, p, tensor([1], f64)).sum())({ encode: tensor([3], f64) }).encode!.item(),
    ).toBe(6);
  });
  it('substitutes buffers when given', () => {
    const bn = new BatchNorm1d(2, f64).eval();
    const mean = tensor([1, -1], f64);
    const p = { ...bn.parameterTree(), running_mean: mean };
    const out = functionalCall(bn, p, tensor([[1, -1]], f64));
    expect([...out.data()].map((v) => Math.abs(v) < 1e-9)).toEqual([true, true]);
    expect([...bn.running_mean!.data()]).toEqual([0, 0]);
  });
  it('refuses unknown and missing names and wrong shapes, before running the forward', () => {
    const model = net();
    const params = model.parameterTree();
    expect(() => functionalCall(model, { ...params, 'layers.9.weight': tensor([1]) }, x)).toThrow(
      /^functionalCall: the model has no parameter or buffer named "layers\.9\.weight"/,
    );
    const { 'layers.0.bias': _, ...missing } = params;
    expect(() => functionalCall(model, missing, x)).toThrow(/^functionalCall: params is missing the parameter 'layers\.0\.bias'/);
    expect(() => functionalCall(model, { ...params, 'layers.0.bias': tensor([1, 2]) }, x)).toThrow(
      /^functionalCall: parameter 'layers\.0\.bias' has shape \[4\], got \[2\]/,
    );
    expect(() => functionalCall({} as Module, params, x)).toThrow(/^functionalCall: model must be a Module/);
    expect(() => functionalCall(model, [] as unknown as Record<string, Tensor>, x)).toThrow(/^functionalCall: params must be an object/);
  });
});

describe('optimisers step with a gradient tree', () => {
  it('equals stepping with .grad, for SGD and Adam', () => {
    for (const make of [
      (p: Record<string, Tensor>) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
      (p: Record<string, Tensor>) => new Adam(p, { lr: 0.01 }),
    ]) {
      const a = net(5);
      const b = net(5);
      const optA = make(a.parameterTree());
      const optB = make(b.parameterTree());
      for (let s = 0; s < 3; s++) {
        const g = grad((p: Record<string, Tensor>) => mse(functionalCall(a, p, x), y))(a.parameterTree());
        optA.step(g);
        optB.zeroGrad();
        mse(b.forward(x), y).backward();
        optB.step();
      }
      const pb = b.parameterTree();
      for (const [name, p] of a.namedParameters()) [...p.data()].forEach((v, i) => expect(v).toBeCloseTo(pb[name]!.data()[i]!, 12));
    }
  });
  it('a tree of another structure, or a tree for an optimiser built from an array, is a TreeStructureError', () => {
    const model = net();
    const opt = new SGD(model.parameterTree(), { lr: 0.1 });
    expect(() => opt.step({ 'layers.0.weight': tensor([1]) })).toThrow(TreeStructureError);
    const flat = new SGD(model.parameters(), { lr: 0.1 });
    expect(() => flat.step(model.parameterTree())).toThrow(/^SGD\.step: a gradient tree needs an optimiser built from a parameter tree/);
    expect(() => new SGD({ w: new Map() } as unknown as Record<string, Tensor>, { lr: 1 })).toThrow(
      /^SGD: params is not a pytree of tensors/,
    );
  });
});
