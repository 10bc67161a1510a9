// jit applied to the README's training loops: the PyTorch-style loop (a jitted forward pass,
// loss.backward(), an optimiser's step on requiresGrad parameters) and the functional one
// (jit of valueAndGrad and the update) train exactly as the eager loops do: the same losses,
// bit for bit, step after step, on the XOR network of the README, on a small CNN, and on an MLP
// whose products run on the WebAssembly backend's threads.
import { describe, expect, it } from 'vitest';
import {
  getBackend,
  jit,
  noGrad,
  rng,
  setBackend,
  tensor,
  valueAndGrad,
  randn,
  zeros,
  type JitFunction,
  type Tensor,
} from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';
import { Conv2d, Dense, Flatten, MaxPool2d, ReLU, SGD, Sequential, halfSquaredError, softmaxCrossEntropy } from '@jacobi/nn';

const xor = {
  x: tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]),
  t: tensor([[0], [1], [1], [0]]),
};

/** The README's XOR network and optimiser, from a fixed seed. */
function xorModel(): { model: Sequential; opt: SGD } {
  const r = rng(0);
  const model = new Sequential(new Dense(2, 8, { activation: 'tanh', rng: r }), new Dense(8, 1, { activation: 'sigmoid', rng: r }));
  return { model, opt: new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 }) };
}

describe('jit in training loops', () => {
  it('the README loop with a jitted forward pass gives the eager losses bit for bit', () => {
    const eager = xorModel();
    const jitted = xorModel();
    const forward = jit((x: Tensor) => jitted.model.forward(x));
    for (let step = 0; step < 60; step++) {
      eager.opt.zeroGrad();
      const a = halfSquaredError(eager.model.forward(xor.x), xor.t);
      a.backward();
      eager.opt.step();
      jitted.opt.zeroGrad();
      const b = halfSquaredError(forward(xor.x), xor.t);
      b.backward();
      jitted.opt.step();
      expect(b.item(), `step ${step}`).toBe(a.item());
    }
    expect(forward.cacheSize).toBe(1);
  });

  it('jit of valueAndGrad and the SGD update trains a small CNN exactly as eagerly', () => {
    const r = rng(1);
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng: r }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Dense(16, 3, { rng: r }),
    );
    const x = randn([5, 1, 4, 4], { rng: r });
    const labels = tensor([0, 2, 1, 1, 0], { dtype: 'int32' });
    const loss = (...ps: Tensor[]) => model.withParameters(ps, () => softmaxCrossEntropy(model.forward(x), labels));
    const start = noGrad(() => model.parameters().map((p) => p.mul(1)));
    const { step, eager } = trainBothWays(loss, start, 0.1, 15);
    expect(step.lower(eager).toString()).toContain('unfold');
  });

  it("jit of an MLP's training step equals the eager step over many calls, its products on threads", async () => {
    // Every product splits across two threads (threshold 1), and the [64, 64] float32
    // intermediates (16 KiB) are large enough for the threads' resident copies: a lowered
    // program's intermediates must still be read afresh at every call.
    const backend = createWasmBackend({ threads: 2, threadThreshold: 1 });
    expect(await backend.threadsReady()).toBe(2);
    const previous = getBackend();
    setBackend(backend);
    try {
      const r = rng(4);
      const widths = [96, 64, 64, 10];
      const x = randn([64, widths[0]!], { rng: r });
      const labels = tensor(
        Array.from({ length: 64 }, () => r.int(10)),
        { dtype: 'int32' },
      );
      const init = widths.slice(1).flatMap((out, i) => [randn([widths[i]!, out], { rng: r }).mul(Math.sqrt(2 / widths[i]!)), zeros([out])]);
      const loss = (...ps: Tensor[]): Tensor => {
        let h = x;
        for (let l = 0; l < 3; l++) {
          h = h.matmul(ps[2 * l]!).add(ps[2 * l + 1]!);
          if (l < 2) h = h.relu();
        }
        return softmaxCrossEntropy(h, labels);
      };
      const { eager, jitted } = trainBothWays(loss, init, 0.05, 12);
      expectSameElements(jitted, eager);
    } finally {
      setBackend(previous);
      backend.dispose();
    }
  });
});

/** Every parameter of `got` equals `want`'s element for element. */
function expectSameElements(got: readonly Tensor[], want: readonly Tensor[]): void {
  got.forEach((p, i) => {
    const [g, w] = [p.data(), want[i]!.data()];
    expect(
      Array.from(g).findIndex((v, j) => !Object.is(v, w[j])),
      `parameter ${i}`,
    ).toBe(-1);
  });
}

/**
 * `steps` SGD steps on `loss` from `start`, eagerly and through jit of the same update, expecting
 * the same loss at every step; returns the jitted step and both final parameter lists.
 */
function trainBothWays(
  loss: (...ps: Tensor[]) => Tensor,
  start: Tensor[],
  lr: number,
  steps: number,
): { step: JitFunction<[Tensor[]], [Tensor, Tensor[]]>; eager: Tensor[]; jitted: Tensor[] } {
  const vg = valueAndGrad(loss, { argnums: start.map((_, i) => i) });
  const update = (ps: Tensor[]): [Tensor, Tensor[]] => {
    const [value, grads] = vg(...ps);
    return [value, ps.map((p, i) => p.sub(grads[i]!.mul(lr)))];
  };
  const step = jit(update);
  let eager = start;
  let jitted = start;
  for (let s = 0; s < steps; s++) {
    const [a, nextEager] = update(eager);
    const [b, nextJit] = step(jitted);
    expect(b.item(), `step ${s}`).toBe(a.item());
    [eager, jitted] = [nextEager, nextJit];
  }
  return { step, eager, jitted };
}
