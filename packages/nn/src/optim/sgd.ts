// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay,
// following PyTorch's torch.optim.SGD update exactly.
import type { Tensor } from '@jacobi/tensor';
import { Optimizer, aBoolean, nonNegative, type HyperSchema, type Update, type OptimizerParams } from './optimizer.js';

/**
 * The hyper-parameters of `SGD`, as PyTorch's `torch.optim.SGD` names them (`weight_decay` is
 * `weightDecay`; dampening is always 0). Each is also a property of the optimiser, which
 * documents it from here and checks it by the same rules.
 */
export interface SGDOptions {
  /** Learning rate η, a finite number ≥ 0 (required: no default). */
  lr: number;
  /** Momentum μ ≥ 0 (default 0: plain gradient descent, no state buffer). */
  momentum?: number;
  /** Use Nesterov momentum (default false; true needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty λ ≥ 0 added to the gradient, g + λp, before momentum (default 0). */
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
export class SGD extends Optimizer implements Required<SGDOptions> {
  constructor(params: OptimizerParams, opts: SGDOptions) {
    super('SGD', params, ['momentum_buffer'], SGD_SCHEMA, opts, { momentum: 0, nesterov: false, weightDecay: 0 });
  }

  // The accessors take their documentation from SGDOptions (SGD implements it), so TypeDoc shows
  // one text for both the getter and the setter.
  get lr(): number {
    return this.hyperValue('lr') as number;
  }
  set lr(value: number) {
    this.setHyperValue('lr', value);
  }
  get momentum(): number {
    return this.hyperValue('momentum') as number;
  }
  set momentum(value: number) {
    this.setHyperValue('momentum', value);
  }
  get nesterov(): boolean {
    return this.hyperValue('nesterov') as boolean;
  }
  set nesterov(value: boolean) {
    this.setHyperValue('nesterov', value);
  }
  get weightDecay(): number {
    return this.hyperValue('weightDecay') as number;
  }
  set weightDecay(value: number) {
    this.setHyperValue('weightDecay', value);
  }

  protected update(i: number, p: Tensor, grad: Tensor): Update {
    let g = this.weightDecay === 0 ? grad : grad.add(p.mul(this.weightDecay));
    if (this.momentum === 0) return { value: p.sub(g.mul(this.lr)), state: {} };
    const previous = this.buffers.get('momentum_buffer')![i]!;
    const b = previous === null ? g : previous.mul(this.momentum).add(g);
    g = this.nesterov ? g.add(b.mul(this.momentum)) : b;
    return { value: p.sub(g.mul(this.lr)), state: { momentum_buffer: b } };
  }
}
