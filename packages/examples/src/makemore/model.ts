// The character-level transformer of `pnpm makemore`: token and learned position embeddings, a
// stack of pre-norm TransformerEncoderLayers with causal self-attention, a final LayerNorm and a
// linear head giving next-character logits at every position.
import { arange, rng, type Tensor } from '@jacobi/tensor';
import { Embedding, LayerNorm, Linear, Module, TransformerEncoderLayer } from '@jacobi/nn';

/** The architecture; everything a saved or rebuilt model needs besides its weights. */
export interface CharTransformerConfig {
  /** Tokens, the boundary '.' included (27 for a–z). */
  vocabSize: number;
  /** Positions: the longest name + 1. */
  context: number;
  /** Width of the residual stream (dModel). */
  embedDim: number;
  /** Attention heads per layer; must divide `embedDim`. */
  heads: number;
  /** Number of TransformerEncoderLayers. */
  layers: number;
  /** Width of each layer's feed-forward block. */
  dimFeedforward: number;
  /** Dropout probability inside the layers (0 = none). */
  dropout: number;
}

/**
 * logits[b, t] = head(norm(layers(tok[x[b, t]] + pos[t]))), each layer attending causally, so the
 * prediction at position t depends on the tokens 0..t only.
 */
export class CharTransformer extends Module {
  readonly config: CharTransformerConfig;
  tokenEmbedding: Embedding;
  positionEmbedding: Embedding;
  layers: TransformerEncoderLayer[];
  norm: LayerNorm;
  head: Linear;

  constructor(config: CharTransformerConfig, seed: number) {
    super();
    this.config = { ...config };
    const r = rng(seed);
    const { vocabSize, context, embedDim, heads, layers, dimFeedforward, dropout } = config;
    this.tokenEmbedding = new Embedding(vocabSize, embedDim, { rng: r });
    this.positionEmbedding = new Embedding(context, embedDim, { rng: r });
    this.layers = Array.from(
      { length: layers },
      () => new TransformerEncoderLayer(embedDim, heads, { dimFeedforward, dropout, normFirst: true, batchFirst: true, rng: r }),
    );
    this.norm = new LayerNorm(embedDim);
    this.head = new Linear(embedDim, vocabSize, { rng: r });
  }

  /** Next-token logits `[batch, T, vocabSize]` for int32 tokens `[batch, T]`, T ≤ context. */
  forward(tokens: Tensor): Tensor {
    const positions = arange(0, tokens.shape[1]!, 1, { dtype: 'int32' });
    let h = this.tokenEmbedding.forward(tokens).add(this.positionEmbedding.forward(positions));
    for (const layer of this.layers) h = layer.forward(h, { isCausal: true });
    return this.head.forward(this.norm.forward(h));
  }
}
