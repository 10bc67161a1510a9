// Gradient clipping between `backward()` and `optimizer.step()`: PyTorch's clip_grad_norm_ and
// clip_grad_value_. Both rewrite the `.grad` of each parameter and leave parameters without one alone.
import { ArgumentError, Tensor, noGrad, norm, stack } from '@jacobi/tensor';
import { checkBoolean, checkOptions, describeValue } from './validate.js';

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** p of the norm: a number > 0, or `Infinity` for the largest |g| (default 2). */
  normType?: number;
  /** Throw instead of clipping when the total norm is NaN or infinite (default false, as PyTorch). */
  errorIfNonfinite?: boolean;
}

/** The parameters that have a gradient, checked (a single tensor is one parameter). */
function gradientsOf(op: string, params: unknown): { param: Tensor; grad: Tensor }[] {
  const list: unknown[] = params instanceof Tensor ? [params] : Array.isArray(params) ? params : [];
  if (!(params instanceof Tensor) && !Array.isArray(params))
    throw new ArgumentError(`${op}: params must be a Tensor or an array of tensors (model.parameters()), got ${describeValue(params)}`);
  const out: { param: Tensor; grad: Tensor }[] = [];
  // NOTE: an indexed loop, not forEach, which skips holes: a sparse array must fail at its first hole, not walk 2³² slots.
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: params[${i}] must be a Tensor, got ${describeValue(p)}`);
    const g = p.requiresGrad ? p.grad : null;
    if (g !== null) out.push({ param: p, grad: g });
  }
  return out;
}

/** Sets each parameter's gradient to `f(grad)`: in place when the gradient is a plain tensor, so references to it see the change. */
function rewrite(entries: readonly { param: Tensor; grad: Tensor }[], f: (g: Tensor) => Tensor): void {
  const fresh = noGrad(() => entries.map(({ grad }) => f(grad.detach())));
  entries.forEach(({ param, grad }, i) => {
    if (grad.isLeaf && !grad.requiresGrad) grad.assign(fresh[i]!);
    else param.grad = fresh[i]!;
  });
}

/**
 * Scales the gradients of `params` (after `backward()`) so that their total norm — the p-norm
 * of all gradient elements together — is at most `maxNorm` (PyTorch's `clip_grad_norm_`): when
 * the total exceeds it, every `.grad` is multiplied by maxNorm / (total + 1e-6). Returns the total
 * norm before clipping, as a number (0 when no parameter has a gradient). A NaN or infinite total
 * is used as is, so the gradients become NaN (or 0), as PyTorch with `error_if_nonfinite=False`;
 * `{ errorIfNonfinite: true }` throws instead and changes nothing.
 *
 * @example
 * loss.backward();
 * const total = clipGradNorm(model.parameters(), 1);
 * optimizer.step();
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const op = 'clipGradNorm';
  const entries = gradientsOf(op, params);
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0)
    throw new ArgumentError(`${op}: maxNorm must be a number ≥ 0, got ${describeValue(maxNorm)}`);
  const o = checkOptions(op, opts);
  const p = o.normType === undefined ? 2 : o.normType;
  if (typeof p !== 'number' || !(p === Infinity || (Number.isFinite(p) && p > 0)))
    throw new ArgumentError(`${op}: opts.normType must be a number > 0 or Infinity, got ${describeValue(p)}`);
  const errorIfNonfinite = o.errorIfNonfinite === undefined ? false : checkBoolean(op, 'opts.errorIfNonfinite', o.errorIfNonfinite);
  const nonEmpty = entries.filter(({ grad }) => grad.size > 0);
  if (nonEmpty.length === 0) return 0;
  // ‖(g₁, …, gₖ)‖_p = ‖(‖g₁‖_p, …, ‖gₖ‖_p)‖_p, for p = ∞ too; each norm in its gradient's dtype.
  const total = noGrad(() => norm(stack(nonEmpty.map(({ grad }) => norm(grad.detach(), p).astype('float64'))), p).item());
  if (errorIfNonfinite && !Number.isFinite(total))
    throw new ArgumentError(`${op}: the total norm of order ${p} of the gradients is ${total}, so they cannot be clipped`);
  const coefficient = maxNorm / (total + 1e-6);
  // NOTE: `coefficient < 1` is false for NaN, and PyTorch multiplies by NaN then: hence the negation.
  if (!(coefficient >= 1)) rewrite(entries, (g) => g.mul(coefficient));
  return total;
}

/**
 * Clamps every gradient element of `params` to [−clipValue, clipValue] (PyTorch's
 * `clip_grad_value_`), in place; NaN stays NaN.
 *
 * @example
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: Tensor | readonly Tensor[], clipValue: number): void {
  const op = 'clipGradValue';
  const entries = gradientsOf(op, params);
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0)
    throw new ArgumentError(`${op}: clipValue must be a number ≥ 0, got ${describeValue(clipValue)}`);
  rewrite(entries, (g) => g.clamp(-clipValue, clipValue));
}
