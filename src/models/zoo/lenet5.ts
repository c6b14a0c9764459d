/**
 * `lenet5`: LeCun et al. (1998): conv 6@5x5, pool, conv 16@5x5, pool, dense 120, 84, classes.
 * Modern defaults (ReLU, max pooling); `activation: 'tanh'` and `pool: 'avg'` give the original.
 * The first conv pads by 2 (28x28 in, as on MNIST); the second pads too when the map is smaller
 * than 10x10, so 8x8 digits still fit.
 */
import { int, num, oneOf } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const lenet5 = defineZooModel({
  type: 'lenet5',
  description: 'LeNet-5: conv 6@5x5, pool, conv 16@5x5, pool, dense 120-84-classes; [C, H, W] inputs',
  example: { inputShape: [1, 28, 28], numClasses: 10 },
  options: {
    activation: oneOf(['relu', 'tanh'] as const, { default: 'relu', doc: 'activation after each layer' }),
    pool: oneOf(['max', 'avg'] as const, { default: 'max', doc: 'pooling after each conv' }),
    hidden: int({ min: 1, default: 120, doc: 'width of the first dense layer (84 follows)' }),
    dropout: num({ min: 0, max: 0.95, default: 0, doc: 'dropout before the dense layers' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [c, h0, w0] = resolveInputShape(o, ctx, { rank: 3, example: '[1, 28, 28]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('lenet5', ctx.seed);
    const act = (x: string) => (o.activation === 'relu' ? l.relu(x) : l.b.op('Tanh', [x]));
    const pool = (x: string) =>
      o.pool === 'max' ? l.maxPool(x, 2) : l.b.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    let x = pool(act(l.conv2d('input', c, 6, 5, { pad: 2 }, 'conv1')));
    let [h, w] = [Math.floor(h0 / 2), Math.floor(w0 / 2)];
    const pad2 = Math.min(h, w) < 10 ? 2 : 0;
    x = pool(act(l.conv2d(x, 6, 16, 5, { pad: pad2 }, 'conv2')));
    h = Math.floor((h + 2 * pad2 - 4) / 2);
    w = Math.floor((w + 2 * pad2 - 4) / 2);
    if (h < 1 || w < 1) throw new Error(`lenet5 needs inputs of at least 4x4, got [${c}, ${h0}, ${w0}]`);
    x = l.flatten(x);
    if (o.dropout) x = l.dropout(x, o.dropout);
    x = act(l.dense(x, 16 * h * w, o.hidden, 'fc1'));
    x = act(l.dense(x, o.hidden, 84, 'fc2'));
    return l.finish({ name: 'input', shape: ['N', c, h0, w0] }, l.dense(x, 84, classes, 'head'));
  },
});
