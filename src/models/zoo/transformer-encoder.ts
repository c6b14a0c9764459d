/**
 * `transformer_encoder`: a pre-norm Transformer encoder (Vaswani et al. 2017; pre-LN as in GPT-2
 * and ViT) for sequence classification. Token ids [N, T] (int64) -> token embedding + learned
 * positions -> L x [x + MHA(LN(x)), x + FFN(LN(x))] -> LN -> mean over T -> dense head.
 * Attention is built from standard ops: MatMul, Reshape/Transpose to heads, scaled Softmax;
 * GELU is the exact erf form (the emitted graphs are opset 18, before Gelu became an op).
 */
import { int, num } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

/** Multi-head self-attention on x [N, T, d]. */
export function selfAttention(l: LayerBuilder, x: string, d: number, heads: number, name: string): string {
  const dh = d / heads;
  const split = (v: string) => l.transpose(l.reshape(v, [0, 0, heads, dh]), [0, 2, 1, 3]); // [N, h, T, dh]
  const q = split(l.linear(x, d, d, `${name}.q`, 1));
  const k = l.transpose(l.reshape(l.linear(x, d, d, `${name}.k`, 1), [0, 0, heads, dh]), [0, 2, 3, 1]); // [N, h, dh, T]
  const v = split(l.linear(x, d, d, `${name}.v`, 1));
  const scores = l.b.op('Mul', [l.b.op('MatMul', [q, k]), l.b.constant('float32', 1 / Math.sqrt(dh), [])]);
  const attn = l.b.op('Softmax', [scores], { axis: -1 }, `${name}.softmax`);
  const ctx = l.reshape(l.transpose(l.b.op('MatMul', [attn, v]), [0, 2, 1, 3]), [0, 0, d]);
  return l.linear(ctx, d, d, `${name}.out`, 1);
}

export const transformerEncoder = defineZooModel({
  type: 'transformer_encoder',
  description:
    'token ids [T] (int64) -> embeddings + learned positions -> pre-norm Transformer encoder layers -> mean pooling -> classes',
  example: { inputShape: [64], numClasses: 4, options: { vocabSize: 10000 } },
  options: {
    vocabSize: int({ min: 2, doc: 'number of token ids (ids must lie in [0, vocabSize))' }),
    dModel: int({ min: 1, default: 64, doc: 'model width' }),
    heads: int({ min: 1, default: 4, doc: 'attention heads (must divide dModel)' }),
    layers: int({ min: 1, default: 2, doc: 'encoder layers' }),
    ffDim: int({ min: 1, default: 128, doc: 'hidden width of the feed-forward block' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout after attention and feed-forward blocks' }),
    ...ioOptions,
  },
  check: (o, path) =>
    o.dModel % o.heads ? `expected ${path}.heads to divide ${path}.dModel (${o.dModel}) but got ${o.heads}` : undefined,
  create: (o, ctx) => {
    const [t] = resolveInputShape(o, ctx, { rank: 1, example: '[sequence length]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('transformer_encoder', ctx.seed);
    const d = o.dModel;
    const drop = (v: string) => (o.dropout ? l.dropout(v, o.dropout) : v);
    const positions = l.param('pos_embed.weight', [t, d], 0.02 * Math.sqrt(3));
    let x = l.add(l.embedding('input', o.vocabSize, d, 'tok_embed', 0.02 * Math.sqrt(3)), positions);
    for (let i = 0; i < o.layers; i++) {
      const p = `layers${i}`;
      x = l.add(x, drop(selfAttention(l, l.layerNorm(x, d, `${p}.ln1`), d, o.heads, `${p}.attn`)));
      const hdn = l.gelu(l.linear(l.layerNorm(x, d, `${p}.ln2`), d, o.ffDim, `${p}.ff1`, 1));
      x = l.add(x, drop(l.linear(hdn, o.ffDim, d, `${p}.ff2`, 1)));
    }
    x = l.mean(l.layerNorm(x, d, 'ln_final'), [1]);
    return l.finish({ name: 'input', shape: ['N', t], dtype: 'int64' }, l.dense(x, d, classes, 'head'));
  },
});
