// Convolution, pooling and flattening layers: PyTorch's parameter names, shapes and default
// initialisation bounds, forward = the functional op, training a tiny CNN, model-file round trip.
import { describe, expect, it } from 'vitest';
import { ArgumentError, avgPool2d, concat, conv2d, convTranspose2d, maxPool2d, ones, randn, rng, type Tensor, zeros } from '@jacobi/tensor';
import {
  AdaptiveAvgPool2d,
  Adam,
  AvgPool2d,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Flatten,
  MaxPool2d,
  Sequential,
  Dense,
  decodeModel,
  encodeModel,
  relu,
  softmaxCrossEntropy,
} from '@jacobi/nn';

const maxAbs = (t: Tensor) => t.abs().max().item();

describe('Conv2d', () => {
  it('names and shapes its parameters as PyTorch, drawn from U(−1/√fanIn, 1/√fanIn)', () => {
    const conv = new Conv2d(6, 8, [3, 5], { groups: 2, rng: rng(1) });
    expect(conv.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [8, 3, 3, 5]],
      ['bias', [8]],
    ]);
    const bound = 1 / Math.sqrt(3 * 3 * 5);
    expect(maxAbs(conv.weight)).toBeLessThanOrEqual(bound);
    // 360 uniform draws: the largest is close to the bound (not, say, a normal's spread).
    expect(maxAbs(conv.weight)).toBeGreaterThan(0.9 * bound);
    expect(maxAbs(conv.bias!)).toBeLessThanOrEqual(bound);
    expect(new Conv2d(1, 2, 3, { bias: false }).bias).toBeNull();
    expect(new Conv2d(1, 2, 3, { dtype: 'float64' }).weight.dtype).toBe('float64');
  });
  it('computes conv2d with its options; the same seed gives the same weights', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, dilation: [1, 2], rng: rng(4) });
    const x = randn([2, 2, 7, 8], { rng: rng(5) });
    const y = conv.forward(x);
    const ref = conv2d(x, conv.weight, { bias: conv.bias, stride: 2, padding: 1, dilation: [1, 2] });
    expect(y.toArray()).toEqual(ref.toArray());
    expect(new Conv2d(2, 3, 3, { rng: rng(4) }).weight.toArray()).toEqual(conv.weight.toArray());
    expect(new Conv2d(2, 3, 3, { padding: 'same' }).forward(x).shape).toEqual([2, 3, 7, 8]);
  });
  it('refuses bad channels, groups and options at construction, and bad inputs naming the layer', () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/^Conv2d: opts.groups \(2\) must divide/);
    expect(() => new Conv2d(0, 4, 3)).toThrow(ArgumentError);
    expect(() => new Conv2d(1, 4, 3, { stride: 2, padding: 'same' })).toThrow(/^Conv2d: opts.padding 'same' needs stride 1/);
    expect(() => new Conv2d(1, 4, [3, 3, 3] as unknown as number)).toThrow(/^Conv2d: kernelSize must be an integer or 2 integers/);
    expect(() => new Conv2d(2, 4, 3).forward(zeros([1, 3, 5, 5]))).toThrow(/^Conv2d.forward: conv2d: x has 3 channels/);
  });
});

describe('Conv1d and ConvTranspose2d', () => {
  it('have PyTorch layouts and fan-ins', () => {
    const c1 = new Conv1d(4, 6, 3, { groups: 2, padding: 1, rng: rng(2) });
    expect(c1.weight.shape).toEqual([6, 2, 3]);
    expect(maxAbs(c1.weight)).toBeLessThanOrEqual(1 / Math.sqrt(6));
    // The fan-in is in/groups·k = 6; a wrong one (e.g. out/groups·k = 9) would give a narrower spread.
    expect(maxAbs(c1.weight)).toBeGreaterThan(0.85 / Math.sqrt(6));
    expect(c1.forward(zeros([2, 4, 10])).shape).toEqual([2, 6, 10]);
    const ct = new ConvTranspose2d(4, 6, 2, { stride: 2, groups: 2, rng: rng(3) });
    // Weight [in, out/groups, kH, kW]; PyTorch's fan-in is out/groups·kH·kW.
    expect(ct.weight.shape).toEqual([4, 3, 2, 2]);
    expect(maxAbs(ct.weight)).toBeLessThanOrEqual(1 / Math.sqrt(12));
    expect(maxAbs(ct.weight)).toBeGreaterThan(0.85 / Math.sqrt(12));
    const x = randn([1, 4, 3, 3], { rng: rng(6) });
    expect(ct.forward(x).toArray()).toEqual(convTranspose2d(x, ct.weight, { bias: ct.bias, stride: 2, groups: 2 }).toArray());
    expect(ct.forward(x).shape).toEqual([1, 6, 6, 6]);
  });
});

describe('pooling and Flatten', () => {
  it('pool as the functional ops, default stride = kernel size', () => {
    const x = randn([2, 3, 6, 6], { rng: rng(7) });
    expect(new MaxPool2d(2).forward(x).toArray()).toEqual(maxPool2d(x, { kernelSize: 2 }).toArray());
    expect(new MaxPool2d(3, { stride: 1, padding: 1 }).forward(x).shape).toEqual([2, 3, 6, 6]);
    expect(new AvgPool2d(2, { stride: 1, countIncludePad: false, padding: 1 }).forward(x).toArray()).toEqual(
      avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }).toArray(),
    );
    expect(new AdaptiveAvgPool2d(1).forward(ones([2, 4, 5, 3])).toArray()).toEqual(ones([2, 4, 1, 1]).toArray());
    expect(new AdaptiveAvgPool2d([2, null]).forward(x).shape).toEqual([2, 3, 2, 6]);
    expect(new MaxPool2d(2).parameters()).toEqual([]);
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(/^MaxPool2d: opts.padding \(2\) must be at most half/);
  });
  it('flattens from startDim to endDim', () => {
    expect(new Flatten().forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(new Flatten(0, 1).forward(zeros([2, 3, 4])).shape).toEqual([6, 4]);
    expect(new Flatten(-2).forward(zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(() => new Flatten(2).forward(zeros([2, 3]))).toThrow(/^Flatten.forward: startDim 2 and endDim -1 do not fit/);
  });
});

describe('a small CNN', () => {
  const build = () =>
    new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng: rng(0) }),
      relu,
      new MaxPool2d(2),
      new Flatten(),
      new Dense(4 * 4 * 4, 2, { rng: rng(1) }),
    );
  // Two classes of 8×8 images: a bright left half or a bright right half, with noise.
  const data = () => {
    const r = rng(9);
    const noise = randn([16, 1, 8, 8], { rng: r }).mul(0.3);
    const left = ones([8, 1, 8, 4]).pad([0, 4]);
    const right = ones([8, 1, 8, 4]).pad([4, 0]);
    const x = concat([left, right], 0).add(noise);
    return { x, labels: [...new Array<number>(8).fill(0), ...new Array<number>(8).fill(1)] };
  };
  it('learns a separable task and round-trips through a model file', () => {
    const model = build();
    const { x, labels } = data();
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 40; step++) {
      model.zeroGrad();
      const loss = softmaxCrossEntropy(model.forward(x), labels);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(first / 4);
    expect(model.namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.4.weight', 'layers.4.bias']);
    const copy = build();
    decodeModel(encodeModel(model), copy);
    expect(copy.forward(x).toArray()).toEqual(model.forward(x).toArray());
  });
});
