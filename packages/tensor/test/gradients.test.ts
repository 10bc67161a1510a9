// gradients(outputs, inputs): PyTorch's torch.autograd.grad. It returns gradients in the
// structure of the inputs and touches no .grad; createGraph gives second order.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { type Tensor, tensor } from '../src/index.js';
import { expectClose } from './support.js';

const leaf = (v: J.NestedArray | number) => tensor(v, { dtype: 'float64', requiresGrad: true });

describe('gradients', () => {
  it('returns the gradients in the inputs structure and changes no .grad anywhere', () => {
    const w = leaf([1, 2]);
    const b = leaf(0.5);
    const other = leaf(3); // reached by the walk but not asked for
    w.grad = tensor([9, 9], { dtype: 'float64' });
    const y = w.mul(other).sum().add(b.square());
    const g = J.gradients(y, { w, b });
    expectClose(g.w, [3, 3]);
    expectClose(g.b, 1);
    expect(w.grad!.toArray()).toEqual([9, 9]);
    expect(b.grad).toBeNull();
    expect(other.grad).toBeNull();
    // An array of inputs gives an array; an intermediate tensor is a valid input too.
    const h = w.mul(2);
    const z = h.square().sum();
    const [gh, gw] = J.gradients(z, [h, w]) as Tensor[];
    expectClose(gh!, [4, 8]);
    expectClose(gw!, [8, 16]);
  });
  it('equals backward for several outputs with gradOutputs', () => {
    const x = leaf([1, 2, 3]);
    const a = x.sin();
    const c = x.square().sum();
    const ga = tensor([1, 0, 2], { dtype: 'float64' });
    const [g] = J.gradients([a, c], [x], { gradOutputs: [ga, 2], retainGraph: true }) as Tensor[];
    a.mul(ga).sum().add(c.mul(2)).backward();
    expectClose(g!, x.grad!, 1e-12, 1e-12);
  });
  it('createGraph gives a differentiable result: second order', () => {
    const x = leaf([1, 2]);
    const [dx] = J.gradients(x.pow(3).sum(), [x], { createGraph: true }) as Tensor[];
    expectClose(dx!, [3, 12]);
    expect(x.grad).toBeNull();
    dx!.sum().backward();
    expectClose(x.grad!, [6, 12]);
    // Without createGraph the result is a constant.
    expect(J.gradients(x.pow(3).sum(), x).requiresGrad).toBe(false);
  });
  it('an unused input is an error unless allowUnused, and a failed call releases nothing', () => {
    const x = leaf([1]);
    const unused = leaf([2]);
    const y = x.square().sum();
    expect(() => J.gradients(y, { x, unused })).toThrow(J.NotDifferentiableError);
    expect(() => J.gradients(y, { x, unused })).toThrow(/^gradients: inputs at \.unused is not used/);
    const g = J.gradients(y, { x, unused }, { allowUnused: true });
    expectClose(g.x, [2]);
    expect(g.unused).toBeNull();
    // The default frees the graph, as backward does.
    expect(() => J.gradients(y, x)).toThrow(/already released/);
  });
  it('checks its arguments', () => {
    const x = leaf([1, 2]);
    expect(() => J.gradients(x.sum(), tensor([1]))).toThrow(/^gradients: inputs does not require grad/);
    expect(() => J.gradients(tensor(1), x)).toThrow(J.NotDifferentiableError);
    expect(() => J.gradients(x.mul(2), x)).toThrow(J.NonScalarOutputError);
    expect(() => J.gradients(x.mul(2), x, { gradOutputs: tensor([1]) })).toThrow(J.ShapeError);
    expect(() => J.gradients([x.sum()], x, { gradOutputs: [1, 2] })).toThrow(J.TreeStructureError);
    expect(() => J.gradients(x.sum(), [x, 3] as unknown as Tensor[])).toThrow(/^gradients: inputs at \[1\] is 3, expected a Tensor/);
    expect(() => J.gradients(x.sum(), x, { createGraph: 1 as unknown as boolean })).toThrow(J.ArgumentError);
  });
});
