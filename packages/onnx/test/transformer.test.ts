// The makemore transformer's pieces exported and run in ONNX Runtime: token and position
// embeddings, layer norm, the feed-forward block, the head, causal attention and an encoder layer.
import { Embedding, LayerNorm, Linear, Module, MultiheadAttention, TransformerEncoderLayer, oneHot } from '@jacobi/nn';
import { exportOnnx } from '@jacobi/onnx';
import { arange, gelu, randint, randn, rng, type Tensor } from '@jacobi/tensor';
import { describe, it } from 'vitest';
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

  it('token lookups (int32 indices an input of the graph) match jacobi at batches 2 and 5', async () => {
    const emb = new Embedding(VOCAB, D, { rng: rng(0) });
    const bytes = exportOnnx(emb, [randint(0, VOCAB, [2, T], { dtype: 'int32', rng: rng(1) })], { dynamicAxes: { input: { 0: 'batch' } } });
    for (const n of [2, 5]) {
      const ids = randint(0, VOCAB, [n, T], { dtype: 'int32', rng: rng(40 + n) });
      expectMatches((await runOnnx(bytes, { input: ids })).output, emb.forward(ids));
    }
  });

  it('causal attention and a pre-norm encoder layer (softmax with its stopped row maximum) match jacobi', async () => {
    const attention = new MultiheadAttention(D, 2, { batchFirst: true, rng: rng(0) });
    const layer = new TransformerEncoderLayer(D, 2, { dimFeedforward: 32, normFirst: true, batchFirst: true, rng: rng(0) }).eval();
    const cases: ((h: Tensor) => Tensor)[] = [
      (h) => attention.forward(h, h, h, { isCausal: true }),
      (h) => layer.forward(h, { isCausal: true }),
    ];
    for (const f of cases) {
      const bytes = exportOnnx(f, [randn([2, T, D], { rng: rng(2) })]);
      // Values far from the traced ones: a baked-in row maximum would overflow here.
      const x = randn([2, T, D], { rng: rng(3) })
        .mul(30)
        .add(100);
      expectMatches((await runOnnx(bytes, { input: x })).output, f(x));
    }
  });
});
