// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay,
// following PyTorch's torch.optim.SGD update exactly.
import type { Tensor } from '@jacobi/tensor';
import { Optimizer, aBoolean, nonNegative, type HyperSchema, type Update } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate η (required). */
  lr: number;
  /** Momentum μ (default 0: plain gradient descent). */
  momentum?: number;
  /** Use Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient: g + λp (default 0). */
  weightDecay?: number;
}

const SGD_SCHEMA: HyperSchema = {
  rules: { lr: nonNegative, momentum: nonNegative, nesterov: aBoolean, weightDecay: nonNegative },
  across: (h) => (h.nesterov === true && h.momentum === 0 ? 'nesterov needs a momentum > 0' : null),
};

/**
 * SGD: g ← ∇ + λp; with momentum b ← μb + g (b = g on the first step) and g ← b, or
 * g ← g + μb for Nesterov; then p ← p − ηg. The hyper-parameters can be changed between
 * steps (`opt.lr = 0.01`); a value the constructor would refuse throws and changes nothing.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer {
  constructor(params: readonly Tensor[], opts: SGDOptions) {
    super('SGD', params, ['momentum_buffer'], SGD_SCHEMA, opts, { momentum: 0, nesterov: false, weightDecay: 0 });
  }

  /** Learning rate η ≥ 0. */
  get lr(): number { return this.hyperValue('lr') as number; }
  set lr(value: number) { this.setHyperValue('lr', value); }
  /** Momentum μ ≥ 0. */
  get momentum(): number { return this.hyperValue('momentum') as number; }
  set momentum(value: number) { this.setHyperValue('momentum', value); }
  /** Nesterov momentum (needs momentum > 0). */
  get nesterov(): boolean { return this.hyperValue('nesterov') as boolean; }
  set nesterov(value: boolean) { this.setHyperValue('nesterov', value); }
  /** L2 penalty λ ≥ 0. */
  get weightDecay(): number { return this.hyperValue('weightDecay') as number; }
  set weightDecay(value: number) { this.setHyperValue('weightDecay', value); }

  protected update(i: number, p: Tensor, grad: Tensor): Update {
    let g = this.weightDecay === 0 ? grad : grad.add(p.mul(this.weightDecay));
    if (this.momentum === 0) return { value: p.sub(g.mul(this.lr)), state: {} };
    const previous = this.buffers.get('momentum_buffer')![i]!;
    const b = previous === null ? g : previous.mul(this.momentum).add(g);
    g = this.nesterov ? g.add(b.mul(this.momentum)) : b;
    return { value: p.sub(g.mul(this.lr)), state: { momentum_buffer: b } };
  }
}
