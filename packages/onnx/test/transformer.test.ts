// The makemore transformer's pieces exported and run in ONNX Runtime: what exports (position
// embeddings, layer norm, the feed-forward block, the head) and what cannot yet, with the error.
import { Embedding, LayerNorm, Linear, Module, MultiheadAttention, TransformerEncoderLayer, oneHot } from '@jacobi/nn';
import { OnnxExportError, exportOnnx } from '@jacobi/onnx';
import { TraceError, arange, gelu, randint, randn, rng, type Tensor } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { expectMatches, runOnnx } from './support.js';

const VOCAB = 27;
const T = 6;
const D = 16;

/** The makemore model's layers around attention: embeddings, a pre-norm feed-forward block, the final norm and head. */
class CharMlp extends Module {
  tokenEmbedding = new Embedding(VOCAB, D, { rng: rng(1) });
  positionEmbedding = new Embedding(T, D, { rng: rng(2) });
  norm1 = new LayerNorm(D);
  linear1 = new Linear(D, 32, { rng: rng(3) });
  linear2 = new Linear(32, D, { rng: rng(4) });
  norm = new LayerNorm(D);
  head = new Linear(D, VOCAB, { rng: rng(5) });

  /** Logits for one-hot tokens `[batch, T, VOCAB]`: the token lookup as a product with the table. */
  forward(oneHotTokens: Tensor): Tensor {
    const positions = arange(0, oneHotTokens.shape[1]!, 1, { dtype: 'int32' });
    let h = oneHotTokens.matmul(this.tokenEmbedding.weight).add(this.positionEmbedding.forward(positions));
    h = h.add(this.linear2.forward(gelu(this.linear1.forward(this.norm1.forward(h)))));
    return this.head.forward(this.norm.forward(h));
  }
}

describe('exportOnnx: the makemore transformer', () => {
  it('embeddings, layer norm, the feed-forward block and the head match jacobi at batches 2 and 5', async () => {
    const model = new CharMlp();
    const tokens = (n: number) =>
      oneHot(Array.from(randint(0, VOCAB, [n * T], { rng: rng(n) }).data(), Number), VOCAB).reshape([n, T, VOCAB]);
    const bytes = exportOnnx(model, [tokens(2)], { dynamicAxes: { input: { 0: 'batch' } } });
    for (const n of [2, 5]) {
      const x = tokens(n);
      expectMatches((await runOnnx(bytes, { input: x })).output, model.forward(x));
    }
  });

  it('looking up traced token indices cannot be traced (Embedding reads the indices): a TraceError', () => {
    const emb = new Embedding(VOCAB, D, { rng: rng(0) });
    expect(() => exportOnnx(emb, [randint(0, VOCAB, [2, T], { dtype: 'int32' })])).toThrow(TraceError);
  });

  it('softmax (attention) is refused: jit bakes its stopped row maximum in as a constant', () => {
    const attention = new MultiheadAttention(D, 2, { batchFirst: true, rng: rng(0) });
    const x = randn([2, T, D]);
    expect(() => exportOnnx((h: Tensor) => attention.forward(h, h, h, { isCausal: true }), [x])).toThrow(OnnxExportError);
    const layer = new TransformerEncoderLayer(D, 2, { dimFeedforward: 32, normFirst: true, batchFirst: true, rng: rng(0) }).eval();
    expect(() => exportOnnx((h: Tensor) => layer.forward(h, { isCausal: true }), [x])).toThrow(/stopGradient/);
  });
});
