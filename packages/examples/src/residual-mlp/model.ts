// A custom architecture written as a user of the published packages would write it: a
// residual MLP (subclassing Module, composing Dense layers) whose activation is a customOp
// with a hand-written derivative, trained with Adam and softmax cross-entropy.
import { customOp, rng, tensor, type Rng, type Tensor } from '@jacobi/tensor';
import { Dense, Module } from '@jacobi/nn';

/**
 * swish(x) = x·σ(x), with its derivative written by hand: σ(x) + x·σ(x)(1 − σ(x)).
 * As a customOp it is one primitive: the graph stores one node, and both autodiff modes use the rule.
 */
export const swish = customOp({
  name: 'swish',
  forward: (x) => x.mul(x.sigmoid()),
  vjp: (g, [x]) => {
    const s = x!.sigmoid();
    return [g.mul(s.add(x!.mul(s).mul(s.neg().add(1))))];
  },
});

/** h + W₂ swish(W₁ h): a residual block keeps the signal (and its gradient) flowing. */
export class ResidualBlock extends Module {
  inner: Dense;
  outer: Dense;
  constructor(width: number, r: Rng) {
    super();
    this.inner = new Dense(width, width, { activation: swish, init: 'heNormal', rng: r });
    // NOTE: the last layer of each block starts at zero, so every block begins as the identity.
    this.outer = new Dense(width, width, { init: 'zeros', rng: r });
  }
  forward(h: Tensor): Tensor {
    return h.add(this.outer.forward(this.inner.forward(h)));
  }
}

/** input Dense -> residual blocks -> output Dense (logits). */
export class ResidualMLP extends Module {
  input: Dense;
  blocks: ResidualBlock[];
  head: Dense;
  constructor(opts: { inFeatures: number; width: number; depth: number; classes: number; seed: number }) {
    super();
    const r = rng(opts.seed);
    this.input = new Dense(opts.inFeatures, opts.width, { activation: swish, rng: r });
    this.blocks = Array.from({ length: opts.depth }, () => new ResidualBlock(opts.width, r));
    this.head = new Dense(opts.width, opts.classes, { rng: r });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.blocks.reduce((h, block) => block.forward(h), this.input.forward(x)));
  }
}

/** Two interleaved spirals (a classic that a plain linear model cannot separate). */
export function spirals(pointsPerClass: number, seed: number): { x: Tensor; labels: number[] } {
  const r = rng(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const t = (i / pointsPerClass) * 3 * Math.PI + 0.5;
      const angle = t + c * Math.PI;
      rows.push([(t / 4) * Math.cos(angle) + 0.05 * r.normal(), (t / 4) * Math.sin(angle) + 0.05 * r.normal()]);
      labels.push(c);
    }
  }
  return { x: tensor(rows), labels };
}
