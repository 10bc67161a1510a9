// Lowered.program: the read-only view of a traced program that exporters translate.
import { jit, tensor, type Tensor } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';

describe('jit(f).lower(...).program', () => {
  const w = tensor([[1, 2, 3]]);
  const f = (x: Tensor) => x.matmul(w).tanh().sum(1);
  const program = jit(f).lower(tensor([[1], [2]])).program;

  it('lists the inputs, each equation by primitive name with params, operands, shape and dtype, and the outputs', () => {
    expect(program.inputs).toEqual([{ variable: 0, shape: [2, 1], dtype: 'float32' }]);
    expect(program.equations.map((e) => [e.primitive, e.shape, e.dtype])).toEqual([
      ['matmul', [2, 3], 'float32'],
      ['tanh', [2, 3], 'float32'],
      ['sum', [2], 'float32'],
    ]);
    const [matmul, tanh, sum] = program.equations;
    expect(matmul!.inputs[0]).toEqual({ variable: 0 });
    // The captured weight is an operand as the tensor itself.
    expect('constant' in matmul!.inputs[1]! && matmul!.inputs[1].constant.toArray()).toEqual([[1, 2, 3]]);
    expect(tanh!.inputs).toEqual([{ variable: matmul!.out }]);
    expect(sum!.params).toEqual({ axes: [1], keepdims: false });
    expect(program.outputs).toEqual([{ variable: sum!.out }]);
  });

  it('is frozen: an exporter cannot change the cached program through it', () => {
    expect(Object.isFrozen(program)).toBe(true);
    expect(Object.isFrozen(program.equations)).toBe(true);
    expect(Object.isFrozen(program.equations[0])).toBe(true);
  });
});
