/**
 * `text_classifier`: a bag-of-embeddings classifier (fastText-like): token ids [N, T] (int64) ->
 * Gather from an embedding table -> mean over the sequence -> MLP -> classes. With `padId`, the
 * mean skips padding positions (a mask from Equal(ids, padId)); without it every position counts.
 */
import { arr, int, num, opt } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const textClassifier = defineZooModel({
  type: 'text_classifier',
  description: 'token ids [T] (int64) -> embedding -> mean pooling -> MLP -> classes',
  example: { inputShape: [64], numClasses: 4, options: { vocabSize: 10000 } },
  options: {
    vocabSize: int({ min: 2, doc: 'number of token ids (ids must lie in [0, vocabSize))' }),
    embedDim: int({ min: 1, default: 64, doc: 'embedding width' }),
    hidden: arr(int({ min: 1 }), { default: [64], doc: 'widths of the hidden dense layers' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout after the pooling and each hidden layer' }),
    padId: opt(
      int({
        min: 0,
        doc: 'token id of padding: those positions are left out of the mean (default: none, every position counts)',
      }),
    ),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [t] = resolveInputShape(o, ctx, { rank: 1, example: '[sequence length]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('text_classifier', ctx.seed);
    const emb = l.embedding('input', o.vocabSize, o.embedDim, 'embed', 1);
    let x: string;
    if (o.padId === undefined) x = l.mean(emb, [1]);
    else {
      // masked mean: sum(emb * keep) / max(count(keep), 1) over the sequence
      const { b } = l;
      const keep = b.op('Cast', [b.op('Not', [b.op('Equal', ['input', b.constant('int64', o.padId, [])])])], { to: 1 });
      const summed = b.op('ReduceSum', [b.op('Mul', [emb, b.op('Unsqueeze', [keep, b.ints([2])])]), b.ints([1])], {
        keepdims: 0,
      });
      const count = b.op('Max', [
        b.op('ReduceSum', [keep, b.ints([1])], { keepdims: 1 }),
        b.constant('float32', 1, []),
      ]);
      x = b.op('Div', [summed, count], {}, 'masked_mean');
    }
    let width = o.embedDim;
    if (o.dropout) x = l.dropout(x, o.dropout);
    o.hidden.forEach((h, i) => {
      x = l.relu(l.dense(x, width, h, `fc${i}`));
      if (o.dropout) x = l.dropout(x, o.dropout);
      width = h;
    });
    return l.finish({ name: 'input', shape: ['N', t], dtype: 'int64' }, l.dense(x, width, classes, 'head'));
  },
});
