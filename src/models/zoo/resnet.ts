/**
 * `resnet`: the CIFAR ResNets of He et al. (2016, section 4.2): depth 6n+2 (20, 32, 44, 56, 110),
 * a 3x3 stem, three stages of n basic blocks (widths w, 2w, 4w; stride 2 entering stages 2 and 3),
 * global average pooling and a dense head. Each block is conv-BN-ReLU-conv-BN plus a shortcut
 * (identity, or 1x1 conv + BN where the shape changes: the paper's option B), then ReLU.
 */
import { check, int } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

export const resnet = defineZooModel({
  type: 'resnet',
  description: 'CIFAR ResNet (depth 6n+2: 20, 32, 56, ...) with BatchNormalization; [C, H, W] inputs',
  example: { inputShape: [3, 32, 32], numClasses: 10 },
  options: {
    depth: check(int({ min: 8, default: 20, doc: 'layers: 6n+2 (20, 32, 44, 56, 110)' }), (v, path) =>
      (v - 2) % 6 === 0
        ? undefined
        : `expected a depth of the form 6n+2 (20, 32, 44, 56, 110) for ${path} but got ${v}`,
    ),
    width: int({ min: 1, default: 16, doc: 'channels of the first stage (doubled per stage)' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [c, h, w] = resolveInputShape(o, ctx, { rank: 3, example: '[3, 32, 32]' });
    const classes = resolveClasses(o, ctx);
    const n = (o.depth - 2) / 6;
    const l = new LayerBuilder('resnet', ctx.seed);
    let x = l.bnRelu(l.conv2d('input', c, o.width, 3, { bias: false }, 'stem.conv'), o.width, 'stem.bn');
    let cin = o.width;
    for (let s = 0; s < 3; s++) {
      const cout = o.width << s;
      for (let i = 0; i < n; i++) {
        const p = `stage${s + 1}.block${i}`;
        const stride = s > 0 && i === 0 ? 2 : 1;
        let y = l.bnRelu(l.conv2d(x, cin, cout, 3, { stride, pad: 1, bias: false }, `${p}.conv1`), cout, `${p}.bn1`);
        y = l.batchNorm(l.conv2d(y, cout, cout, 3, { bias: false }, `${p}.conv2`), cout, `${p}.bn2`);
        const short =
          stride === 1 && cin === cout
            ? x
            : l.batchNorm(
                l.conv2d(x, cin, cout, 1, { stride, pad: 0, bias: false }, `${p}.shortcut.conv`),
                cout,
                `${p}.shortcut.bn`,
              );
        x = l.relu(l.add(y, short));
        cin = cout;
      }
    }
    x = l.flatten(l.globalAvgPool(x));
    return l.finish({ name: 'input', shape: ['N', c, h, w] }, l.dense(x, cin, classes, 'head'));
  },
});
