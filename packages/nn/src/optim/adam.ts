// Adam (Kingma & Ba 2015) with L2 weight decay, and AdamW (Loshchilov & Hutter 2019) with
// decoupled weight decay; both follow PyTorch's update order and defaults.
import type { Tensor } from '@jacobi/tensor';
import { checkChoice } from '../validate.js';
import { Optimizer, nonNegative, type HyperSchema, type Update, type OptimizerParams } from './optimizer.js';

/**
 * The hyper-parameters of `Adam` and `AdamW`, with PyTorch's defaults (`weight_decay` is
 * `weightDecay`; there is no `amsgrad`). Each is also a property of the optimiser, which
 * documents it from here and checks it by the same rules.
 */
export interface AdamOptions {
  /** Learning rate η, a finite number ≥ 0 (default 1e-3). */
  lr?: number;
  /** Decay rates (β₁, β₂) of the first and second moments, each in [0, 1) (default [0.9, 0.999]); reading gives a copy. */
  betas?: readonly [number, number];
  /** ε ≥ 0 added to the bias-corrected √v̂ in the denominator, so a zero second moment cannot divide by zero (default 1e-8). */
  eps?: number;
  /**
   * Weight decay λ ≥ 0. In `Adam` it is an L2 penalty added to the gradient, g + λp, before the
   * moments, so it is rescaled per coordinate like the gradient (PyTorch's `Adam(weight_decay=λ)`;
   * default 0). In `AdamW` it is decoupled: p ← p·(1 − ηλ) before the Adam step (PyTorch's
   * `AdamW`; default 0.01).
   */
  weightDecay?: number;
}

const ADAM_SCHEMA: HyperSchema = {
  rules: {
    lr: nonNegative,
    betas: {
      expected: 'a pair [β1, β2] of numbers in [0, 1)',
      accepts: (v) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === 'number' && b >= 0 && b < 1),
    },
    eps: nonNegative,
    weightDecay: nonNegative,
  },
};

/**
 * Adam: g ← ∇ + λp, m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and with step t
 * p ← p − η·(m / (1−β₁ᵗ)) / (√v / √(1−β₂ᵗ) + ε). Hyper-parameters can be changed between
 * steps; a value the constructor would refuse throws and changes nothing.
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 0.01 });
 */
export class Adam extends Optimizer implements Required<AdamOptions> {
  /** Whether the weight decay is decoupled from the gradient (AdamW). */
  protected readonly decoupled: boolean;

  /** Adam over `params` (usually `model.parameters()`); `opts` left out take PyTorch's defaults. */
  constructor(params: OptimizerParams, opts?: AdamOptions);
  /** @internal AdamW's way in: `variant` names the optimiser and picks decoupled decay and its default. */
  constructor(params: OptimizerParams, opts: AdamOptions | undefined, variant: AdamVariant);
  constructor(params: OptimizerParams, opts: AdamOptions = {}, variant: AdamVariant = 'Adam') {
    const k = variantOf(variant);
    super(k.type, params, ['exp_avg', 'exp_avg_sq'], ADAM_SCHEMA, opts, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: k.defaultDecay,
    });
    this.decoupled = k.decoupled;
  }

  // The accessors take their documentation from AdamOptions (Adam implements it), so TypeDoc shows
  // one text for both the getter and the setter.
  get lr(): number {
    return this.hyperValue('lr') as number;
  }
  set lr(value: number) {
    this.setHyperValue('lr', value);
  }
  get betas(): [number, number] {
    return [...(this.hyperValue('betas') as [number, number])];
  }
  set betas(value: readonly [number, number]) {
    this.setHyperValue('betas', value);
  }
  get eps(): number {
    return this.hyperValue('eps') as number;
  }
  set eps(value: number) {
    this.setHyperValue('eps', value);
  }
  get weightDecay(): number {
    return this.hyperValue('weightDecay') as number;
  }
  set weightDecay(value: number) {
    this.setHyperValue('weightDecay', value);
  }

  protected update(i: number, p: Tensor, grad: Tensor, t: number): Update {
    const [b1, b2] = this.betas;
    let base = p;
    let g = grad;
    if (this.weightDecay !== 0) {
      if (this.decoupled) base = p.mul(1 - this.lr * this.weightDecay);
      else g = g.add(p.mul(this.weightDecay));
    }
    const m0 = this.buffers.get('exp_avg')![i];
    const v0 = this.buffers.get('exp_avg_sq')![i];
    const m = m0 ? m0.mul(b1).add(g.mul(1 - b1)) : g.mul(1 - b1);
    const v = v0 ? v0.mul(b2).add(g.square().mul(1 - b2)) : g.square().mul(1 - b2);
    const biasCorrection1 = 1 - b1 ** t;
    const biasCorrection2 = 1 - b2 ** t;
    const denom = v.sqrt().div(Math.sqrt(biasCorrection2)).add(this.eps);
    return { value: base.sub(m.div(denom).mul(this.lr / biasCorrection1)), state: { exp_avg: m, exp_avg_sq: v } };
  }
}

/** The Adam variants: a closed set, so no caller can give an optimiser another name. */
type AdamVariant = 'Adam' | 'AdamW';

/** How each variant differs: whether decay is decoupled, and the default λ. */
const VARIANTS: Readonly<Record<AdamVariant, { readonly type: AdamVariant; readonly decoupled: boolean; readonly defaultDecay: number }>> =
  {
    Adam: { type: 'Adam', decoupled: false, defaultDecay: 0 },
    AdamW: { type: 'AdamW', decoupled: true, defaultDecay: 0.01 },
  };

function variantOf(variant: unknown): (typeof VARIANTS)[AdamVariant] {
  return VARIANTS[checkChoice('Adam', 'variant', variant, ['Adam', 'AdamW'] as const)];
}

/**
 * AdamW: Adam with decoupled weight decay, p ← p·(1 − ηλ) before the Adam step
 * (default λ = 0.01, as in PyTorch).
 */
export class AdamW extends Adam {
  constructor(params: OptimizerParams, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW');
  }
}
