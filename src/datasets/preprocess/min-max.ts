/** `min_max`: maps each feature's training range [min, max] linearly onto `range` (default [0, 1]). */
import { arr, check, num } from '../../config/schema.js';
import { asFloat, type Fitted, type PreprocessorKind } from './preprocessor.js';
import { featureStats } from './standardize.js';

const f = Math.fround;

export interface MinMaxFitted extends Fitted {
  type: 'min_max';
  min: number[];
  scale: number[];
  offset: number;
}

export const minMax: PreprocessorKind<{ range: [number, number] }, MinMaxFitted> = {
  type: 'min_max',
  description: 'per feature scaling of the training minimum and maximum to range (tabular data)',
  options: {
    range: check(
      arr(num(), { default: [0, 1], doc: '[low, high] the training minimum and maximum map to' }),
      (r, path) =>
        r.length === 2 && r[0] < r[1]
          ? undefined
          : `expected [low, high] with low < high for ${path} but got ${JSON.stringify(r)}`,
    ),
  },
  create: (r: { range: number[] }) => ({ range: [r.range[0], r.range[1]] as [number, number] }),
  fit(s, train) {
    const { min, max } = featureStats(train);
    const [lo, hi] = s.range;
    return {
      type: 'min_max',
      min: min.map(f),
      offset: f(lo),
      // A constant feature maps to `low`.
      scale: min.map((m, j) => f(max[j] > m ? (hi - lo) / (max[j] - m) : 1)),
    };
  },
  apply(p, x) {
    const v = asFloat(x);
    const n = p.min.length;
    const out = new Float32Array(v.values.length);
    for (let i = 0; i < out.length; i++) out[i] = f(f(f(v.values[i] - p.min[i % n]) * p.scale[i % n]) + p.offset);
    return { kind: 'float', count: v.count, sampleShape: v.sampleShape, values: out };
  },
  bakeInput(p, b, input) {
    const shape = [p.min.length];
    const scaled = b.op('Mul', [
      b.op('Sub', [input, b.constant('float32', p.min, shape)]),
      b.constant('float32', p.scale, shape),
    ]);
    return b.op('Add', [scaled, b.constant('float32', p.offset, [])], {}, 'min_max');
  },
};
