/**
 * `vgg`: Simonyan and Zisserman (2015), small: stages of 3x3 'same' convs (+ BatchNormalization)
 * with ReLU, 2x2 max pooling after each stage, then dense layers with dropout. The default is a
 * CIFAR-sized VGG-style net (about 0.81M parameters on 32x32x3).
 */
import { arr, bool, int, num } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const vgg = defineZooModel({
  type: 'vgg',
  description:
    'VGG-style CNN: stages of 3x3 convs (+BN) and ReLU, max pooling per stage, dense layers; [C, H, W] inputs',
  example: { inputShape: [3, 32, 32], numClasses: 10 },
  options: {
    stages: arr(arr(int({ min: 1 }), { minItems: 1 }), {
      default: [
        [32, 32],
        [64, 64],
        [128, 128],
      ],
      minItems: 1,
      doc: 'conv output channels, one list per stage (each stage ends in a 2x2 max pool)',
    }),
    batchNorm: bool({ default: true, doc: 'BatchNormalization after each conv' }),
    hidden: arr(int({ min: 1 }), { default: [256], doc: 'dense layer widths before the head' }),
    dropout: num({ min: 0, max: 0.95, default: 0.5, doc: 'dropout before each dense layer' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [c, h0, w0] = resolveInputShape(o, ctx, { rank: 3, example: '[3, 32, 32]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('vgg', ctx.seed);
    let x = 'input';
    let [cin, h, w] = [c, h0, w0];
    o.stages.forEach((stage, s) => {
      stage.forEach((cout, i) => {
        const p = `features${s}.${i}`;
        x = l.conv2d(x, cin, cout, 3, { bias: !o.batchNorm }, `${p}.conv`);
        if (o.batchNorm) x = l.batchNorm(x, cout, `${p}.bn`);
        x = l.relu(x);
        cin = cout;
      });
      if (h >= 2 && w >= 2) {
        x = l.maxPool(x, 2);
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
    });
    x = l.flatten(x);
    let width = cin * h * w;
    o.hidden.forEach((hd, i) => {
      if (o.dropout) x = l.dropout(x, o.dropout);
      x = l.relu(l.dense(x, width, hd, `classifier${i}`));
      width = hd;
    });
    if (o.dropout && o.hidden.length) x = l.dropout(x, o.dropout);
    return l.finish({ name: 'input', shape: ['N', c, h0, w0] }, l.dense(x, width, classes, 'head'));
  },
});
