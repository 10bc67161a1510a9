// PyTorch-style autodiff: requiresGrad leaves, backward(), .grad, noGrad, detach, graphs.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { tensor } from '../src/index.js';
import { expectClose } from './support.js';

describe('backward()', () => {
  it('fills .grad on leaves and accumulates across calls', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
    expect(w.grad).toBeNull();
    w.mul(w).sum().backward();
    expect(w.grad!.toArray()).toEqual([2, 4, 6]);
    w.mul(3).sum().backward();
    expect(w.grad!.toArray()).toEqual([5, 7, 9]);
    w.grad = null;
    expect(w.grad).toBeNull();
    const y = w.mul(2);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.grad).toBeNull();
  });
  it('walks graphs whose nodes were made far apart, and graphs made in one run, in the right order', () => {
    // The walk orders nodes by creation, placing them by id where a graph's ids fill their
    // range and sorting them where they are spread out: both orders must be the same.
    const w = tensor([0.5, -1.5], { requiresGrad: true, dtype: 'float64' });
    const early = w.mul(w); // d/dw = 2w
    const other = tensor([1, 2], { requiresGrad: true });
    let noise = other;
    for (let i = 0; i < 500; i++) noise = noise.add(1); // unrelated nodes between the two parts
    const late = early.mul(w).add(w.exp()); // w³ + e^w
    late.sum().backward();
    expectClose(
      w.grad!.toArray() as number[],
      [0.5, -1.5].map((v) => 3 * v * v + Math.exp(v)),
    );
    w.grad = null;
    let chain = w;
    for (let i = 0; i < 300; i++) chain = chain.mul(1.001).add(0.001);
    chain.sum().backward();
    expectClose(w.grad!.toArray() as number[], [1.001 ** 300, 1.001 ** 300]);
    noise.sum().backward();
    expect(other.grad!.toArray()).toEqual([1, 1]);
  });
  it('takes a cotangent for non-scalar outputs', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.mul(w).backward({ gradient: tensor([1, 10]) });
    expect(w.grad!.toArray()).toEqual([2, 40]);
  });
  it('releases the graph unless retainGraph', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.exp().sum();
    loss.backward({ retainGraph: true });
    loss.backward();
    expectClose(w.grad!, [2 * Math.E, 2 * Math.exp(2)], 1e-6);
    expect(() => loss.backward()).toThrow(J.NotDifferentiableError);
    expect(() => loss.backward()).toThrow(/released/);
  });
  it('createGraph makes .grad differentiable (double backward)', () => {
    const x = tensor([2], { requiresGrad: true, dtype: 'float64' });
    x.pow(3).sum().backward({ createGraph: true });
    const g = x.grad!;
    expect(g.toArray()).toEqual([12]);
    expect(g.requiresGrad).toBe(true);
    x.grad = null;
    g.sum().backward();
    expect(x.grad!.toArray()).toEqual([12]); // d/dx 3x² = 6x
  });
  it('a failed backward changes no .grad', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.sum().backward();
    expect(() => w.mul(w).backward()).toThrow(J.NonScalarOutputError);
    expect(() => w.mul(w).backward({ gradient: tensor([1, 2, 3]) })).toThrow(J.ShapeError);
    expect(w.grad!.toArray()).toEqual([1, 1]);
  });
  it('backward on a tensor that does not require grad is an error', () => {
    expect(() => tensor([1]).sum().backward()).toThrow(/does not require grad/);
  });
});

describe('noGrad, detach, assign', () => {
  it('noGrad records nothing', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = J.noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(J.isGradEnabled()).toBe(true);
    expect(J.noGrad(() => J.isGradEnabled())).toBe(false);
  });
  it('detach cuts the graph but shares values', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const d = w.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.toArray()).toEqual([2, 4]);
    w.mul(w.detach()).sum().backward();
    expect(w.grad!.toArray()).toEqual([1, 2]);
  });
  it('requiresGrad can be switched on leaves only', () => {
    const t = tensor([1]);
    t.requiresGrad = true;
    expect(t.requiresGrad).toBe(true);
    expect(() => {
      t.mul(2).requiresGrad = false;
    }).toThrow(J.ArgumentError);
  });
  it('assign replaces a leaf in place; recorded graphs keep the old values', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.mul(w).sum();
    J.noGrad(() => w.assign(tensor([10, 20])));
    expect(w.toArray()).toEqual([10, 20]);
    loss.backward();
    expect(w.grad!.toArray()).toEqual([2, 4]);
    expect(() => w.assign(tensor([1]))).toThrow(J.ShapeError);
    expect(w.toArray()).toEqual([10, 20]);
  });
  it('assign takes a value of any layout and dtype, and the two stay independent afterwards', () => {
    const w = J.zeros([2, 3]);
    const source = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    w.assign(source); // the value's own array
    source.assign(J.ones([2, 3]));
    expect(w.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    w.assign(w.mul(2));
    expect(source.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    const wide = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    w.assign(wide.transpose()); // strided: its fresh copy
    expect(w.toArray()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    const long = J.arange(12).astype('float32');
    w.assign(long.slice(0, 6, 12).reshape([2, 3])); // part of a larger array: copied
    expect(w.toArray()).toEqual([
      [6, 7, 8],
      [9, 10, 11],
    ]);
    w.assign(tensor([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], { dtype: 'float64' }).reshape([2, 3])); // converted
    expect(w.dtype).toBe('float32');
    expect(w.toArray()).toEqual([
      [0.5, 1.5, 2.5],
      [3.5, 4.5, 5.5],
    ]);
    expect(long.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
  it('a recorded graph keeps the values of plain tensors assigned afterwards', () => {
    const x = tensor([3, 4]);
    const w = tensor([1, 1], { requiresGrad: true });
    const loss = w.mul(x).sum();
    x.assign(tensor([30, 40]));
    loss.backward({ retainGraph: true });
    expect(w.grad!.toArray()).toEqual([3, 4]);
    const [, pullback] = J.vjp((v: J.Tensor) => v.mul(x), tensor([1, 1]));
    x.assign(tensor([5, 6]));
    expect(pullback(tensor([1, 1]))[0]!.toArray()).toEqual([30, 40]);
    const p = tensor([2, 3]);
    const [, squarePullback] = J.vjp((v: J.Tensor) => v.mul(v), p);
    p.assign(tensor([20, 30]));
    expect(squarePullback(tensor([1, 1]))[0]!.toArray()).toEqual([4, 6]);
    w.grad = null;
    const leafLoss = w.mul(w).sum();
    J.noGrad(() => w.assign(tensor([7, 7])));
    leafLoss.backward({ createGraph: true });
    expect(w.grad!.toArray()).toEqual([2, 2]);
  });
  it('a tensor read by several recorded operations gives each the values and trace it had then', () => {
    // The tape keeps one handle on a tensor for as long as its view and trace stay the same.
    const x = tensor([3, 4]);
    const w = tensor([1, 1], { requiresGrad: true });
    const first = w.mul(x);
    const again = w.mul(x);
    x.assign(tensor([30, 40]));
    const later = w.mul(x);
    first.add(again).add(later).sum().backward();
    expect(w.grad!.toArray()).toEqual([36, 48]);
    // The handle on a replaced view goes with it: it would keep the old array alive.
    expect(x._handle).toBeDefined();
    x.assign(tensor([5, 6]));
    expect(x._handle).toBeUndefined();
    w.mul(x);
    x.dispose();
    expect(x._handle).toBeUndefined();
    // Made requiresGrad between two reads: the second read is a leaf's, and a recorded backward
    // pass differentiates through it (d²/dv² of v³ = 6v), not through the first.
    const v = tensor([2, 5], { dtype: 'float64' });
    const before = w.mul(v).sum();
    v.requiresGrad = true;
    const cube = v.mul(v).mul(v).sum();
    J.gradients([cube], [v], { createGraph: true })[0]!.sum().backward();
    expect(v.grad!.toArray()).toEqual([12, 30]);
    w.grad = null;
    before.backward();
    expect(w.grad!.toArray()).toEqual([2, 5]);
  });
  it('.grad assignment checks shape and dtype', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => (w.grad = tensor([1]))).toThrow(J.ShapeError);
    expect(() => (w.grad = tensor([1, 2], { dtype: 'float64' }))).toThrow(J.DTypeError);
    w.grad = tensor([5, 5]);
    w.sum().backward();
    expect(w.grad!.toArray()).toEqual([6, 6]);
  });
  it('functional transforms compose with requiresGrad tensors', () => {
    const w = tensor([3], { requiresGrad: true, dtype: 'float64' });
    const gx = J.grad((x: J.Tensor) => x.mul(w).square().sum())(tensor([2], { dtype: 'float64' }));
    expect(gx.toArray()).toEqual([36]); // 2·x·w² at x = 2, w = 3
    gx.sum().backward(); // d/dw (2 x w²) = 4 x w = 24
    expect(w.grad!.toArray()).toEqual([24]);
  });
});

describe('stopGradient and customOp', () => {
  it('stopGradient is a constant to every transform', () => {
    const g = J.grad((x: J.Tensor) => x.mul(J.stopGradient(x)).sum())(tensor([3]));
    expect(g.toArray()).toEqual([3]);
    const [, t] = J.jvp((x: J.Tensor) => J.stopGradient(x).mul(x), [tensor([3])], [tensor([1])]);
    expect(t.toArray()).toEqual([3]);
  });
  it('a customOp uses its own rules in both modes and nests', () => {
    // cube with hand-written rules: d(x³) = 3x²·dx
    const cube = J.customOp({
      name: 'cube',
      forward: (x) => x.mul(x).mul(x),
      vjp: (g, [x]) => [g.mul(x!.square().mul(3))],
    });
    const x = tensor([2], { dtype: 'float64' });
    expect(cube(x).toArray()).toEqual([8]);
    expect(J.grad((y: J.Tensor) => cube(y).sum())(x).toArray()).toEqual([12]);
    expect(J.jvp(cube, [x], [tensor([1], { dtype: 'float64' })])[1].toArray()).toEqual([12]);
    expect(J.grad(J.grad((y: J.Tensor) => cube(y).sum()))(x).toArray()).toEqual([12]); // 6x
    expect(J.gradcheck((y) => cube(y), [tensor([0.5, -1.2])]).ok).toBe(true);
    const w = tensor([2], { requiresGrad: true });
    cube(w).sum().backward();
    expect(w.grad!.toArray()).toEqual([12]);
  });
  it('a customOp with an explicit jvp uses it in forward mode', () => {
    const clipGrad = J.customOp({
      forward: (x) => x.mul(1),
      vjp: (g) => [g.clamp(-1, 1)],
      jvp: ([dx]) => dx!.clamp(-1, 1),
    });
    expect(J.grad((y: J.Tensor) => clipGrad(y).mul(5).sum())(tensor([1])).toArray()).toEqual([1]);
    expect(J.jvp(clipGrad, [tensor([1])], [tensor([7])])[1].toArray()).toEqual([1]);
  });
});

describe('anomaly mode and graph export', () => {
  it('names the operation, the shapes and the call site of a NaN in the forward pass', () => {
    expect(() => J.detectAnomaly(() => tensor([-1, 1]).log())).toThrow(J.AnomalyError);
    try {
      J.detectAnomaly(() => tensor([-1, 1]).log());
    } catch (e) {
      expect(String(e)).toMatch(/log produced NaN/);
      expect(String(e)).toMatch(/\[2\]/);
      expect(String(e)).toMatch(/imperative\.test\.ts/);
    }
    expect(() => tensor([-1]).log()).not.toThrow();
  });
  it('names the operation whose backward produced Infinity', () => {
    const x = tensor([0], { requiresGrad: true });
    let message = '';
    J.detectAnomaly(() => {
      const y = x.sqrt();
      try {
        y.sum().backward();
      } catch (e) {
        message = String(e);
      }
    });
    expect(message).toMatch(/backward of sqrt/);
    expect(message).toMatch(/imperative\.test\.ts/);
    expect(x.grad).toBeNull();
  });
  it('renders the graph as DOT and Mermaid, with gradients after backward', () => {
    const w = tensor([[1, 2]], { requiresGrad: true });
    const loss = w
      .matmul(tensor([[1], [1]]))
      .tanh()
      .sum();
    const dot = J.toDot(loss);
    expect(dot).toMatch(/^digraph/);
    expect(dot).toMatch(/matmul \[1,1\] float32/);
    expect(dot).toMatch(/tanh/);
    expect(dot).toMatch(/leaf \[1,2\] float32/);
    loss.backward();
    expect(J.toDot(loss)).toMatch(/leaf \[1,2\] float32 grad=/);
    const mermaid = J.toMermaid(loss);
    expect(mermaid).toMatch(/^flowchart LR/);
    expect(mermaid).toMatch(/-->/);
  });
});

describe('gradcheck catches a wrong rule', () => {
  it('reports the worst element of a wrong derivative', () => {
    const wrong = J.customOp({ forward: (x) => x.sin(), vjp: (g, [x]) => [g.mul(x!.sin())] });
    const report = J.gradcheck((x) => wrong(x), [tensor([0.3, 1.1])]);
    expect(report.ok).toBe(false);
    expect(report.worst!.check).toMatch(/reverse|forward/);
    expect(() => J.gradcheck((x) => wrong(x), [tensor([0.3, 1.1])], { throwOnFailure: true })).toThrow(J.GradcheckError);
  });
});
