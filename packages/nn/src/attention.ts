// PyTorch's multi-head attention: the packed input projection `in_proj_weight` [3E, E], heads
// of size E/H attended with scaledDotProductAttention, and the output projection `out_proj`.
// Parameter names and layouts are PyTorch's, so a state dictionary moves across unchanged.
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  arange,
  matmul,
  scaledDotProductAttention,
  softmax,
  swapaxes,
  where,
  type DType,
  type Rng,
} from '@jacobi/tensor';
import { dropout as applyDropout, checkProbability } from './dropout.js';
import { rngOption } from './init.js';
import { Linear, linear } from './linear.js';
import { Module, methodName } from './module.js';
import { constantParameter, uniformParameter } from './parameter.js';
import { checkBoolean, checkDType, checkInteger, checkOptions, checkTensor, inContext } from './validate.js';

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions {
  /** Inputs are `[batch, length, embedDim]` (default true; PyTorch's default is false, `[length, batch, embedDim]`). */
  batchFirst?: boolean;
  /** Learn `in_proj_bias` and `out_proj.bias` (default true). */
  bias?: boolean;
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** The generator of the initial weights and of the dropout masks (default: the shared fixed-seed stream). */
  rng?: Rng;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/**
 * Masks of `MultiheadAttention.forward`, with PyTorch's `nn.MultiheadAttention` conventions:
 * NOTE a bool mask here is true where attention is **not** allowed (the opposite of
 * `scaledDotProductAttention`'s), a float mask is added to the scores.
 */
export interface MultiheadAttentionForwardOptions {
  /** `[L, S]`, or `[batch·numHeads, L, S]` per head; bool true = may not attend, float = added. */
  attnMask?: Tensor;
  /** `[batch, S]` (`[S]` unbatched): bool true = this key is padding, ignored; float = added. */
  keyPaddingMask?: Tensor;
  /** Apply the causal mask (query i sees keys 0..i); not together with `attnMask`. */
  isCausal?: boolean;
}

/** Options of `MultiheadAttention.forwardWithWeights`. */
export interface AttentionWeightsOptions extends MultiheadAttentionForwardOptions {
  /** Average the returned weights over the heads (default true, as PyTorch). */
  averageAttnWeights?: boolean;
}

/**
 * PyTorch's `nn.MultiheadAttention(embedDim, numHeads)` (inputs batch-first by default):
 * `forward(query, key = query, value = key, masks)` projects with `in_proj_weight` `[3E, E]` and
 * `in_proj_bias` `[3E]`, attends per head (head size E / numHeads, scale 1/√(E/numHeads)) and
 * projects back with `out_proj` (a `Linear`, `[E, E]`). Initialised as PyTorch: `in_proj_weight`
 * Xavier-uniform, biases zero, `out_proj.weight` as a `Linear`.
 *
 * @example
 * const mha = new MultiheadAttention(16, 4, { rng: rng(0) });
 * mha.forward(x, x, x, { isCausal: true }).shape; // x: [batch, T, 16] → [batch, T, 16]
 */
export class MultiheadAttention extends Module {
  /** E, the model width. */
  readonly embedDim: number;
  /** H, the number of heads (E must divide by it). */
  readonly numHeads: number;
  /** E / H. */
  readonly headDim: number;
  /** Whether inputs are `[batch, length, E]` (else `[length, batch, E]`). */
  readonly batchFirst: boolean;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** The packed query, key and value projections, `[3E, E]` (rows 0..E−1 are the query's). */
  in_proj_weight: Tensor;
  /** Their biases, `[3E]`, or null without `bias`. */
  in_proj_bias: Tensor | null;
  /** The output projection (PyTorch's `out_proj`). */
  out_proj: Linear;
  /** The generator of the dropout masks. */
  readonly rng: Rng;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    checkInteger(op, 'embedDim', embedDim, 1, 2 ** 20);
    checkInteger(op, 'numHeads', numHeads, 1, embedDim);
    if (embedDim % numHeads !== 0) throw new ArgumentError(`${op}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    const o = checkOptions(op, opts);
    this.batchFirst = checkBoolean(op, 'opts.batchFirst', o.batchFirst ?? true);
    const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
    this.dropout = checkProbability(op, 'opts.dropout', o.dropout ?? 0);
    this.rng = rngOption(op, o);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    // Xavier-uniform over [3E, E]: bound √(6 / (fanIn + fanOut)) = √(6 / 4E).
    const bound = Math.sqrt(6 / (4 * embedDim));
    this.in_proj_weight = uniformParameter([3 * embedDim, embedDim], bound, this.rng, dtype);
    this.in_proj_bias = bias ? constantParameter([3 * embedDim], 0, dtype) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, rng: this.rng, dtype });
    if (this.out_proj.bias !== null) this.out_proj.bias = constantParameter([embedDim], 0, dtype);
  }

  /**
   * Attention of `query` `[N, L, E]` over `key` `[N, S, E]` and `value` `[N, S, E]` (or
   * `[L, N, E]` without `batchFirst`, or unbatched `[L, E]`); the output has the query's shape.
   * Without `key` and `value` it is self-attention.
   */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key, opts: MultiheadAttentionForwardOptions = {}): Tensor {
    const op = methodName(this, 'forward');
    return attend(this, op, query, key, value, opts, false)[0];
  }

  /**
   * `forward`'s output and the attention weights (after dropout), `[N, L, S]` averaged over
   * the heads, or `[N, H, L, S]` with `averageAttnWeights: false` (unbatched: without N); what
   * PyTorch returns with `need_weights=True`. Computes the weights explicitly, so it is slower.
   */
  forwardWithWeights(query: Tensor, key: Tensor = query, value: Tensor = key, opts: AttentionWeightsOptions = {}): [Tensor, Tensor] {
    const op = methodName(this, 'forwardWithWeights');
    return attend(this, op, query, key, value, opts, true) as [Tensor, Tensor];
  }
}

/** The attention of `forward` and `forwardWithWeights` (with the weights when `needWeights`). */
function attend(
  self: MultiheadAttention,
  op: string,
  query: unknown,
  key: unknown,
  value: unknown,
  opts: unknown,
  needWeights: boolean,
): [Tensor, Tensor | null] {
  const E = self.embedDim;
  const H = self.numHeads;
  const q0 = checkTensor(op, 'query', query);
  const k0 = checkTensor(op, 'key', key);
  const v0 = checkTensor(op, 'value', value);
  const o = checkOptions(op, opts);
  const isCausal = checkBoolean(op, 'opts.isCausal', o.isCausal ?? false);
  const average = checkBoolean(op, 'opts.averageAttnWeights', o.averageAttnWeights ?? true);
  const batched = q0.ndim === 3;
  for (const [name, t] of [
    ['query', q0],
    ['key', k0],
    ['value', v0],
  ] as const) {
    if ((t.ndim !== 2 && t.ndim !== 3) || t.ndim !== q0.ndim || t.shape[t.ndim - 1] !== E) {
      const layout = self.batchFirst ? '[batch, length, E]' : '[length, batch, E]';
      throw new ShapeError(`${op}: ${name} of shape [${t.shape}] must be ${layout} or [length, E] like the query, with E = ${E}`);
    }
  }
  // Batch-first, batched views: [N, L, E].
  const toBatchFirst = (t: Tensor) => (!batched ? t.unsqueeze(0) : self.batchFirst ? t : swapaxes(t, 0, 1));
  const q = toBatchFirst(q0);
  const k = toBatchFirst(k0);
  const v = toBatchFirst(v0);
  const [N, L] = q.shape as [number, number];
  const S = k.shape[1]!;
  if (k.shape[0] !== N || v.shape[0] !== N || v.shape[1] !== S) {
    throw new ShapeError(`${op}: query [${q0.shape}], key [${k0.shape}] and value [${v0.shape}] disagree in batch or length`);
  }
  const mask = maskFor(self, op, o.attnMask, o.keyPaddingMask, isCausal, batched, N, L, S);
  return inContext(op, () => {
    const W = self.in_proj_weight;
    const b = self.in_proj_bias;
    const part = (i: number) => [W.slice(0, i * E, (i + 1) * E), b === null ? null : b.slice(0, i * E, (i + 1) * E)] as const;
    let qp: Tensor;
    let kp: Tensor;
    let vp: Tensor;
    if (q0 === k0 && k0 === v0) {
      // Self-attention: one matmul with the packed weight, then three views.
      const packed = linear(q, W, b);
      [qp, kp, vp] = [0, 1, 2].map((i) => packed.slice(-1, i * E, (i + 1) * E)) as [Tensor, Tensor, Tensor];
    } else {
      qp = linear(q, ...part(0));
      kp = linear(k, ...part(1));
      vp = linear(v, ...part(2));
    }
    const heads = (t: Tensor, n: number) => swapaxes(t.reshape([N, n, H, self.headDim]), 1, 2);
    const [qh, kh, vh] = [heads(qp, L), heads(kp, S), heads(vp, S)];
    const p = self.training ? self.dropout : 0;
    let attended: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      let scores = matmul(qh, swapaxes(kh, -2, -1)).mul(1 / Math.sqrt(self.headDim));
      if (mask.isCausal || mask.mask !== undefined) scores = addMask(scores, mask.isCausal ? causalKeep(L, S) : mask.mask!);
      weights = applyDropout(softmax(scores, -1), p, p > 0, self.rng);
      attended = matmul(weights, vh);
    } else {
      attended = scaledDotProductAttention(qh, kh, vh, { ...mask, dropoutP: p, rng: self.rng });
    }
    let out = self.out_proj.forward(swapaxes(attended, 1, 2).reshape([N, L, E]));
    out = !batched ? out.reshape([L, E]) : self.batchFirst ? out : swapaxes(out, 0, 1);
    if (weights !== null) {
      if (average) weights = weights.mean(1);
      if (!batched) weights = weights.reshape(weights.shape.slice(1));
    }
    return [out, weights];
  });
}

/** The masks as scaledDotProductAttention's options: a keep-mask (bool) or a float bias, broadcastable to [N, H, L, S]. */
function maskFor(
  self: MultiheadAttention,
  op: string,
  attnMask: unknown,
  keyPaddingMask: unknown,
  isCausal: boolean,
  batched: boolean,
  N: number,
  L: number,
  S: number,
): { mask?: Tensor; isCausal?: boolean } {
  const H = self.numHeads;
  const parts: Tensor[] = [];
  if (attnMask !== undefined) {
    if (isCausal) throw new ArgumentError(`${op}: give opts.attnMask or opts.isCausal, not both`);
    const m = checkMask(op, 'opts.attnMask', attnMask);
    if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) parts.push(m);
    else if (m.ndim === 3 && m.shape[0] === N * H && m.shape[1] === L && m.shape[2] === S) parts.push(m.reshape([N, H, L, S]));
    else throw new ShapeError(`${op}: opts.attnMask of shape [${m.shape}] must be [${L}, ${S}] or [${N * H}, ${L}, ${S}]`);
  }
  if (keyPaddingMask !== undefined) {
    const m = checkMask(op, 'opts.keyPaddingMask', keyPaddingMask);
    const expected = batched ? [N, S] : [S];
    if (m.shape.join() !== expected.join() || m.ndim !== expected.length) {
      throw new ShapeError(`${op}: opts.keyPaddingMask of shape [${m.shape}] must be [${expected}]`);
    }
    parts.push(m.reshape([N, 1, 1, S]));
  }
  if (parts.length === 0) return isCausal ? { isCausal: true } : {};
  if (isCausal) parts.push(causalKeep(L, S).logicalNot());
  // One bool mask flips to a keep-mask; otherwise everything becomes one additive bias.
  if (parts.length === 1 && parts[0]!.dtype === 'bool') return { mask: parts[0]!.logicalNot() };
  return { mask: parts.map((m) => (m.dtype === 'bool' ? where(m, Number.NEGATIVE_INFINITY, 0) : m)).reduce((a, m) => a.add(m)) };
}

/** A bool or float mask tensor. */
function checkMask(op: string, name: string, given: unknown): Tensor {
  const value = checkTensor(op, name, given);
  if (value.dtype === 'int32') throw new DTypeError(`${op}: ${name} has dtype int32, expected bool or a float dtype`);
  return value;
}

/** `[L, S]` bool, true where key j ≤ query i. */
function causalKeep(L: number, S: number): Tensor {
  return arange(S).lessEqual(arange(L).reshape([L, 1]));
}

/** scores with a keep-mask (bool: −∞ where false) or a bias (float: added). */
function addMask(scores: Tensor, mask: Tensor): Tensor {
  return mask.dtype === 'bool' ? where(mask, scores, Number.NEGATIVE_INFINITY) : scores.add(mask);
}
