/** `cnn`: the LeNet-style CNN of the quickstart (3x3 conv blocks with 2x2 max pooling, dense layers). */
import { arr, bool, int, num } from '../../config/schema.js';
import { buildCnn } from './small.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const cnn = defineZooModel({
  type: 'cnn',
  description:
    'small CNN: 3x3 conv blocks (conv, [batchnorm], relu, maxpool 2), then dense layers; needs [C, H, W] inputs',
  example: { inputShape: [1, 28, 28], numClasses: 10 },
  options: {
    channels: arr(int({ min: 1 }), { default: [16, 32], minItems: 1, doc: 'output channels of each conv block' }),
    batchNorm: bool({ default: true, doc: 'BatchNormalization after each conv' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout before the dense layers' }),
    hidden: int({ min: 0, default: 64, doc: 'width of the hidden dense layer (0: none)' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [c, h, w] = resolveInputShape(o, ctx, { rank: 3, example: '[channels, height, width]' });
    return buildCnn({
      input: [c, h, w],
      channels: o.channels,
      classes: resolveClasses(o, ctx),
      batchNorm: o.batchNorm,
      dropout: o.dropout,
      hidden: o.hidden,
      seed: ctx.seed,
    });
  },
});
