// Every class of bad input gets a typed error naming the op and the shapes, and leaves
// every tensor as it was.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { tensor } from '../src/index.js';

const a = tensor([
  [1, 2, 3],
  [4, 5, 6],
]);

describe('typed errors with clear messages', () => {
  it('shape errors name the op and the shapes', () => {
    expect(() =>
      J.matmul(
        a,
        tensor([
          [1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5],
        ]),
      ),
    ).toThrow('matmul: cannot multiply [2,3] by [4,5] (inner dimensions 3 and 4 differ)');
    expect(() => J.add(a, tensor([1, 2, 3, 4]))).toThrow('add: cannot broadcast [2,3] with [4]');
    expect(() => J.reshape(a, [4, 2])).toThrow('reshape: cannot reshape [2,3] (6 elements) to [4,2] (8 elements)');
    expect(() => J.reshape(a, [-1, -1])).toThrow(J.ShapeError);
    expect(() => J.reshape(a, [4, -1])).toThrow(J.ShapeError);
    expect(() => J.matmul(tensor(1), a)).toThrow(J.ShapeError);
    expect(() => J.matmul(J.zeros([2, 2, 3]), J.zeros([3, 3, 1]))).toThrow(/batch dimensions/);
    expect(() => J.concat([a, tensor([1])])).toThrow(J.ShapeError);
    expect(() => J.stack([a, a.T])).toThrow(J.ShapeError);
    expect(() => J.broadcastTo(a, [3, 3])).toThrow('broadcastTo: cannot broadcast [2,3] to [3,3]');
    expect(() => J.squeeze(a, 2)).toThrow(J.AxisError);
    expect(() => a.item()).toThrow(J.ShapeError);
    expect(() => J.max(J.zeros([0]))).toThrow(/empty/);
  });
  it('axis errors', () => {
    expect(() => J.sum(a, 2)).toThrow('sum: axis 2 is out of range for a tensor of rank 2 (expected an integer in [-2, 1])');
    expect(() => J.sum(a, [0, -2])).toThrow(/repeated/);
    expect(() => J.sum(a, 0.5)).toThrow(J.AxisError);
    expect(() => J.transpose(a, [0, 0])).toThrow(J.AxisError);
    expect(() => J.transpose(a, [0])).toThrow(J.AxisError);
    expect(() => J.softmax(a, 5)).toThrow(J.AxisError);
    expect(() => a.index(2)).toThrow(/out of range/);
    expect(() => a.index(0, 0, 0)).toThrow(J.AxisError);
  });
  it('ragged or non-numeric data, bad shapes, bad dtypes', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('tensor: ragged data at index [1]: expected 2 elements, got 1 elements');
    expect(() =>
      tensor([
        [1, 2],
        [3, 'x' as unknown as number],
      ]),
    ).toThrow(/index \[1\]\[1\]/);
    expect(() => tensor([1, [2]] as unknown as number[])).toThrow(J.JacobiError);
    expect(() => J.zeros([2, -1])).toThrow(J.ShapeError);
    expect(() => J.zeros([1.5])).toThrow(J.ShapeError);
    expect(() => tensor(new Float32Array(3), { shape: [2, 2] })).toThrow(J.ShapeError);
    expect(() => tensor([1], { dtype: 'int64' as unknown as 'float32' })).toThrow(J.DTypeError);
    expect(() => J.add(a, 'x' as unknown as number)).toThrow(J.ArgumentError);
    expect(() => J.add([1, 2] as unknown as J.Tensor, a)).toThrow(/wrap it with tensor/);
  });
  it('autodiff misuse', () => {
    expect(() => J.grad((x: J.Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(
      'grad: the function must return a tensor with exactly one element, got shape [2]',
    );
    expect(() => J.grad((x: J.Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(J.NonScalarOutputError);
    expect(() => J.jvp((x: J.Tensor) => x, [tensor([1, 2])], [tensor([1])])).toThrow(
      "jvp: tangent 0 has shape [1], expected the primal's shape [2]",
    );
    expect(() => J.jvp((x: J.Tensor) => x, [tensor([1])], [])).toThrow(J.ArgumentError);
    const [, pullback] = J.vjp((x: J.Tensor) => x.mul(2), tensor([1, 2]));
    expect(() => pullback(tensor([1]))).toThrow(J.ShapeError);
    expect(() => pullback(1)).toThrow(J.ShapeError);
    expect(() => J.grad((() => 3) as unknown as J.TensorFunction)(tensor(1))).toThrow(J.TraceError);
    expect(() => J.grad((x: J.Tensor) => x.sum(), { argnums: [1] })(tensor(1))).toThrow(J.ArgumentError);
    expect(() => tensor([1, 2], { requiresGrad: true }).mul(2).backward()).toThrow(
      'backward: the tensor has shape [2]; pass { gradient } for a tensor with more than one element',
    );
  });
  it('a failed call leaves its operands unchanged', () => {
    const before = a.toArray();
    expect(() => J.add(a, tensor([1, 2]))).toThrow();
    expect(() => J.reshape(a, [5])).toThrow();
    expect(a.toArray()).toEqual(before);
    expect(a.shape).toEqual([2, 3]);
  });
  it('every error derives from JacobiError', () => {
    for (const E of [
      J.ShapeError,
      J.AxisError,
      J.DTypeError,
      J.ArgumentError,
      J.NonScalarOutputError,
      J.NotDifferentiableError,
      J.TraceError,
      J.AnomalyError,
    ]) {
      expect(new E('x')).toBeInstanceOf(J.JacobiError);
      expect(new E('x').name).toBe(E.name);
    }
  });
});
