// Adam (Kingma & Ba 2015) with L2 weight decay, and AdamW (Loshchilov & Hutter 2019) with
// decoupled weight decay; both follow PyTorch's update order and defaults.
import type { Tensor } from '@jacobi/tensor';
import { ArgumentError } from '@jacobi/tensor';
import { Optimizer, checkNumber, type HyperParameters } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate η (default 1e-3). */
  lr?: number;
  /** Decay rates (β₁, β₂) of the moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** ε added to √v̂ (default 1e-8). */
  eps?: number;
  /** Weight decay λ (Adam: L2 added to the gradient, default 0; AdamW: decoupled, default 0.01). */
  weightDecay?: number;
}

/**
 * Adam: g ← ∇ + λp, m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and with step t
 * p ← p − η·(m / (1−β₁ᵗ)) / (√v / √(1−β₂ᵗ) + ε).
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 0.01 });
 */
export class Adam extends Optimizer {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Whether the weight decay is decoupled from the gradient (AdamW). */
  protected readonly decoupled: boolean;

  /** `kind` is for subclasses (AdamW); users pass only `params` and `opts`. */
  constructor(params: readonly Tensor[], opts: AdamOptions = {}, kind: { type: string; decoupled: boolean; defaultDecay: number } = { type: 'Adam', decoupled: false, defaultDecay: 0 }) {
    super(kind.type, params, ['exp_avg', 'exp_avg_sq']);
    const op = kind.type;
    this.decoupled = kind.decoupled;
    this.lr = checkNumber(op, 'lr', opts.lr ?? 1e-3, 0);
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new ArgumentError(`${op}: betas must be a pair [β1, β2]`);
    this.betas = [checkNumber(op, 'betas[0]', betas[0], 0, 1), checkNumber(op, 'betas[1]', betas[1], 0, 1)];
    this.eps = checkNumber(op, 'eps', opts.eps ?? 1e-8, 0);
    this.weightDecay = checkNumber(op, 'weightDecay', opts.weightDecay ?? kind.defaultDecay, 0);
  }

  get hyper(): HyperParameters {
    return { lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected update(i: number, p: Tensor, grad: Tensor): Tensor {
    const [b1, b2] = this.betas;
    const t = this.steps[i]!;
    let base = p;
    let g = grad;
    if (this.weightDecay !== 0) {
      if (this.decoupled) base = p.mul(1 - this.lr * this.weightDecay);
      else g = g.add(p.mul(this.weightDecay));
    }
    const m0 = this.buffers.exp_avg![i];
    const v0 = this.buffers.exp_avg_sq![i];
    const m = m0 ? m0.mul(b1).add(g.mul(1 - b1)) : g.mul(1 - b1);
    const v = v0 ? v0.mul(b2).add(g.square().mul(1 - b2)) : g.square().mul(1 - b2);
    this.buffers.exp_avg![i] = m;
    this.buffers.exp_avg_sq![i] = v;
    const biasCorrection1 = 1 - b1 ** t;
    const biasCorrection2 = 1 - b2 ** t;
    const denom = v.sqrt().div(Math.sqrt(biasCorrection2)).add(this.eps);
    return base.sub(m.div(denom).mul(this.lr / biasCorrection1));
  }

  protected checkHyper(h: HyperParameters, fail: (msg: string) => Error): void {
    for (const k of ['lr', 'eps', 'weightDecay']) if (typeof h[k] !== 'number' || !Number.isFinite(h[k])) throw fail(`${this.type} ${k} must be a finite number`);
    const b = h.betas;
    if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== 'number' || !(x >= 0 && x < 1))) throw fail(`${this.type} betas must be two numbers in [0, 1)`);
  }

  protected applyHyper(h: HyperParameters): void {
    this.lr = h.lr as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
    const b = h.betas as readonly number[];
    this.betas = [b[0]!, b[1]!];
  }
}

/**
 * AdamW: Adam with decoupled weight decay, p ← p·(1 − ηλ) before the Adam step
 * (default λ = 0.01, as in PyTorch).
 */
export class AdamW extends Adam {
  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params, opts, { type: 'AdamW', decoupled: true, defaultDecay: 0.01 });
  }
}
