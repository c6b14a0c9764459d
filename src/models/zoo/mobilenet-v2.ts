/**
 * `mobilenet_v2`: Sandler et al. (2018). A 3x3 stem, inverted residual blocks (1x1 expansion,
 * 3x3 depthwise conv, linear 1x1 projection; residual when shape allows), ReLU6 as Clip(0, 6),
 * a 1x1 conv to `lastChannels`, global pooling, dropout and a dense head. Channel counts are
 * scaled by `widthMultiplier` and rounded to multiples of `divisor` as torchvision does. The stem
 * stride defaults to 1 (CIFAR-sized inputs); use 2 for 224x224.
 */
import { arr, check, int, num } from '../../config/schema.js';
import { LayerBuilder } from './layers.js';
import { defineZooModel, ioOptions, resolveClasses, resolveInputShape } from './def.js';

/** torchvision's [expansion t, channels c, repeats n, stride s] table. */
export const MOBILENET_V2_BLOCKS = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** torchvision's `_make_divisible`: nearest multiple of `d`, never below 90% of `v`. */
function divisible(v: number, d: number): number {
  const r = Math.max(d, Math.floor((v + d / 2) / d) * d);
  return r < 0.9 * v ? r + d : r;
}

const blockRow = check(arr(int({ min: 1 })), (v, path) =>
  v.length === 4
    ? undefined
    : `expected [expansion, channels, repeats, stride] for ${path} but got ${JSON.stringify(v)}`,
);

export const mobilenetV2 = defineZooModel({
  type: 'mobilenet_v2',
  description: 'MobileNetV2: inverted residual blocks with depthwise convs and ReLU6; [C, H, W] inputs',
  example: { inputShape: [3, 32, 32], numClasses: 10 },
  options: {
    widthMultiplier: num({ exclusiveMin: 0, max: 4, default: 1, doc: 'scales every channel count' }),
    divisor: int({ min: 1, default: 8, doc: 'channel counts are rounded to multiples of this' }),
    blocks: arr(blockRow, {
      default: MOBILENET_V2_BLOCKS,
      minItems: 1,
      doc: 'inverted residual stages: [expansion, channels, repeats, stride]',
    }),
    stemChannels: int({ min: 1, default: 32, doc: 'channels of the stem conv (before the multiplier)' }),
    stemStride: int({ min: 1, max: 4, default: 1, doc: 'stride of the stem conv (2 for 224x224 inputs)' }),
    lastChannels: int({ min: 1, default: 1280, doc: 'channels of the last 1x1 conv' }),
    dropout: num({ min: 0, max: 0.95, default: 0.2, doc: 'dropout before the head' }),
    ...ioOptions,
  },
  create: (o, ctx) => {
    const [c, h, w] = resolveInputShape(o, ctx, { rank: 3, example: '[3, 32, 32]' });
    const classes = resolveClasses(o, ctx);
    const l = new LayerBuilder('mobilenet_v2', ctx.seed);
    const ch = (v: number) => divisible(v * o.widthMultiplier, o.divisor);
    const convBn = (
      x: string,
      cin: number,
      cout: number,
      k: number,
      name: string,
      opts: { stride?: number; group?: number; act?: boolean } = {},
    ) => {
      const y = l.batchNorm(
        l.conv2d(
          x,
          cin,
          cout,
          k,
          { stride: opts.stride ?? 1, pad: (k - 1) / 2, group: opts.group, bias: false },
          `${name}.conv`,
        ),
        cout,
        `${name}.bn`,
      );
      return opts.act === false ? y : l.relu6(y);
    };
    let cin = ch(o.stemChannels);
    let x = convBn('input', c, cin, 3, 'stem', { stride: o.stemStride });
    o.blocks.forEach(([t, cc, n, s], bi) => {
      const cout = ch(cc);
      for (let i = 0; i < n; i++) {
        const p = `blocks${bi}.${i}`;
        const stride = i === 0 ? s : 1;
        const hidden = Math.round(cin * t);
        let y = t === 1 ? x : convBn(x, cin, hidden, 1, `${p}.expand`);
        y = convBn(y, hidden, hidden, 3, `${p}.depthwise`, { stride, group: hidden });
        y = convBn(y, hidden, cout, 1, `${p}.project`, { act: false });
        x = stride === 1 && cin === cout ? l.add(x, y) : y;
        cin = cout;
      }
    });
    const last = o.widthMultiplier > 1 ? ch(o.lastChannels) : o.lastChannels;
    x = l.flatten(l.globalAvgPool(convBn(x, cin, last, 1, 'last')));
    if (o.dropout) x = l.dropout(x, o.dropout);
    return l.finish({ name: 'input', shape: ['N', c, h, w] }, l.dense(x, last, classes, 'head'));
  },
});
