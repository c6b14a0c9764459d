/**
 * `text_classifier`: a bag-of-embeddings classifier (fastText-like): token ids [N, T] (int64) ->
 * Gather from an embedding table -> mean over the sequence (ReduceMean) -> MLP -> classes.
 * Every position counts in the mean (pad with a token of your choice; no mask).
 */
import { arr, int, num } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const textClassifier = defineZooModel({
  name: 'text_classifier',
  describe: 'token ids [T] (int64) -> embedding -> mean pooling -> MLP -> classes',
  example: { inputShape: [64], numClasses: 4, options: { vocabSize: 10000 } },
  options: {
    vocabSize: int({ min: 2, doc: 'number of token ids (ids must lie in [0, vocabSize))' }),
    embedDim: int({ min: 1, default: 64, doc: 'embedding width' }),
    hidden: arr(int({ min: 1 }), { default: [64], doc: 'widths of the hidden dense layers' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout after the pooling and each hidden layer' }),
    ...ioOptions,
  },
  build: (o, ctx) => {
    const [t] = resolveInputShape(o, ctx, { rank: 1, example: '[sequence length]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('text_classifier', ctx.seed);
    let x = l.mean(l.embedding('input', o.vocabSize, o.embedDim, 'embed', 1), [1]);
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
