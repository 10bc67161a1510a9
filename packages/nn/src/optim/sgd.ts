// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay,
// following PyTorch's torch.optim.SGD update exactly.
import type { Tensor } from '@jacobi/tensor';
import { ArgumentError } from '@jacobi/tensor';
import { Optimizer, checkNumber, type HyperParameters } from './optimizer.js';

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

/**
 * SGD: g ← ∇ + λp; with momentum b ← μb + g (b = g on the first step) and g ← b, or
 * g ← g + μb for Nesterov; then p ← p − ηg.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: readonly Tensor[], opts: SGDOptions) {
    super('SGD', params, ['momentum_buffer']);
    this.lr = checkNumber('SGD', 'lr', opts?.lr, 0);
    this.momentum = checkNumber('SGD', 'momentum', opts.momentum ?? 0, 0);
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = checkNumber('SGD', 'weightDecay', opts.weightDecay ?? 0, 0);
    if (this.nesterov && this.momentum === 0) throw new ArgumentError('SGD: nesterov needs a momentum > 0');
  }

  get hyper(): HyperParameters {
    return { lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected update(i: number, p: Tensor, grad: Tensor): Tensor {
    let g = this.weightDecay === 0 ? grad : grad.add(p.mul(this.weightDecay));
    if (this.momentum !== 0) {
      const previous = this.buffers.momentum_buffer![i]!;
      const b = previous === null ? g : previous.mul(this.momentum).add(g);
      this.buffers.momentum_buffer![i] = b;
      g = this.nesterov ? g.add(b.mul(this.momentum)) : b;
    }
    return p.sub(g.mul(this.lr));
  }

  protected checkHyper(h: HyperParameters, fail: (msg: string) => Error): void {
    for (const k of ['lr', 'momentum', 'weightDecay']) if (typeof h[k] !== 'number' || !Number.isFinite(h[k])) throw fail(`SGD ${k} must be a finite number`);
    if (typeof h.nesterov !== 'boolean') throw fail('SGD nesterov must be a boolean');
  }

  protected applyHyper(h: HyperParameters): void {
    this.lr = h.lr as number;
    this.momentum = h.momentum as number;
    this.nesterov = h.nesterov as boolean;
    this.weightDecay = h.weightDecay as number;
  }
}
