/** `mlp`: Gemm + ReLU (+ Dropout) per hidden layer on flattened inputs, then a Gemm to the classes. */
import { arr, int, num } from '../../config/schema.js';
import { buildMlp } from './small.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const mlp = defineZooModel({
  type: 'mlp',
  description: 'multi-layer perceptron: Gemm + ReLU (+ Dropout) per hidden layer; inputs are flattened',
  example: { inputShape: [784], numClasses: 10 },
  options: {
    hidden: arr(int({ min: 1 }), { default: [64], doc: 'width of each hidden layer' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout after each hidden layer' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const shape = resolveInputShape(o, ctx, { example: '[784] or [1, 28, 28]' });
    return buildMlp({
      inputs: shape.reduce((a, b) => a * b, 1),
      hidden: o.hidden,
      classes: resolveClasses(o, ctx),
      dropout: o.dropout,
      seed: ctx.seed,
    });
  },
});
