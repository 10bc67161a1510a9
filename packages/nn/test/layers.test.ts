import { describe, it, expect } from 'vitest';
import { ArgumentError, ShapeError, type Tensor, rng, tensor, zeros } from '@jacobi/tensor';
import {
  Dense,
  Sequential,
  constant,
  fans,
  gelu,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  identity,
  initializers,
  leakyRelu,
  relu,
  sigmoid,
  softmax,
  tanh,
} from '@jacobi/nn';

const close = (t: Tensor, expected: number[] | number[][], digits = 6) => {
  const flat = (t.toArray() as number[] | number[][]).flat();
  expected.flat().forEach((v, i) => expect(flat[i]).toBeCloseTo(v, digits));
};

function fixedDense(opts: ConstructorParameters<typeof Dense>[2] = {}): Dense {
  const d = new Dense(3, 2, { ...opts, init: constant(0) });
  d.weight.assign(
    tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]),
  );
  d.bias?.assign(tensor([0.5, -1]));
  return d;
}

describe('Dense', () => {
  it('computes Y = f(XW + b) with W of shape [in, out]', () => {
    const d = fixedDense();
    expect(d.weight.shape).toEqual([3, 2]);
    expect(d.bias!.shape).toEqual([2]);
    close(
      d.forward(
        tensor([
          [1, 0, -1],
          [0, 1, 0],
        ]),
      ),
      [
        [-3.5, -5],
        [3.5, 3],
      ],
    );
    close(
      fixedDense({ activation: 'relu' }).forward(
        tensor([
          [1, 0, -1],
          [0, 1, 0],
        ]),
      ),
      [
        [0, 0],
        [3.5, 3],
      ],
    );
    close(fixedDense({ activation: (x) => x.mul(2) }).forward(tensor([[0, 1, 0]])), [[7, 6]]);
  });

  it('accepts [..., in] inputs', () => {
    const d = fixedDense();
    expect(d.forward(zeros([2, 5, 3])).shape).toEqual([2, 5, 2]);
    close(d.forward(tensor([1, 0, -1])), [-3.5, -5]);
  });

  it('can go without a bias, and then has only a weight', () => {
    const d = fixedDense({ bias: false });
    expect(d.bias).toBeNull();
    expect(d.namedParameters().map(([n]) => n)).toEqual(['weight']);
    close(d.forward(tensor([[1, 0, -1]])), [[-4, -4]]);
  });

  it('is deterministic for a seed', () => {
    const a = new Dense(4, 3, { rng: rng(7) });
    const b = new Dense(4, 3, { rng: rng(7) });
    expect(a.weight.toArray()).toEqual(b.weight.toArray());
    expect(new Dense(4, 3, { rng: rng(8) }).weight.toArray()).not.toEqual(a.weight.toArray());
  });

  it('rejects bad arguments and inputs with typed errors', () => {
    expect(() => new Dense(0, 2)).toThrow(ArgumentError);
    expect(() => new Dense(2, 2, { activation: 'swish' as never })).toThrow(/unknown activation "swish"/);
    expect(() => new Dense(2, 2, { init: 'orthogonal' as never })).toThrow(/unknown initialiser/);
    expect(() => fixedDense().forward(zeros([2, 4]))).toThrow(ShapeError);
  });
});

describe('Sequential', () => {
  it('chains layers and plain functions', () => {
    const m = new Sequential(fixedDense(), relu, (x: Tensor) => x.sum(-1, true));
    close(
      m.forward(
        tensor([
          [1, 0, -1],
          [0, 1, 0],
        ]),
      ),
      [[0], [6.5]],
    );
    expect(m.namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias']);
  });
});

describe('activations', () => {
  const x = tensor([-2, 0, 1]);
  it('match hand-computed values', () => {
    close(identity(x), [-2, 0, 1]);
    close(sigmoid(x), [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-1))]);
    close(tanh(x), [Math.tanh(-2), 0, Math.tanh(1)]);
    close(relu(x), [0, 0, 1]);
    close(leakyRelu(x), [-0.02, 0, 1]);
    close(leakyRelu(x, 0.2), [-0.4, 0, 1]);
    // ½x(1 + tanh(√(2/π)(x + 0.044715x³))) at 1 and −2
    close(gelu(x), [-0.04540230591222, 0, 0.84119199060416], 5);
    close(softmax(tensor([[0, Math.log(3)]])), [[0.25, 0.75]]);
  });
});

describe('initialisers', () => {
  const r = () => ({ rng: rng(3), dtype: 'float64' as const });
  it('compute fans for the [in, out] convention', () => {
    expect(fans([4, 6])).toEqual({ fanIn: 4, fanOut: 6 });
    expect(fans([3, 3, 4, 8])).toEqual({ fanIn: 36, fanOut: 72 });
    expect(fans([5])).toEqual({ fanIn: 5, fanOut: 5 });
  });

  it('keep uniform draws inside their limits and are seeded', () => {
    const w = Array.from(glorotUniform()([4, 6], r()).data());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 10));
    expect(glorotUniform()([4, 6], r()).toArray()).toEqual(glorotUniform()([4, 6], r()).toArray());
    const h = Array.from(heUniform()([10, 3], r()).data());
    expect(Math.max(...h.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 10));
  });

  it('give normal draws the documented standard deviation', () => {
    const std = (t: Tensor) => Math.sqrt(t.square().mean().item());
    expect(std(heNormal()([400, 100], r()))).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(std(glorotNormal()([400, 100], r()))).toBeCloseTo(Math.sqrt(2 / 500), 3);
    expect(std(initializers.kaimingNormal([200, 50], r()))).toBeCloseTo(std(initializers.heNormal([200, 50], r())), 12);
  });

  it('fill zeros and constants', () => {
    expect(initializers.zeros([2], r()).toArray()).toEqual([0, 0]);
    expect(constant(3)([2], r()).toArray()).toEqual([3, 3]);
    expect(() => constant(NaN)).toThrow(ArgumentError);
  });
});
