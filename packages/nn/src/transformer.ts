// PyTorch's transformer encoder layer: self-attention and a two-layer feed-forward block, each
// with dropout, a residual connection and a LayerNorm (after the residual by default, before the
// block with `normFirst`). Field names are PyTorch's, so the state dictionary matches.
import { ArgumentError, type DType, type Rng, type Tensor } from '@jacobi/tensor';
import { MultiheadAttention } from './attention.js';
import { Dropout, checkProbability } from './dropout.js';
import { rngOption } from './init.js';
import { Linear } from './linear.js';
import { Module, methodName } from './module.js';
import { LayerNorm } from './normalization.js';
import { checkBoolean, checkDType, checkInteger, checkNumber, checkOptions, checkTensor, describeValue, inContext } from './validate.js';

/** Options of `TransformerEncoderLayer` (PyTorch's keyword arguments and defaults). */
export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation: `'relu'` (default) or `'gelu'` (exact), or a function. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  /** The LayerNorms' eps (default 1e-5). */
  layerNormEps?: number;
  /** Inputs are `[batch, length, dModel]` (default true; PyTorch's default is false). */
  batchFirst?: boolean;
  /** Pre-norm: normalise before each block instead of after each residual (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms (default true). */
  bias?: boolean;
  /** The generator of the initial weights and the dropout masks (default: the shared fixed-seed stream). */
  rng?: Rng;
  /** Dtype of the parameters (default `'float32'`). */
  dtype?: DType;
}

/** Masks of `TransformerEncoderLayer.forward`: PyTorch's `src_mask`, `src_key_padding_mask`, `is_causal`. */
export interface TransformerEncoderLayerForwardOptions {
  /** `[L, L]` (or `[batch·nHead, L, L]`): bool true = may not attend, float = added (as `MultiheadAttention`). */
  srcMask?: Tensor;
  /** `[batch, L]`: bool true = padding. */
  srcKeyPaddingMask?: Tensor;
  /** Apply the causal mask (position i sees 0..i); not together with `srcMask`. */
  isCausal?: boolean;
}

/**
 * PyTorch's `nn.TransformerEncoderLayer(dModel, nHead)`: with x the input,
 * post-norm (default) x = norm1(x + sa(x)); x = norm2(x + ff(x)),
 * pre-norm (`normFirst`) x = x + sa(norm1(x)); x = x + ff(norm2(x)),
 * where sa is `self_attn` then `dropout1`, and ff is `linear2(dropout(activation(linear1(x))))`
 * then `dropout2`. Parameters: `self_attn.in_proj_weight`, `self_attn.in_proj_bias`,
 * `self_attn.out_proj.weight`/`bias`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
 *
 * @example
 * const layer = new TransformerEncoderLayer(32, 4, { dimFeedforward: 64, normFirst: true, rng: rng(0) });
 * layer.forward(x, { isCausal: true }); // x: [batch, T, 32]
 */
export class TransformerEncoderLayer extends Module {
  /** The self-attention block. */
  self_attn: MultiheadAttention;
  /** dModel → dimFeedforward. */
  linear1: Linear;
  /** Dropout after the activation of the feed-forward block. */
  dropout: Dropout;
  /** dimFeedforward → dModel. */
  linear2: Linear;
  /** Whether the LayerNorms come before the blocks (pre-norm). */
  readonly normFirst: boolean;
  /** The LayerNorm of the attention block. */
  norm1: LayerNorm;
  /** The LayerNorm of the feed-forward block. */
  norm2: LayerNorm;
  /** Dropout after the attention block. */
  dropout1: Dropout;
  /** Dropout after the feed-forward block. */
  dropout2: Dropout;
  /** The feed-forward activation. */
  readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nHead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const op = 'TransformerEncoderLayer';
    checkInteger(op, 'dModel', dModel, 1, 2 ** 20);
    checkInteger(op, 'nHead', nHead, 1, dModel);
    const o = checkOptions(op, opts);
    const dimFeedforward = checkInteger(op, 'opts.dimFeedforward', o.dimFeedforward ?? 2048, 1, 2 ** 24);
    const p = checkProbability(op, 'opts.dropout', o.dropout ?? 0.1);
    this.activation = activationOf(op, o.activation ?? 'relu');
    const eps = checkNumber(op, 'opts.layerNormEps', o.layerNormEps ?? 1e-5, 0);
    const batchFirst = checkBoolean(op, 'opts.batchFirst', o.batchFirst ?? true);
    this.normFirst = checkBoolean(op, 'opts.normFirst', o.normFirst ?? false);
    const bias = checkBoolean(op, 'opts.bias', o.bias ?? true);
    const r = rngOption(op, o);
    const dtype = checkDType(op, 'opts.dtype', o.dtype ?? 'float32');
    this.self_attn = inContext(op, () => new MultiheadAttention(dModel, nHead, { batchFirst, bias, dropout: p, rng: r, dtype }));
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, rng: r, dtype });
    this.dropout = new Dropout(p, { rng: r });
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, rng: r, dtype });
    this.norm1 = new LayerNorm(dModel, { eps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, bias, dtype });
    this.dropout1 = new Dropout(p, { rng: r });
    this.dropout2 = new Dropout(p, { rng: r });
  }

  /** The layer applied to `src` (`[batch, L, dModel]` batch-first, `[L, batch, dModel]`, or `[L, dModel]`). */
  forward(src: Tensor, opts: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'src', src);
    const o = checkOptions(op, opts);
    const masks = {
      attnMask: o.srcMask as Tensor | undefined,
      keyPaddingMask: o.srcKeyPaddingMask as Tensor | undefined,
      isCausal: o.isCausal as boolean | undefined,
    };
    return inContext(op, () => {
      const sa = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, masks));
      const ff = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
      let x = src;
      if (this.normFirst) {
        x = x.add(sa(this.norm1.forward(x)));
        return x.add(ff(this.norm2.forward(x)));
      }
      x = this.norm1.forward(x.add(sa(x)));
      return this.norm2.forward(x.add(ff(x)));
    });
  }
}

function activationOf(op: string, value: unknown): (x: Tensor) => Tensor {
  if (value === 'relu') return (x) => x.relu();
  if (value === 'gelu') return (x) => x.gelu();
  if (typeof value === 'function') return value as (x: Tensor) => Tensor;
  throw new ArgumentError(`${op}: opts.activation must be 'relu', 'gelu' or a function, got ${describeValue(value)}`);
}
