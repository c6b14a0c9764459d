/** `min_max`: maps each feature's training range [min, max] linearly onto `range` (default [0, 1]). */
import { OptionChecker } from '../errors.js';
import { asFloat, type Fitted, type PreprocessorKind } from './preprocessor.js';
import { featureStats } from './standardize.js';

const f = Math.fround;

export interface MinMaxFitted extends Fitted { type: 'min_max'; min: number[]; scale: number[]; offset: number }

export const minMax: PreprocessorKind<{ range: [number, number] }, MinMaxFitted> = {
  type: 'min_max',
  validate(spec, where) {
    const c = new OptionChecker(spec, where);
    c.keys(['type', 'range']);
    const r = spec.range ?? [0, 1];
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      c.fail('range', '[low, high] with low < high', spec.range);
    }
    c.done();
    return { range: r as [number, number] };
  },
  fit(s, train) {
    const { min, max } = featureStats(train);
    const [lo, hi] = s.range;
    return {
      type: 'min_max', min: min.map(f), offset: f(lo),
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
    const scaled = b.op('Mul', [b.op('Sub', [input, b.constant('float32', p.min, shape)]), b.constant('float32', p.scale, shape)]);
    return b.op('Add', [scaled, b.constant('float32', p.offset, [])], {}, 'min_max');
  },
};
