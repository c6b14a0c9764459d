/**
 * `image_normalize`: uint8 HWC images to float32 `(pixel * scale - mean[c]) / std[c]`, in NCHW
 * (default) or NHWC. Mean and std per channel are fitted on the training split unless given.
 * Baked, the exported model takes raw uint8 [N, H, W, C] images.
 */
import { DatasetError } from '../errors.js';
import { arr, num, oneOf, opt } from '../../config/schema.js';
import type { Fitted, PreprocessorKind } from './preprocessor.js';

const f = Math.fround;

export interface ImageNormalizeSpec {
  mean?: number[];
  std?: number[];
  scale: number;
  layout: 'NCHW' | 'NHWC';
}
export interface ImageNormalizeFitted extends Fitted {
  type: 'image_normalize';
  /** [H, W, C] of the raw images. */
  shape: [number, number, number];
  scale: number;
  mean: number[];
  std: number[];
  layout: 'NCHW' | 'NHWC';
}

export const imageNormalize: PreprocessorKind<ImageNormalizeSpec, ImageNormalizeFitted> = {
  type: 'image_normalize',
  description:
    'uint8 images to float: x * scale, then (x - mean) / std per channel (fitted on the training part when not given); must come first',
  options: {
    mean: opt(
      arr(num(), { minItems: 1, doc: 'per-channel mean after scaling (default: fitted on the training part)' }),
    ),
    std: opt(
      arr(num({ exclusiveMin: 0 }), {
        minItems: 1,
        doc: 'per-channel std after scaling (default: fitted on the training part)',
      }),
    ),
    scale: num({ exclusiveMin: 0, default: 1 / 255, doc: 'multiplies the bytes first (1/255 maps them to [0, 1])' }),
    layout: oneOf(['NCHW', 'NHWC'] as const, { default: 'NCHW', doc: "the model input's layout" }),
  },
  check: (o: { mean?: number[]; std?: number[] }, path: string) =>
    (o.mean === undefined) !== (o.std === undefined)
      ? `expected both ${path}.mean and ${path}.std, or neither to fit them on the training split, but got only ${o.mean ? 'mean' : 'std'}`
      : undefined,
  create: (r: ImageNormalizeSpec) => ({ mean: r.mean, std: r.std, scale: r.scale, layout: r.layout }),
  fit(s, train) {
    if (train.kind !== 'image')
      throw new DatasetError(
        'image_normalize needs image data (image_folder, idx or an arrow image column); use standardize or min_max for tabular data',
      );
    const [h, w, ch] = train.shape;
    let mean = s.mean;
    let std = s.std;
    if (!mean || !std) {
      const sum = new Float64Array(ch);
      const sq = new Float64Array(ch);
      const px = train.pixels;
      // A byte histogram per channel, then exact sums of values and squares from it.
      const hist = new Float64Array(256 * ch);
      for (let i = 0; i < px.length; i += ch) for (let c = 0; c < ch; c++) hist[c * 256 + px[i + c]]++;
      for (let c = 0; c < ch; c++) {
        for (let v = 0; v < 256; v++) {
          const k = hist[c * 256 + v];
          sum[c] += k * v;
          sq[c] += k * v * v;
        }
      }
      const n = train.count * h * w;
      mean = Array.from(sum, (v) => (v / n) * s.scale);
      std = Array.from(sq, (v, k) => Math.sqrt(Math.max(0, (v / n) * s.scale * s.scale - mean![k] ** 2)) || 1);
    }
    if (mean.length !== ch || std.length !== ch)
      throw new DatasetError(
        `image_normalize: mean and std have ${mean.length} and ${std.length} values but the images have ${ch} channel(s); give one per channel`,
      );
    return {
      type: 'image_normalize',
      shape: train.shape,
      scale: f(s.scale),
      mean: mean.map(f),
      std: std.map(f),
      layout: s.layout,
    };
  },
  apply(p, x) {
    if (x.kind !== 'image')
      throw new DatasetError('image_normalize expects uint8 images; put it first in the preprocessing list');
    const [h, w, ch] = x.shape;
    const out = new Float32Array(x.pixels.length);
    const nchw = p.layout === 'NCHW';
    for (let n = 0; n < x.count; n++) {
      for (let i = 0; i < h * w; i++) {
        for (let c = 0; c < ch; c++) {
          const src = (n * h * w + i) * ch + c;
          const dst = nchw ? (n * ch + c) * h * w + i : src;
          out[dst] = f(f(f(x.pixels[src] * p.scale) - p.mean[c]) / p.std[c]);
        }
      }
    }
    return { kind: 'float', count: x.count, sampleShape: nchw ? [ch, h, w] : [h, w, ch], values: out };
  },
  rawInput: (p) => ({ dtype: 'uint8', sampleShape: [...p.shape] }),
  bakeInput(p, b, input) {
    const ch = p.shape[2];
    const cshape = p.layout === 'NCHW' ? [ch, 1, 1] : [ch];
    let x = b.op('Mul', [b.op('Cast', [input], { to: 1 }), b.constant('float32', p.scale, [])]);
    if (p.layout === 'NCHW') x = b.op('Transpose', [x], { perm: [0, 3, 1, 2] });
    return b.op(
      'Div',
      [b.op('Sub', [x, b.constant('float32', p.mean, cshape)]), b.constant('float32', p.std, cshape)],
      {},
      'image_normalize',
    );
  },
};
